"""JSON request bodies read within a size limit and parsed strictly, as a dependency."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import BaseModel
from starlette.requests import Request

from api.uploads import JSON_TYPE, media_type, read_body, unsupported
from api.views import parse_object, validate

MAX_JSON_BODY = 1 << 20
"""Largest JSON body of the small endpoints (issuers, revocations)."""
M = TypeVar("M", bound=BaseModel)


def json_model(model: type[M]) -> Callable[[Request], Awaitable[M]]:
    """A dependency yielding the body validated as `model` (415 if it is not JSON)."""

    async def dependency(request: Request) -> M:
        if media_type(request) != JSON_TYPE:
            raise unsupported(JSON_TYPE)
        raw = await read_body(request, MAX_JSON_BODY)
        return validate(model, parse_object(raw, "$"))

    return dependency
