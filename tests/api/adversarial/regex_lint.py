"""A static check that a Python regular expression cannot backtrack super-linearly.

Python's `re` backtracks. Its time on hostile input grows faster than the input only when
one character can be consumed by either of two repeats and both keep trying:
- two unbounded repeats that can stand next to each other (only optional items between)
  and share a character: `\\s*\\s*`, `\\s*(;x)?\\s*`, `[^/]+/?[^/]*` — quadratic;
- a repeated body whose end and beginning are repeats sharing a character: `(a+)+`,
  `(?:x{1,8})*` — exponential;
- for a search (not anchored at the start: `search`, `sub`, `findall`, `finditer`,
  `split`), a leading unbounded repeat followed by something that can fail: `\\s+x`
  tried from each of n positions — quadratic (`\\d+` alone succeeds where it starts).
`problems(pattern, searched)` names each such place. Possessive repeats (`*+`) and atomic
groups give nothing back, so they never take part. It does not judge alternations whose
branches overlap (`(a|aa)*`); none of ours has one inside a repeat.

Character sets are compared on a sample of characters (ASCII and some others), which is
enough to tell the classes we write apart.
"""

from __future__ import annotations

import re
import re._constants as c  # type: ignore[import-not-found]
import re._parser as sre  # type: ignore[import-not-found]
from dataclasses import dataclass, field
from typing import Any

SAMPLE = frozenset(
    [chr(i) for i in range(0x80)] + list("\x85\xa0µ³éÿĀẞ\u2028\u202a\u3000\uff10\ufb01\U0001f600")
)


@dataclass(frozen=True)
class Repeat:
    """A repeat that can begin or end a match of the expression it is in."""

    chars: frozenset[str]
    unbounded: bool
    text: str


@dataclass
class Info:
    """What a piece of a pattern can match, as far as backtracking is concerned."""

    nullable: bool = True
    chars: frozenset[str] = frozenset()
    leading: list[Repeat] = field(default_factory=list)
    trailing: list[Repeat] = field(default_factory=list)


def problems(pattern: str | re.Pattern[str], searched: bool = False) -> list[str]:
    """Why `pattern` can take super-linear time; empty if it cannot."""
    if isinstance(pattern, re.Pattern):
        text, flags = pattern.pattern, pattern.flags
    else:
        text, flags = pattern, 0
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    found: list[str] = []
    items = sre.parse(text, flags).data
    _sequence(items, flags, found)
    if searched:
        found += _searched_from_everywhere(items, flags)
    return found


def _searched_from_everywhere(items: list[tuple[Any, Any]], flags: int) -> list[str]:
    """A search starts a match at each position: a leading unbounded repeat followed by
    something that can still fail runs to the end of the repeat and back from every one."""
    infos = [_item(op, av, flags, []) for op, av in items]
    found = []
    for i, info in enumerate(infos):
        rest_can_fail = any(not later.nullable for later in infos[i + 1 :])
        found += [
            f"a search tries the leading repeat {r.text} from every position"
            for r in info.leading
            if r.unbounded and rest_can_fail
        ]
        if not info.nullable:
            break
    return found


def _sequence(items: list[tuple[Any, Any]], flags: int, found: list[str]) -> Info:
    infos = [_item(op, av, flags, found) for op, av in items]
    for i, left in enumerate(infos):
        for j in range(i + 1, len(infos)):
            right = infos[j]
            _meet(left.trailing, right.leading, found)
            if not right.nullable:
                break
    out = Info()
    out.nullable = all(i.nullable for i in infos)
    out.chars = frozenset().union(*(i.chars for i in infos))
    for info in infos:
        out.leading += info.leading
        if not info.nullable:
            break
    for info in reversed(infos):
        out.trailing += info.trailing
        if not info.nullable:
            break
    return out


def _meet(ending: list[Repeat], beginning: list[Repeat], found: list[str]) -> None:
    """Two unbounded repeats that can stand side by side and share a character."""
    for t in ending:
        for lead in beginning:
            if t.unbounded and lead.unbounded and t.chars & lead.chars:
                found.append(f"repeats {t.text} and {lead.text} can meet")


def _item(op: Any, av: Any, flags: int, found: list[str]) -> Info:
    if op in (c.LITERAL, c.NOT_LITERAL, c.ANY, c.IN):
        return Info(nullable=False, chars=_chars(op, av, flags))
    if op is c.POSSESSIVE_REPEAT:  # gives nothing back: nothing backtracks into it
        low, _, sub = av
        body = _sequence(sub.data, flags, found)
        return Info(low == 0 or body.nullable, body.chars)
    if op in (c.MAX_REPEAT, c.MIN_REPEAT):
        low, high, sub = av
        body = _sequence(sub.data, flags, found)
        if low == high:  # a fixed count chooses nothing: the body, so many times in a row
            if high > 1:
                _meet(body.trailing, body.leading, found)
            return Info(low == 0 or body.nullable, body.chars, body.leading, body.trailing)
        if high > 1:
            for t in body.trailing:
                for lead in body.leading:
                    if t.chars & lead.chars:
                        found.append(f"a repeated group ends and begins with {t.text}")
        if high <= 1:
            return Info(True, body.chars, body.leading, body.trailing)
        unbounded = high == c.MAXREPEAT
        me = Repeat(body.chars, unbounded, _describe(low, high, body.chars))
        return Info(low == 0 or body.nullable, body.chars, [me], [me])
    if op is c.SUBPATTERN:
        return _sequence(av[-1].data, flags, found)
    if op is c.ATOMIC_GROUP:
        inner = _sequence(av.data, flags, found)
        return Info(inner.nullable, inner.chars)  # nothing backtracks into it
    if op is c.BRANCH:
        branches = [_sequence(b.data, flags, found) for b in av[1]]
        return Info(
            any(b.nullable for b in branches),
            frozenset().union(*(b.chars for b in branches)),
            [r for b in branches for r in b.leading],
            [r for b in branches for r in b.trailing],
        )
    if op is c.GROUPREF_EXISTS:
        branches = [_sequence(b.data, flags, found) for b in av[1:] if b is not None]
        return Info(True, frozenset().union(*(b.chars for b in branches)))
    if op in (c.ASSERT, c.ASSERT_NOT):
        _sequence(av[1].data, flags, found)
        return Info()
    if op is c.GROUPREF:
        return Info(True, SAMPLE)
    return Info()  # AT (anchors)


def _chars(op: Any, av: Any, flags: int) -> frozenset[str]:
    if op is c.LITERAL:
        ch = chr(av)
        return frozenset({ch, ch.swapcase()} if flags & re.IGNORECASE else {ch})
    if op is c.NOT_LITERAL:
        return SAMPLE - {chr(av)}
    if op is c.ANY:
        return SAMPLE if flags & re.DOTALL else SAMPLE - {"\n"}
    negate = any(o is c.NEGATE for o, _ in av)
    chosen = frozenset(ch for ch in SAMPLE if any(_in(o, a, ch, flags) for o, a in av))
    return SAMPLE - chosen if negate else chosen


def _in(op: Any, av: Any, ch: str, flags: int) -> bool:
    if op is c.LITERAL:
        return ch == chr(av) or bool(flags & re.IGNORECASE and ch.swapcase() == chr(av))
    if op is c.RANGE:
        low, high = av
        return low <= ord(ch) <= high or bool(
            flags & re.IGNORECASE and low <= ord(ch.swapcase()[:1] or "\0") <= high
        )
    if op is c.CATEGORY:
        name = str(av).removeprefix("CATEGORY_").removeprefix("UNI_")
        tests = {
            "DIGIT": ch.isdecimal(),
            "SPACE": ch.isspace(),
            "WORD": ch.isalnum() or ch == "_",
            "LINEBREAK": ch == "\n",
        }
        positive = name.removeprefix("NOT_")
        return tests[positive] != name.startswith("NOT_")
    return False  # NEGATE itself


def _describe(low: int, high: int, chars: frozenset[str]) -> str:
    shown = "".join(sorted(ch for ch in chars if ch.isprintable())[:6])
    top = "" if high == c.MAXREPEAT else str(high)
    return f"[{shown}…]{{{low},{top}}}"
