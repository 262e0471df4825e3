"""Adversarial suite, documents: hostile submission and verification bodies (JSON and
multipart) are refused with a problem naming where, never a traceback and never a stored
document; markup in metadata is data; and no issuer reaches another's document, receipt,
label or revocation."""

from __future__ import annotations

import importlib
import json
import os
import threading
from pathlib import Path
from typing import Any

import httpx2
import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from api.routers.documents import MAX_BULK_ITEM_CHARS, MAX_JSON_SUBMISSION_BYTES
from api.routers.verify import MAX_VERIFY_JSON
from notary.chain import Registry
from notary.pipeline.accept import MAX_BULK_DOCUMENTS
from tests.api.conftest import ApiEnv, Issuer, app_env

PROBLEM = "application/problem+json"
DIGEST = '"0x' + "c1" * 32 + '"'


def problem(r: httpx2.Response, status: int, field: str | None) -> dict[str, Any]:
    """The problem document of `r`, checked: its status, media type and field."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = r.json()
    assert body["status"] == status and body.get("field") == field, body
    assert "Traceback" not in r.text
    return body


def post_json(api: ApiEnv, path: str, content: bytes, issuer: Issuer | None) -> httpx2.Response:
    headers = {"Content-Type": "application/json", **(issuer.headers if issuer else {})}
    return api.client.post(path, content=content, headers=headers)


def submission(metadata: str) -> bytes:
    return ('{"digest": ' + DIGEST + ', "metadata": ' + metadata + "}").encode()


def stored(api: ApiEnv, issuer: Issuer) -> int:
    """How many documents the issuer has: what a refused request must leave unchanged."""
    r = api.client.post("/v1/verify", json={"digest": DIGEST.strip('"'), "issuer": issuer.address})
    return 0 if r.json().get("failedStep") == "digest" else 1


# -- JSON submissions ------------------------------------------------------------------------

DEEP_JSON = "[" * 100 + "]" * 100
DEEP_METADATA = '{"a":' * 9 + "1" + "}" * 9


@pytest.mark.parametrize(
    ("content", "status", "field"),
    [
        (submission('{"n": NaN}'), 400, "$"),
        (submission('{"n": Infinity}'), 400, "$"),
        (submission('{"n": -Infinity}'), 400, "$"),
        (submission('{"a": 1, "a": 2}'), 400, "$"),
        (b'{"digest": ' + DIGEST.encode() + b', "digest": ' + DIGEST.encode() + b"}", 400, "$"),
        (submission('{"deep": ' + DEEP_JSON + "}"), 400, "$"),
        (submission(DEEP_METADATA), 422, "metadata" + ".a" * 8),
        (b'{"digest": ' + DIGEST.encode() + b', "metadata": {"n": "\xff\xfe"}}', 400, "$"),
        (submission('{"n": "ab\\ud800cd"}'), 400, "$"),  # valid JSON text, not Unicode
        (submission('{"ab\\udfffcd": 1}'), 400, "$"),
        (submission('{"n": 9007199254740992}'), 422, "metadata.n"),
        (submission('{"n": ' + "9" * 5000 + "}"), 400, "$"),
        (submission('{"n": 1e400}'), 422, "metadata.n"),
        (submission('{"ab\\u0000cd": 1}'), 422, "metadata.ab\\u0000cd"),
        (submission('{"ab\\u202ecd": 1}'), 422, "metadata.ab\\u202ecd"),
        (submission('{"' + "k" * 65 + '": 1}'), 422, "metadata"),
        (submission("{" + ",".join(f'"f{i}": {i}' for i in range(65)) + "}"), 422, "metadata"),
        (submission('{"n": "' + "x" * 4097 + '"}'), 422, "metadata.n"),
        (submission('{"salt": "not hex"}'), 422, "metadata.salt"),
        (submission('{"issuedOn": "2026-02-30"}'), 422, "metadata.issuedOn"),
        (submission("[1, 2]"), 422, "metadata"),
        (b'{"digest": ' + DIGEST.encode() + b"} trailing", 400, "$"),
        (b'{"digest": ' + DIGEST.encode() + b', "__proto__": {"admin": true}}', 422, "__proto__"),
    ],
    ids=[
        "nan",
        "infinity",
        "minus-infinity",
        "duplicate-metadata-key",
        "duplicate-top-key",
        "json-depth",
        "metadata-depth",
        "invalid-utf8",
        "lone-surrogate-value",
        "lone-surrogate-key",
        "integer-past-2^53",
        "huge-integer",
        "huge-float",
        "nul-in-key",
        "bidi-in-key",
        "long-key",
        "many-fields",
        "long-string",
        "bad-salt",
        "bad-date",
        "metadata-array",
        "trailing",
        "proto-top-level",
    ],
)
def test_hostile_json_submissions_are_problems(
    api: ApiEnv, issuer: Issuer, content: bytes, status: int, field: str
) -> None:
    problem(post_json(api, "/v1/documents", content, issuer), status, field)
    assert stored(api, issuer) == 0


def test_proto_as_a_metadata_key_is_plain_data(api: ApiEnv, issuer: Issuer) -> None:
    metadata = {"__proto__": {"polluted": True}, "constructor": "x", "documentNumber": "1"}
    body = {"digest": "0x" + os.urandom(32).hex(), "metadata": metadata, "public": ["__proto__"]}
    r = api.client.post("/v1/documents", json=body, headers=issuer.headers)
    assert r.status_code == 202, r.text
    assert r.json()["receipt"]["metadata"]["__proto__"] == {"polluted": True}
    shown = api.client.post("/v1/verify", json={"leaf": r.json()["leaf"]}).json()
    assert shown["metadata"] == {"__proto__": {"polluted": True}}


def test_an_oversize_json_body_is_cut_off(api: ApiEnv, issuer: Issuer) -> None:
    limit = api.settings.max_upload_bytes
    content = submission('{"pad": "' + "x" * 100 + '"}').replace(b" ", b" " * limit, 1)
    problem(post_json(api, "/v1/documents", content, issuer), 413, None)
    problem(post_json(api, "/v1/documents:bulk", content, issuer), 413, None)


def test_a_json_submission_over_its_own_bound_is_cut_off(
    w3: Web3, api_chain: tuple[Registry, LocalAccount], tmp_path: Path
) -> None:
    """1 MiB for a JSON submission, below a body bound that lets a 4 MiB file through."""
    with app_env(w3, api_chain, tmp_path, max_upload_bytes=4 << 20) as roomy:
        issuer = roomy.new_issuer()
        content = submission('{"pad": "' + "x" * MAX_JSON_SUBMISSION_BYTES + '"}')
        problem(post_json(roomy, "/v1/documents", content, issuer), 413, None)


def bulk(*items: bytes) -> bytes:
    return b'{"documents": [' + b", ".join(items) + b"]}"


ITEM = b'{"digest": ' + DIGEST.encode() + b"}"


@pytest.mark.parametrize(
    ("content", "status", "field"),
    [
        (bulk(b'{"digest": ' + DIGEST.encode() + b', "metadata": {"n": NaN}}'), 400, "$"),
        (
            bulk(b'{"digest": ' + DIGEST.encode() + b', "digest": ' + DIGEST.encode() + b"}"),
            400,
            "$",
        ),
        (
            bulk(ITEM, b'{"digest": ' + DIGEST.encode() + b', "m": ' + DEEP_JSON.encode() + b"}"),
            400,
            "$",
        ),
        (bulk(ITEM) + b" trailing", 400, "$"),
        (bulk(ITEM, b'{"digest": "\xff"}'), 400, "$"),
        (bulk(ITEM, b'{"digest": }'), 400, "$"),
        (bulk(*[ITEM] * (MAX_BULK_DOCUMENTS + 1)), 422, "documents"),
        (bulk(*[ITEM] * MAX_BULK_DOCUMENTS, b"never read"), 422, "documents"),
        (
            bulk(
                b'{"digest": '
                + DIGEST.encode()
                + b', "pad": "'
                + b"x" * MAX_BULK_ITEM_CHARS
                + b'"}'
            ),
            422,
            "documents[0]",
        ),
        (b'[{"digest": ' + DIGEST.encode() + b"}]", 422, "$"),
        (b'{"documents": [], "documents": []}', 400, "$"),
    ],
    ids=[
        "nan",
        "duplicate-key",
        "json-depth",
        "trailing",
        "invalid-utf8",
        "broken-item",
        "one-too-many",
        "past-the-bound-never-read",
        "item-too-long",
        "not-an-object",
        "duplicate-documents",
    ],
)
def test_hostile_bulk_bodies_are_problems(
    api: ApiEnv, issuer: Issuer, content: bytes, status: int, field: str
) -> None:
    problem(post_json(api, "/v1/documents:bulk", content, issuer), status, field)
    assert stored(api, issuer) == 0


@pytest.mark.parametrize(
    ("module", "name", "path", "body"),
    [
        ("documents", "_bulk_body", "/v1/documents:bulk", bulk(ITEM)),
        ("documents", "parse_object", "/v1/documents", submission("{}")),
        ("verify", "_json_input", "/v1/verify", b'{"digest": ' + DIGEST.encode() + b"}"),
    ],
    ids=["bulk", "single", "verify"],
)
def test_json_bodies_are_parsed_off_the_event_loop(
    api: ApiEnv,
    issuer: Issuer,
    monkeypatch: pytest.MonkeyPatch,
    module: str,
    name: str,
    path: str,
    body: bytes,
) -> None:
    """While a body is being parsed, /healthz is answered: the parse holds a worker thread,
    not the loop (were it on the loop, /healthz could not be answered until it gave up)."""
    routers = importlib.import_module(f"api.routers.{module}")
    parse = getattr(routers, name)
    parsing, answered = threading.Event(), threading.Event()
    saw_answer: list[bool] = []

    def instrumented(*args: Any, **kwargs: Any) -> Any:
        parsing.set()
        saw_answer.append(answered.wait(timeout=30))
        return parse(*args, **kwargs)

    monkeypatch.setattr(routers, name, instrumented)
    results: list[httpx2.Response] = []
    sender = threading.Thread(target=lambda: results.append(post_json(api, path, body, issuer)))
    sender.start()
    try:
        assert parsing.wait(timeout=30)
        assert api.client.get("/healthz").status_code == 200
    finally:
        answered.set()
        sender.join(timeout=60)
    assert saw_answer == [True]
    assert results[0].status_code in (200, 202), results[0].text


# -- multipart submissions -------------------------------------------------------------------


def form(api: ApiEnv, issuer: Issuer, files: Any, data: Any = None) -> httpx2.Response:
    return api.client.post("/v1/documents", files=files, data=data, headers=issuer.headers)


def test_an_oversize_file_is_cut_off(api: ApiEnv, issuer: Issuer) -> None:
    big = b"x" * (api.settings.max_upload_bytes + 1)
    problem(form(api, issuer, {"file": ("big.pdf", big)}), 413, None)


def test_an_oversize_metadata_field_is_cut_off_naming_it(
    w3: Web3, api_chain: tuple[Registry, LocalAccount], tmp_path: Path
) -> None:
    """A form field's own bound (1 MiB), below a body bound that allows more."""
    with app_env(w3, api_chain, tmp_path, max_upload_bytes=4 << 20) as roomy:
        issuer = roomy.new_issuer()
        metadata = json.dumps({"n": "x" * (1 << 20)})
        files = {"file": ("a.pdf", b"a")}
        problem(form(roomy, issuer, files, {"metadata": metadata}), 413, "metadata")


@pytest.mark.parametrize(
    ("files", "status", "field"),
    [
        ([("file", ("a", b"a")), ("file", ("b", b"b"))], 422, "file"),
        (
            [("file", ("a", b"a")), ("metadata", (None, b"{}")), ("metadata", (None, b"{}"))],
            422,
            "metadata",
        ),
        ([("file", ("a", b"a")), ("extra", (None, b"x"))], 422, "extra"),
        ([("file", ("a", b"a")), ("metadata", (None, b'{"n": "\xff"}'))], 422, "metadata"),
        ([("file", ("a", b"a")), ("metadata", (None, b'{"n": NaN}'))], 422, "metadata"),
        ([("file", ("a", b"a")), ("metadata", (None, b'{"a": 1, "a": 2}'))], 422, "metadata"),
        ([("file", ("a", b"a")), ("metadata", (None, b"[" * 100 + b"]" * 100))], 422, "metadata"),
        ([("file", ("a", b""))], 422, "file"),
        ([("metadata", (None, b"{}"))], 422, "file"),
    ],
    ids=[
        "two-files",
        "field-twice",
        "unknown-field",
        "invalid-utf8",
        "nan",
        "duplicate-key",
        "deep",
        "empty-file",
        "no-file",
    ],
)
def test_hostile_forms_are_problems(
    api: ApiEnv, issuer: Issuer, files: Any, status: int, field: str
) -> None:
    problem(form(api, issuer, files), status, field)


# -- verification bodies ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "status", "field"),
    [
        (b'{"leaf": NaN}', 400, "$"),
        (b'{"receipt": {"format": "notary-receipt-v1", "a": 1, "a": 2}}', 400, "$"),
        (b'{"receipt": ' + b"[" * 100 + b"]" * 100 + b"}", 400, "$"),
        (b'{"digest": "\xff"}', 400, "$"),
        (b'{"digest": "ab\\ud800"}', 422, "digest"),
        (b'{"leaf": 1' + b"0" * 5000 + b"}", 400, "$"),
        (b'{"receipt": {"format": "notary-receipt-v9"}}', 422, "receipt.format"),
        (b'{"leaf": "0x' + b"ab" * 32 + b'", "__proto__": {}}', 422, "__proto__"),
        (b'{"digest": "0x' + b"ab" * 32 + b'", "issuer": "0x' + b"0" * 40 + b'"}', 200, None),
    ],
    ids=[
        "nan",
        "duplicate-key",
        "deep",
        "invalid-utf8",
        "lone-surrogate",
        "huge-integer",
        "unknown-format",
        "proto",
        "zero-issuer",
    ],
)
def test_hostile_verification_bodies_are_problems(
    api: ApiEnv, content: bytes, status: int, field: str | None
) -> None:
    r = post_json(api, "/v1/verify", content, None)
    if status == 200:  # asking about the zero address is a question, answered: no such document
        assert r.status_code == 200 and r.json()["verdict"] == "INVALID", r.text
        return
    problem(r, status, field)


def test_an_oversize_verification_body_is_cut_off(api: ApiEnv) -> None:
    content = b'{"leaf": "0x' + b"ab" * 32 + b'"' + b" " * MAX_VERIFY_JSON + b"}"
    problem(post_json(api, "/v1/verify", content, None), 413, None)
    receipt = '{"format": "' + " " * MAX_VERIFY_JSON + '"}'
    r = api.client.post("/v1/verify", files={"file": ("a", b"a")}, data={"receipt": receipt})
    problem(r, 413, "receipt")


# -- markup is data --------------------------------------------------------------------------

XSS = '<img src=x onerror="alert(1)"></script><script>alert(2)</script>'


def test_markup_in_metadata_and_names_never_reaches_the_page_as_markup(api: ApiEnv) -> None:
    """The page embeds its first answer as JSON (`tojson` escapes <, > and &); the browser
    tier (tests/browser/test_verdicts.py) checks that it is shown as text."""
    issuer = api.new_issuer(XSS)
    metadata = {"documentNumber": XSS, "product": "Vải thiều", XSS: "key"}
    body = {"digest": "0x" + os.urandom(32).hex(), "metadata": metadata, "public": [XSS]}
    r = api.client.post("/v1/documents", json=body, headers=issuer.headers)
    assert r.status_code == 202, r.text
    leaf = r.json()["leaf"]
    page = api.client.get(f"/v/{leaf}")
    assert page.status_code == 200
    assert "<script>alert(2)" not in page.text and "<img src=x" not in page.text
    answer = api.client.post("/v1/verify", json={"leaf": leaf}).json()
    assert answer["issuerName"] == XSS and answer["metadata"] == {XSS: "key"}


# -- one issuer, another's documents ---------------------------------------------------------


def test_no_issuer_reaches_another_issuers_document(api: ApiEnv) -> None:
    alice, bob = api.new_issuer("Chi cục Thú y vùng II"), api.new_issuer("Chi cục Thú y vùng VI")
    leaf = api.notarise(alice, {"documentNumber": "A-1"})["leaf"]
    for path in ("", "/receipt", "/qr.svg", "/qr.png"):
        problem(api.client.get(f"/v1/documents/{leaf}{path}", headers=bob.headers), 404, "leaf")
        assert api.client.get(f"/v1/documents/{leaf}{path}", headers=alice.headers).is_success
    label = api.client.get(f"/v/{leaf}/label", headers=bob.headers)
    assert label.status_code == 404
    many = api.client.post("/v1/documents:receipts", json={"leaves": [leaf]}, headers=bob.headers)
    problem(many, 404, "leaves[0]")
    revoke = {"reason": "fraud"}
    denied = api.client.post(f"/v1/documents/{leaf}/revoke", json=revoke, headers=bob.headers)
    problem(denied, 404, "leaf")
    api.drain()
    shown = api.client.post("/v1/verify", json={"leaf": leaf}).json()
    assert shown["verdict"] == "VALID" and shown.get("revokedAt") is None
    # A receipt of alice's document, sent with bob's address as its issuer, fails a step.
    receipt = api.client.get(f"/v1/documents/{leaf}/receipt", headers=alice.headers).json()
    forged = {**receipt, "issuer": {**receipt["issuer"], "address": bob.address}}
    r = api.client.post("/v1/verify", json={"receipt": forged})
    assert r.status_code == 200 and r.json()["verdict"] == "INVALID", r.text
