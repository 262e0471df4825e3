"""Typed dependencies for route handlers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.state import ServiceState


def get_service(request: Request) -> ServiceState:
    """The service state set up by the app's lifespan."""
    service: ServiceState = request.state.service
    return service


ServiceDep = Annotated[ServiceState, Depends(get_service)]
