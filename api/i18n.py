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
_RANGE = re.compile(r"\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*")


def choose_language(cookie: str | None, accept_language: str | None) -> str:
    """The reader's choice if they made one, else their browser's first supported
    language; Vietnamese when the browser says nothing, English when it names only
    languages we do not have (a foreign importer reads English before Vietnamese)."""
    if cookie in LANGUAGES:
        return cookie
    if not accept_language:
        return LANGUAGES[0]
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")[:32]):
        match = _RANGE.fullmatch(part)
        if match is None:
            continue
        try:
            q = float(match.group(2)) if match.group(2) else 1.0
        except ValueError:
            continue
        primary = match.group(1).split("-")[0].lower()
        if q > 0 and primary in LANGUAGES:
            ranked.append((-q, index, primary))
    return min(ranked)[2] if ranked else "en"


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
