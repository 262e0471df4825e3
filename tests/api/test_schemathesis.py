"""Property-based run of every operation in /openapi.json: no 5xx, responses match the spec.

In-process over ASGI (the app's own lifespan), with an issuer's key so authenticated
operations are reached too; admin-only operations then answer their documented 403.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from web3 import Web3

from api.app import create_app
from notary.store.migrate import upgrade
from tests.api.conftest import ApiEnv, api_settings, funded

MAX_EXAMPLES = 50
# Semantic rules no JSON Schema states (expiresOn not before issuedOn, integers within
# ±2^53, nesting depth, no caller-chosen salt) make some schema-valid bodies rightly 422.
EXCLUDED = [positive_data_acceptance]


@pytest.fixture(scope="module")
def fuzz_app(
    w3: Web3, api: ApiEnv, tmp_path_factory: pytest.TempPathFactory
) -> tuple[FastAPI, dict[str, str]]:
    """A second app on its own store, and an issuer key of the session app's store."""
    tmp: Path = tmp_path_factory.mktemp("fuzz")
    settings_ = api_settings(tmp, w3, api.registry.address, funded(w3))
    settings_ = settings_.model_copy(update={"database_url": api.settings.resolved_database_url})
    upgrade(settings_.resolved_database_url)
    issuer = api.new_issuer("Fuzzing agency")
    return create_app(settings_), issuer.headers


@pytest.mark.slow
def test_api_conforms(fuzz_app: tuple[FastAPI, dict[str, str]]) -> None:
    app, headers = fuzz_app
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case: Any) -> None:
            case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)

        try:
            run()
        except (
            Exception,
            BaseExceptionGroup,
        ) as exc:  # collect every operation's failure, then report them all
            failures[operation.label] = str(exc)[:2000]
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())
