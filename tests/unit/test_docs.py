"""The README and docs/ stay true: the README opens with the two commands and stays a page
a newcomer reads in minutes, its layout table names every package of the tree (and nothing
that is gone), every link between the pages leads somewhere, and the benchmarks page's
table is the one scripts/bench_table.py makes from the JSON it links."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
MAX_README_LINES = 250
"""The README is the newcomer's page; details go to docs/."""


def prose(page: Path) -> list[str]:
    """The page's lines outside fenced code blocks."""
    lines, fenced = [], False
    for line in page.read_text("utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def anchors(page: Path) -> set[str]:
    """The anchors GitHub gives the page's headings."""
    found: set[str] = set()
    for line in prose(page):
        heading = re.match(r"#{1,6} (.*)", line)
        if heading:
            slug = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower()).replace(" ", "-")
            found.add(slug)
    return found


def tracked() -> list[str]:
    """The paths git tracks in the repository."""
    done = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    return done.stdout.splitlines()


def test_the_readme_opens_with_the_two_commands() -> None:
    head = README.read_text("utf-8").splitlines()[:20]
    run = next(i for i, line in enumerate(head) if line.startswith("make run "))
    assert head[run + 1].startswith("make test "), "`make test` must follow `make run`"


def test_the_readme_is_a_page_a_newcomer_reads_in_minutes() -> None:
    lines = len(README.read_text("utf-8").splitlines())
    assert lines <= MAX_README_LINES, f"README.md has {lines} lines: move details to docs/"


def layout() -> set[str]:
    """The paths the README's layout table names in its first column."""
    section = README.read_text("utf-8").split("### Layout", 1)[1].split("\n#", 1)[0]
    return {
        path
        for row in re.findall(r"^\| (.*?) \|", section, re.M)
        for path in re.findall(r"`([^`]+/)`", row)
    }


def test_the_layout_table_names_every_package_and_top_folder() -> None:
    files = tracked()
    folders = {path.split("/")[0] + "/" for path in files if "/" in path}
    packages = {"/".join(path.split("/")[:2]) + "/" for path in files if path.count("/") >= 2}
    wanted = {f for f in folders if not f.startswith(".")} | {
        p for p in packages if p.startswith("notary/")
    }
    named = layout()
    assert not wanted - named, f"the README's layout table misses {sorted(wanted - named)}"
    gone = {path for path in named if not (ROOT / path).is_dir()}
    assert not gone, f"the README's layout table names folders that are gone: {sorted(gone)}"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.relative_to(ROOT).as_posix())
def test_every_link_leads_to_a_page_and_heading_that_exist(page: Path) -> None:
    for line in prose(page):
        for target in re.findall(r"\]\(([^)\s]+)\)", line):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            assert linked.exists(), f"{page.name} links to {target}, which does not exist"
            if anchor and linked.suffix == ".md":
                assert anchor in anchors(linked), f"{page.name} links to {target}: no such heading"


def test_the_benchmarks_table_is_made_from_the_json_it_links(tmp_path: Path) -> None:
    page = ROOT / "docs" / "benchmarks.md"
    text = page.read_text("utf-8")
    run = re.search(r"`make bench(?: BENCH_ARGS=(\S+))?` on .*\(\[its JSON\]\(([^)]+)\)\):", text)
    assert run is not None, "docs/benchmarks.md names no make bench run and its JSON"
    copy = tmp_path / "benchmarks.md"
    copy.write_text(text, "utf-8")
    results = (page.parent / run.group(2)).resolve()
    (tmp_path / run.group(2)).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / run.group(2)).write_bytes(results.read_bytes())
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "bench_table.py"),
            str(tmp_path / run.group(2)),
            f"--args={run.group(1) or ''}",
            "--write",
            str(copy),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert copy.read_text("utf-8") == text, "rerun scripts/bench_table.py: the table drifted"


def test_bench_table_refuses_output_that_is_not_make_bench_json(tmp_path: Path) -> None:
    bad = tmp_path / "bench.txt"
    bad.write_text("notary benchmarks\n{not json\n", "utf-8")
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench_table.py"), str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2 and "not make bench's JSON" in done.stderr
