"""The examples of signing a submission in your own software (docs/agencies.md, which the
README links for agencies) run as written, against
the API tier's service, for an agency with a key on chain: the service accepts them and
keeps the signature of exactly that key."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from web3 import Web3

from notary.chain import TxSender
from notary.core.issuer_signing import IssuerKey
from notary.ops.anvil import free_port
from notary.store.models import Document, Submission
from tests.agency import Agency
from tests.api.conftest import ApiEnv, Issuer, funded
from tests.browser.stack import serve

pytestmark = pytest.mark.anvil

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "agencies.md"


def example(language: str, first_line: str) -> str:
    """The page's code block in `language` that starts with `first_line`."""
    pattern = re.compile(rf"```{language}\n({re.escape(first_line)}.*?)```", re.S)
    found = pattern.findall(PAGE.read_text(encoding="utf-8"))
    assert len(found) == 1, f"docs/agencies.md has {len(found)} such {language} blocks"
    return str(found[0])


def signing_agency(api: ApiEnv, issuer: Issuer, w3: Web3) -> bytes:
    """The issuer registered on chain with one signing key; that key's secret."""
    api.drain()
    secret = os.urandom(32)
    agency = Agency(api.registry, TxSender(api.registry, funded(w3)), IssuerKey(issuer.account.key))
    agency.add_key(IssuerKey(secret))
    return secret


def test_the_python_example_signs_a_submission_the_service_accepts(
    api: ApiEnv,
    issuer: Issuer,
    w3: Web3,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = example("python", "# Sign a submission in Python")
    secret = signing_agency(api, issuer, w3)
    for name in ("permit-1.pdf", "permit-2.pdf"):
        (tmp_path / name).write_bytes(os.urandom(2_000))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NOTARY_SERVER", "http://testserver")
    monkeypatch.setenv("NOTARY_API_KEY", issuer.key)
    monkeypatch.setenv("ISSUER", issuer.address)
    monkeypatch.setenv("SIGNING_KEY", "0x" + secret.hex())
    # httpx2, as the example imports it, reaches the app in this process.
    shim: Any = types.ModuleType("httpx2")
    shim.get, shim.post = api.client.get, api.client.post
    monkeypatch.setitem(sys.modules, "httpx2", shim)
    exec(compile(code, "docs/agencies.md (Python example)", "exec"), {"__name__": "readme_example"})
    printed = capsys.readouterr().out
    signer = IssuerKey(secret).address
    assert f"'signer': '{signer}'" in printed
    root = re.search(r"'leavesRoot': '(0x[0-9a-f]{64})'", printed)
    assert root is not None
    assert stored_signers(api, bytes.fromhex(root.group(1)[2:])) == [signer, signer]


def stored_signers(api: ApiEnv, leaves_root: bytes) -> list[str]:
    """The signer stored for each document of the submission with this root."""
    with api.store.read() as conn:
        rows = conn.execute(
            select(Submission.signer)
            .join(Document, Document.submission_id == Submission.id)
            .where(Submission.leaves_root == leaves_root)
        ).all()
    return [row.signer for row in rows]


def test_the_javascript_example_signs_a_submission_the_service_accepts(
    api: ApiEnv, issuer: Issuer, w3: Web3, tmp_path: Path
) -> None:
    """Run with node against the app served over HTTP, with viem and OpenZeppelin's tree
    from this repository's node_modules."""
    code = example("js", "// Sign a submission in JavaScript")
    secret = signing_agency(api, issuer, w3)
    for name in ("permit-1.pdf", "permit-2.pdf"):
        (tmp_path / name).write_bytes(os.urandom(2_000))
    (tmp_path / "node_modules").symlink_to(ROOT / "node_modules")
    script = tmp_path / "example.mjs"
    script.write_text(code, encoding="utf-8")
    with serve(api.settings, free_port()) as base:
        env = {
            "PATH": os.environ["PATH"],
            "NOTARY_SERVER": base,
            "NOTARY_API_KEY": issuer.key,
            "ISSUER": issuer.address,
            "SIGNING_KEY": "0x" + secret.hex(),
        }
        run = subprocess.run(
            ["node", str(script)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert run.returncode == 0, run.stderr
    signer = IssuerKey(secret).address
    assert f"signer: '{signer}'" in run.stdout, run.stdout
    root = re.search(r"leavesRoot: '(0x[0-9a-f]{64})'", run.stdout)
    assert root is not None
    assert stored_signers(api, bytes.fromhex(root.group(1)[2:])) == [signer, signer]
