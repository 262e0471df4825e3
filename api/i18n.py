"""The pages' languages: which one a reader gets, and the message catalogues.

The catalogues are `api/static/i18n/<lang>.json`, one flat key -> message map each, read
by the templates here and fetched by the page's scripts, so both say the same words.
Messages hold `{name}` placeholders; the scripts fill them the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType

CATALOGUES = Path(__file__).resolve().parent / "static" / "i18n"
LANGUAGES = ("vi", "en")
"""Supported languages; the first is the service's own."""
COOKIE = "lang"
"""Set by the page's language switch (also kept in localStorage)."""
MAX_RANGES = 32
"""Language ranges of an Accept-Language header looked at; the rest are ignored."""
_QVALUE_CHARS = frozenset("0123456789.")


def choose_language(cookie: str | None, accept_language: str | None) -> str:
    """The reader's choice if they made one, else their browser's first supported
    language; Vietnamese when the browser says nothing, English when it names only
    languages we do not have (a foreign importer reads English before Vietnamese).

    Accept-Language is read with string methods, no regular expression: a hostile header
    costs time in proportion to its length, which api.header_limits bounds.
    """
    if cookie in LANGUAGES:
        return cookie
    if not accept_language:
        return LANGUAGES[0]
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",", MAX_RANGES)[:MAX_RANGES]):
        tag, _, parameters = part.partition(";")
        primary = _primary_language(tag.strip(" \t"))
        q = _quality(parameters) if parameters else 1.0
        if primary in LANGUAGES and q is not None and q > 0:
            ranked.append((-q, index, primary))
    return min(ranked)[2] if ranked else "en"


def _primary_language(tag: str) -> str | None:
    """The lower-case primary subtag of a well-formed language tag (RFC 4647 basic range:
    1-8 letters, then subtags of 1-8 letters or digits), else None."""
    primary, *subtags = tag.split("-")
    if not (0 < len(primary) <= 8 and primary.isascii() and primary.isalpha()):
        return None
    for subtag in subtags:
        if not (0 < len(subtag) <= 8 and subtag.isascii() and subtag.isalnum()):
            return None
    return primary.lower()


def _quality(parameters: str) -> float | None:
    """The weight in `q=0.8` (spaces allowed around `=`), else None."""
    name, equals, value = parameters.partition("=")
    value = value.strip(" \t")
    if not equals or name.strip(" \t").lower() != "q":
        return None
    if not 0 < len(value) <= 5 or not _QVALUE_CHARS.issuperset(value):
        return None
    try:
        return float(value)
    except ValueError:
        return None


@cache
def catalogue(lang: str) -> Mapping[str, str]:
    """The messages of `lang` (read once per process)."""
    if lang not in LANGUAGES:
        raise KeyError(lang)
    messages = json.loads((CATALOGUES / f"{lang}.json").read_text(encoding="utf-8"))
    return MappingProxyType(messages)


def translate(lang: str, key: str, **params: object) -> str:
    """The message `key` in `lang` with its `{name}` placeholders filled."""
    message = catalogue(lang)[key]
    return re.sub(r"\{(\w+)\}", lambda m: str(params.get(m.group(1), m.group(0))), message)
