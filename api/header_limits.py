"""The longest value accepted for each request header the service (or Starlette and
FastAPI for it) parses; a longer one is refused with 431 naming the header, before
anything reads it.

Every parse of these headers is linear in their length (see tests/api/adversarial), so
these bounds keep the cost of one request small whatever its headers hold. Headers
nobody parses are bounded only by the whole head's limit (api.server.MAX_HEAD_BYTES).

One parse is not linear on every Python we run on: FastAPI reads the cookies of every
request, through `http.cookies._unquote`, which is quadratic in the backslashes of a
quoted value before Python 3.11.10 (CVE-2024-7592).
RFC 6265 allows no backslash in a cookie, so a Cookie header holding one is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from api.problems import Problem

LIMITS: Mapping[str, int] = {
    # read by the service
    "Authorization": 1024,  # "Bearer " and a key of at most api.auth.MAX_KEY_LENGTH
    "Accept-Language": 1024,  # the pages' language (api.i18n)
    "Cookie": 8192,  # the pages' `lang` cookie, beside other cookies of the same host
    "Content-Type": 1024,  # a media type and its multipart boundary (at most 70 characters)
    "Content-Length": 20,  # 2^64 has 20 digits
    "Idempotency-Key": 1024,  # past api.idempotency.MAX_KEY_LENGTH: 422 from the route
    "Origin": 1024,  # CORS (api.middleware)
    "Access-Control-Request-Method": 32,
    "Access-Control-Request-Headers": 1024,
    # read by Starlette for the static files
    "If-None-Match": 1024,
    "If-Modified-Since": 64,
    "Range": 1024,
    "If-Range": 256,
    "Accept-Encoding": 1024,
}
_BY_RAW_NAME = {name.lower().encode("ascii"): (name, limit) for name, limit in LIMITS.items()}
SLUG = "header-too-large"
BACKSLASH = "a cookie holds a backslash, which RFC 6265 does not allow in cookies"


def refused(headers: Iterable[tuple[bytes, bytes]]) -> Problem | None:
    """The problem with the first header (ASGI: lower-case names) that is over its limit
    (431) or a Cookie with a backslash (400); None if every header may be read."""
    for raw_name, value in headers:
        known = _BY_RAW_NAME.get(raw_name)
        if known is None:
            continue
        name, limit = known
        if len(value) > limit:
            return Problem(431, SLUG, f"{name} is longer than {limit} bytes", field=name)
        if raw_name == b"cookie" and b"\\" in value:
            return Problem(400, "malformed-request", BACKSLASH, field=name)
    return None
