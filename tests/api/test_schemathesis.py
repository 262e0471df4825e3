"""Schemathesis over every operation of /openapi.json: as an issuer, as the admin, anonymously.

Its engine runs what `st run` runs (the examples, coverage and fuzzing phases, every check;
stateful testing needs links the document does not declare), in-process over ASGI, against
an app on its own SQLite store holding an issuer, a document and a sealed batch. Each role
must end with no failure: no 5xx, every response as its schema says (ST108), no
schema-valid request refused (ST202), a 405 naming every method of its path in `Allow`
(ST204, ST205).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import schemathesis
from eth_account.signers.local import LocalAccount
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode, HookContext
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema
from web3 import Web3

from api.app import create_app
from api.schemas.common import ADDRESS_FORMAT
from notary.chain import Registry
from notary.core.disclosure import with_public
from notary.core.errors import FormatError
from notary.core.metadata import json_document_digest, parse_json, validate_metadata
from notary.core.receipts import Receipt
from notary.core.types import to_checksum_address
from notary.pipeline.batcher import seal_due_batches
from notary.settings.config import Settings
from notary.store.engine import open_store
from notary.store.migrate import upgrade
from tests.api.conftest import ApiEnv, api_settings

DEFAULT_MAX_UPLOAD_BYTES = Settings.model_fields["max_upload_bytes"].default
MAX_EXAMPLES = 25
"""Fuzzing cases per operation and role; with the coverage phase, ~1,000 requests a role."""
CONFIG = f"""
seed = 17
suppress-health-check = ["all"]
generation.max-examples = {MAX_EXAMPLES}
generation.deterministic = true
phases.stateful.enabled = false

[[operations]]
include-name = "GET /v1/documents/{{leaf}}/receipt"
# Schemathesis 4.32 turns the receipt schema's `prefixItems` into a draft-4 tuple before
# building its 2020-12 validator, then rejects the schema (schemathesis#3842, #4099). The
# receipt is checked against its published schema in tests/unit/core/test_receipts.py.
checks.response_schema_conformance.enabled = false

[[operations]]
include-name = "POST /v1/issuers"
# No two issuers may read the same (TR39 skeletons, case-folded) and an issuer's address
# must be one a key can sign for: state and Unicode data no schema can state (generated
# cases reuse the example's name). tests/api/adversarial/test_issuers.py pins the rules.
checks.positive_data_acceptance.enabled = false

[[operations]]
include-name = "POST /v1/stations"
# A station's history starts at most a year back (`since`), a rule relative to today that
# no schema states, and the coverage phase sends boundary dates (2000-01-01) past the
# case filter. tests/api/test_stations.py pins the rule; every other check runs.
checks.positive_data_acceptance.enabled = false

[[operations]]
include-name = "POST /v1/stations/{{station_id}}/readings"
# Readings need a station of this issuer and times inside its window (state and time,
# not schema); tests/api/test_stations.py covers intake. Every other check runs.
checks.positive_data_acceptance.enabled = false

[[operations]]
include-name = "GET /v1/stations/{{station_id}}/readings"
# `to` must come after `from`, and one export holds at most 1,000,000 readings: a rule
# between two parameters and one of state, neither of which a schema states (422 naming
# `to`). tests/api/adversarial/test_stations_export.py pins both; every other check runs.
checks.positive_data_acceptance.enabled = false

[[operations]]
include-name = "GET /v1/stations/{{station_id}}/intervals"
# `after` is Unix seconds in years 1-9999, a range the schema does not state (422 naming
# `after`). tests/api/test_signed_stations.py pins the listing; every other check runs.
checks.positive_data_acceptance.enabled = false

[[operations]]
include-name = "POST /v1/stations/{{station_id}}/intervals:sign"
# One signature of the station's issuer over the leaves of intervals awaiting it: state no
# schema states (422 naming the interval or the signature). tests/api/test_signed_stations.py
# and tests/store/test_intervals_awaiting_signature.py pin the rules; every other check runs.
checks.positive_data_acceptance.enabled = false

[[operations]]
include-name = "POST /v1/issuers/{{address}}/signers"
# A change of signing keys carries the issuer's root key's signature over a nonce the
# registry holds and a deadline ahead of now: state and time no schema states (422 naming
# the field). tests/api/test_relayed_signers.py pins the rules; every other check runs.
checks.positive_data_acceptance.enabled = false

[[operations]]
include-name = "POST /v1/issuers/{{address}}/signers/{{key}}/remove"
# As for adding a key: the root key's signature, the registry's nonce, a deadline ahead.
checks.positive_data_acceptance.enabled = false
"""


def _address(raw: bytes, form: str) -> str:
    """An address in one of the three forms the service accepts."""
    lower = "0x" + raw.hex()
    if form == "eip55":
        return to_checksum_address(lower)
    return lower if form == "lower" else "0x" + raw.hex().upper()


# The checksum rule the schema names (`format: eip55-address`) but cannot compute.
schemathesis.openapi.format(
    ADDRESS_FORMAT,
    st.builds(
        _address, st.binary(min_size=20, max_size=20), st.sampled_from(("lower", "upper", "eip55"))
    ),
)


def _core_accepts(item: object) -> bool:
    """Whether one submission keeps the core's rules that no JSON Schema can state.

    Metadata: nesting depth, field names (length, characters) at every level, string
    lengths, integers within ±2^53, expiresOn not before issuedOn, the 16 KiB canonical
    size; `public` naming fields of that metadata; a JSON certificate that RFC 8785 can
    canonicalise; a receipt that loads strictly (hex lengths, checksums, times). The unit
    tests of `notary.core` pin these rules.
    """
    if not isinstance(item, dict):
        return True
    try:
        metadata = item.get("metadata")
        if isinstance(metadata, str):  # a form field: JSON text
            metadata = parse_json(metadata) if metadata else None
        if isinstance(metadata, dict):
            validate_metadata(metadata)
        public = item.get("public")
        if isinstance(public, str):  # a form field: comma-separated names
            public = [name.strip() for name in public.split(",")]
        if isinstance(public, list) and isinstance(metadata, dict | None):
            with_public(metadata, public)
        if isinstance(item.get("document"), dict):
            json_document_digest(item["document"])
        receipt = item.get("receipt")
        if isinstance(receipt, str):  # a form field: JSON text
            Receipt.from_json(receipt)
        elif isinstance(receipt, dict):
            Receipt.from_dict(receipt)
    except FormatError:
        return False
    return True


def _within_service_rules(case: Case) -> bool:
    """Whether a positive case keeps the rules of state and time no schema can state.

    An Idempotency-Key sent again with another body (generated cases reuse the example's)
    is refused with 422, as the IETF draft says; a verification form with both a file and
    a digest is ambiguous (422); a submission's signature counts only from an issuer with
    signing keys on chain, made by one of them over these documents, and names the key's
    own issuer. tests/api/test_documents.py, test_verify.py and test_signed_documents.py
    pin these rules.
    """
    body = case.body if isinstance(case.body, dict | list) else None
    if case.headers and "Idempotency-Key" in case.headers:
        return False
    if isinstance(body, dict) and any(body.get(f) for f in SIGNATURE_FIELDS):
        return False
    return not (
        case.path == "/v1/verify"
        and isinstance(body, dict)
        and "file" in body
        and body.get("digest")
    )


SIGNATURE_FIELDS = ("signature", "leavesRoot", "issuer")


def _examples_unsigned(context: HookContext, examples: list[Case]) -> None:
    """The examples phase fills the fields an example leaves out (the upload form's
    signature fields) and applies no case filter: the fuzzing issuer does not sign, so
    they are left out of its examples instead."""
    for case in examples:
        if isinstance(case.body, dict):
            for name in SIGNATURE_FIELDS:
                case.body.pop(name, None)


def _within_core_rules(context: HookContext, case: Case) -> bool:
    """Leave out the positive cases whose bodies break those rules; keep every other case."""
    if not _within_service_rules(case):
        return False
    if case.meta is None or case.meta.generation.mode is not GenerationMode.POSITIVE:
        return True
    body = case.body
    items = body.get("documents") if isinstance(body, dict) else None
    return all(map(_core_accepts, items if isinstance(items, list) else [body]))


@dataclass
class Outcome:
    """What one role's run did and found."""

    cases: int = 0
    operations: set[str] = field(default_factory=set)
    failures: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def run_schemathesis(app: FastAPI, headers: dict[str, str]) -> Outcome:
    """Every phase over every operation with these headers; each distinct failure once."""
    schema = schemathesis.openapi.from_asgi(
        "/openapi.json", app, config=SchemathesisConfig.from_str(CONFIG)
    )
    schema.hook("filter_case")(_within_core_rules)
    schema.hook("before_add_examples")(_examples_unsigned)
    if headers:
        schema.config.update(headers=headers)
    out = Outcome()
    started = time.perf_counter()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            out.cases += len(event.recorder.cases)
            if event.status is not Status.SKIP and event.label:
                out.operations.add(event.label)
            for nodes in event.recorder.checks.values():
                for node in nodes:
                    if node.failure_info is not None:
                        failure = node.failure_info.failure
                        key = f"{failure.code} {event.label}: {failure.title}"
                        out.failures.setdefault(
                            key, f"{failure.message}\n{node.failure_info.code_sample}"[:1500]
                        )
        elif isinstance(event, events.NonFatalError):
            out.failures.setdefault(f"error {event.label}", event.info.format()[:1500])
        elif isinstance(event, events.FatalError):
            out.failures.setdefault("fatal", repr(event.exception))
    out.seconds = time.perf_counter() - started
    return out


@pytest.fixture(scope="module")
def fuzz_app(
    w3: Web3, api_chain: tuple[Registry, LocalAccount], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[FastAPI, dict[str, dict[str, str]]]]:
    """An app on a store of its own, with an issuer and its key, a document and a batch."""
    registry, anchorer = api_chain
    tmp = tmp_path_factory.mktemp("fuzz")
    # No worker runs on this store: nothing is sent to the chain with the anchoring key.
    # The production upload limit: a bulk body of the 10,000 documents the schema allows
    # (the coverage phase sends one) is larger than the tier's 1 MiB.
    settings = api_settings(
        tmp, w3, registry.address, anchorer, max_upload_bytes=DEFAULT_MAX_UPLOAD_BYTES
    )
    upgrade(settings.resolved_database_url)
    store = open_store(settings.resolved_database_url)
    app = create_app(settings)
    try:
        with TestClient(app) as client:
            env = ApiEnv(client, settings, registry, store)
            issuer = env.new_issuer("Fuzzing agency")
            env.notarise(issuer, {"documentType": "permit"})
            seal_due_batches(store, batch_interval_s=0)  # batch 1: sealed, not anchored
            roles = {"issuer": issuer.headers, "admin": env.admin, "anonymous": {}}
        yield app, roles
    finally:
        store.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("role", ["issuer", "admin", "anonymous"])
def test_api_conforms(fuzz_app: tuple[FastAPI, dict[str, dict[str, str]]], role: str) -> None:
    app, roles = fuzz_app
    out = run_schemathesis(app, roles[role])
    print(f"{role}: {out.cases} cases, {len(out.operations)} operations, {out.seconds:.1f} s")
    assert len(out.operations) >= 20 and out.cases >= 20 * MAX_EXAMPLES
    details = "\n\n".join(f"{k}\n{v}" for k, v in sorted(out.failures.items()))
    assert not out.failures, f"{role}: {sorted(out.failures)}\n\n{details}"
