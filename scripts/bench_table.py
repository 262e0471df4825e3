"""The dated table of docs/benchmarks.md, made from `make bench`'s JSON.

    make bench | tee bench.txt                                   # or: make bench BENCH_ARGS=--quick
    .venv/bin/python scripts/bench_table.py bench.txt            # print the table
    .venv/bin/python scripts/bench_table.py bench.txt --args=--quick --write docs/benchmarks.md

The input is what `scripts/bench_all.py` prints (its last line is one JSON object with every
figure, the date and the machine) or that JSON object alone. `--write FILE` replaces the
table between FILE's two markers, linking to the results file (keep it beside the page,
under docs/bench/), and leaves the rest of the page as it is. The rows are
bench_all's own, so the page says what `make bench` measured, in its words.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from bench_all import ROWS

BEGIN = "<!-- bench_table: begin (made by scripts/bench_table.py; do not edit by hand) -->"
END = "<!-- bench_table: end -->"


def load_results(text: str) -> dict[str, Any]:
    """bench_all's figures: the last non-empty line of its output, a JSON object."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise ValueError("no output of make bench: the input is empty")
    try:
        results = json.loads(lines[-1])
    except json.JSONDecodeError as error:
        raise ValueError(f"the last line is not make bench's JSON: {error}") from None
    if not isinstance(results, dict) or "date" not in results or "machine" not in results:
        raise ValueError("the last line is not make bench's JSON: it names no date and machine")
    return results


def cell(figures: dict[str, Any], section: str, label: str, keys: tuple[str, ...]) -> str:
    """One row's value, as bench_all prints it."""
    if "error" in figures:
        return f"failed: {' '.join(map(str, figures['error']))}"
    if section == "hostile":  # a case: the worst /healthz while it was in flight
        case = figures.get(keys[0], {})
        worst = case.get("healthz_worst_ms")
        return f"{'-' if worst is None else worst} ({case.get('status', '-')})"
    if label.endswith("p50 / p99 (ms)"):
        return " / ".join(str(figures.get(key, "-")) for key in keys)
    return next((str(figures[key]) for key in keys if key in figures), "-")


def table(results: dict[str, Any], args: str = "", source: str = "") -> str:
    """The page's block: the command, the date, the machine (and a link to the JSON kept
    at `source`), then one row per figure."""
    command = f"make bench BENCH_ARGS={args}" if args else "make bench"
    kept = f" ([its JSON]({source}))" if source else ""
    lines = [BEGIN, f"`{command}` on {results['date']}, {results['machine']}{kept}:"]
    if results.get("note"):
        lines += ["", str(results["note"])]
    lines += ["", "| figure | value |", "| --- | --- |"]
    for label, section, keys in ROWS:
        if section in results:
            lines.append(f"| {label} | {cell(results[section], section, label, keys)} |")
    return "\n".join([*lines, END])


def kept_at(results: Path, page: Path) -> str:
    """The results file as a link from the page (a path relative to the page's folder)."""
    return Path(os.path.relpath(results.resolve(), page.resolve().parent)).as_posix()


def replace_table(page: str, block: str) -> str:
    """`page` with the text between its markers replaced by `block`."""
    start, end = page.find(BEGIN), page.find(END)
    if start < 0 or end < start:
        raise ValueError(f"the page has no table markers ({BEGIN} … {END})")
    return page[:start] + block + page[end + len(END) :]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="make bench's output, or its JSON ('-': stdin)")
    parser.add_argument("--args", default="", help="the BENCH_ARGS of that run, e.g. --quick")
    parser.add_argument("--write", type=Path, metavar="PAGE", help="replace PAGE's table")
    options = parser.parse_args(argv)
    text = sys.stdin.read() if str(options.results) == "-" else options.results.read_text("utf-8")
    try:
        results = load_results(text)
        if options.write is None:
            print(table(results, options.args))
        else:
            source = "" if str(options.results) == "-" else kept_at(options.results, options.write)
            block = table(results, options.args, source)
            page = options.write.read_text("utf-8")
            options.write.write_text(replace_table(page, block), "utf-8")
    except ValueError as error:
        print(f"bench_table: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
