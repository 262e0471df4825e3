"""Adversarial suite, parsing time: nothing that reads request data can be made to take
time growing faster than the data (the probe held the event loop 42 s with one header).

Tested as bounds and structure, never as wall time:
- every regular expression in api/ and notary/ (compiled at module level, or given to
  `re.*` inline) passes `regex_lint`, for the way the module uses it (anchored or
  searched);
- every `pattern` of the API's schemas runs in pydantic's Rust engine, which has no
  backtracking (a pattern it cannot run would fail to build, not fall back to `re`);
- the strict JSON parser finds a duplicate key with a constant number of comparisons per
  key.
"""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest
from pydantic import ConfigDict, TypeAdapter
from pydantic import Field as PydanticField

from api.app import create_app
from api.problems import _template_pattern
from notary.core import metadata
from notary.core.errors import FormatError
from tests.api.adversarial.regex_lint import problems

ROOT = Path(__file__).resolve().parents[3]
SEARCHING = {"search", "sub", "subn", "findall", "finditer", "split"}
SKIPPED = ("notary/migrations/",)  # alembic's env.py runs migrations when imported
NOT_REQUEST_DATA: dict[str, str] = {
    # Patterns the lint refuses that never see request data, and why that is safe.
}


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted([*ROOT.glob("api/**/*.py"), *ROOT.glob("notary/**/*.py")]):
        relative = path.relative_to(ROOT).as_posix()
        if not relative.startswith(SKIPPED):
            yield relative.removesuffix(".py").removesuffix("/__init__").replace("/", "."), path


def _regexes() -> Iterator[tuple[str, re.Pattern[str] | str, bool]]:
    """(where, pattern, searched) for every regex of api/ and notary/."""
    for module_name, path in _modules():
        tree = ast.parse(path.read_text(), str(path))
        compiled: dict[str, re.Pattern[str]] = {}
        module: Any = None
        for node in tree.body:  # NAME = re.compile(...) at module level
            if (
                isinstance(node, ast.Assign | ast.AnnAssign)
                and isinstance(node.value, ast.Call)
                and _is_re(node.value.func, "compile")
            ):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                module = module or importlib.import_module(module_name)
                for target in targets:
                    if isinstance(target, ast.Name):
                        compiled[target.id] = getattr(module, target.id)
        searched = {
            node.func.value.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.attr in SEARCHING
        }
        for name, pattern in compiled.items():
            yield f"{module_name}.{name}", pattern, name in searched
        for node in ast.walk(tree):  # re.search(r"...", text) and the like
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and _is_re(node.func, node.func.attr)
                and node.func.attr != "compile"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                where = f"{module_name}:{node.lineno}"
                yield where, node.args[0].value, node.func.attr in SEARCHING


def _is_re(func: ast.expr, attr: str) -> bool:
    return (
        isinstance(func, ast.Attribute)
        and func.attr == attr
        and isinstance(func.value, ast.Name)
        and func.value.id == "re"
    )


REGEXES = list(_regexes())


def test_the_regexes_are_found() -> None:
    found = {where for where, _, _ in REGEXES}
    assert {"api.middleware.PUBLIC", "notary.core.metadata._UNSAFE"} - found == {
        "api.middleware.PUBLIC"  # a tuple of patterns: checked with the route patterns below
    }
    assert len(REGEXES) > 20


@pytest.mark.parametrize(("where", "pattern", "searched"), REGEXES, ids=[r[0] for r in REGEXES])
def test_no_regex_can_backtrack_super_linearly(
    where: str, pattern: re.Pattern[str] | str, searched: bool
) -> None:
    found = problems(pattern, searched)
    if where in NOT_REQUEST_DATA:
        return
    assert not found, f"{where} {getattr(pattern, 'pattern', pattern)!r}: {found}"


def test_the_old_accept_language_regex_is_caught() -> None:
    old = r"\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*"
    assert problems(old)


@pytest.mark.parametrize(
    "backtracking",
    [r"\s*\s*", r"\s*(;x)?\s*", r"[^/]+/?[^/]*", r"(a+)+", r"(?:x{1,8})*", r"(?:a+){2}"],
)
def test_the_lint_catches_backtracking(backtracking: str) -> None:
    assert problems(backtracking)


@pytest.mark.parametrize(
    "linear",
    [r"(?:-[A-Z]{1,8})*", r"0x[0-9a-f]{64}", r"(?:[0-9a-f]{2})*", r"[^/]+/[^/]+", r"\s*+\s*"],
)
def test_the_lint_lets_linear_patterns_through(linear: str) -> None:
    assert not problems(linear)


def test_a_searched_pattern_may_not_lead_with_an_unbounded_repeat() -> None:
    assert problems(r"\s+x", searched=True) and not problems(r"\s+x")
    assert problems(r"[0-9]*[1-9]", searched=True) and not problems(r"[0-9]*[1-9]")
    assert not problems(r"\d+", searched=True)  # succeeds wherever it starts on a digit


def test_route_and_cors_patterns_are_linear() -> None:
    from api.middleware import PUBLIC

    app = create_app()
    for template in app.openapi()["paths"]:
        assert not problems(_template_pattern(template)), template
    for _, pattern in PUBLIC:
        assert not problems(pattern), pattern.pattern


def _schema_patterns(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "pattern" and isinstance(item, str):
                yield item
            else:
                yield from _schema_patterns(item)
    elif isinstance(value, list):
        for item in value:
            yield from _schema_patterns(item)


def test_every_schema_pattern_runs_in_pydantics_rust_engine() -> None:
    patterns = sorted(set(_schema_patterns(create_app().openapi())))
    assert len(patterns) >= 3
    rust = ConfigDict(regex_engine="rust-regex")
    for pattern in patterns:  # compiled when the adapter is built; unsupported: an error
        TypeAdapter(Annotated[str, PydanticField(pattern=pattern)], config=rust)
    sources = [p.read_text() for _, p in _modules()]
    assert not any("python-re" in s for s in sources)  # nobody asks for the backtracking one


class Counted(str):
    """A key that counts how often it is compared."""

    comparisons = 0

    def __eq__(self, other: object) -> bool:
        Counted.comparisons += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


def test_a_duplicate_json_key_is_found_in_linear_time() -> None:
    """The object hook of `parse_json` compared each key with every key before it, so a
    body of distinct keys and one repeat (the public /v1/verify's too) cost time growing
    with the square of its keys."""
    keys = 5_000
    pairs = [(Counted(f"k{i}"), 0) for i in range(keys)] + [(Counted("k0"), 0)]
    Counted.comparisons = 0
    with pytest.raises(FormatError, match="duplicate key 'k0'"):
        metadata._no_duplicates(pairs)
    assert Counted.comparisons < 4 * keys


def test_a_duplicate_json_key_is_named() -> None:
    with pytest.raises(FormatError, match="duplicate key 'b'"):
        metadata.parse_json('{"a": 1, "b": 2, "c": 3, "b": 4, "a": 5}')
