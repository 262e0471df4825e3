"""notary.core.issuer_signing against cast's vectors, eth-account and the rules the registry
applies to signatures (OpenZeppelin ECDSA.tryRecover and ecrecover)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st

from notary.core import _secp256k1
from notary.core.errors import FormatError
from notary.core.issuer_signing import (
    ADD_SIGNER_TYPE,
    REMOVE_SIGNER_TYPE,
    REVOCATION_TYPE,
    SUBMISSION_TYPE,
    IssuerKey,
    RegistryDomain,
    SubmissionRoot,
    add_signer_hash,
    in_submission,
    keyed_nonce,
    recover_signer,
    remove_signer_hash,
    revocation_hash,
    submission_hash,
    submission_root,
    submission_signer,
    submission_tree,
)
from notary.core.merkle import leaf_hash
from notary.core.types import Digest, Leaf, LeafValues

REPO = Path(__file__).resolve().parents[3]
VECTORS = json.loads((REPO / "tests/vectors/issuer-signing.json").read_text("utf-8"))
CAST_DIR = REPO / "node_modules/@foundry-rs/cast-linux-amd64/bin"
N = _secp256k1.ORDER

secrets = st.integers(1, N - 1).map(lambda k: k.to_bytes(32, "big"))
digests = st.binary(min_size=32, max_size=32)


def _struct_hash(vector: dict[str, Any]) -> bytes:
    m = vector["message"]
    kind = vector["primaryType"]
    if kind == "Submission":
        return submission_hash(m["issuer"], SubmissionRoot.from_hex(m["leavesRoot"]))
    if kind == "Revocation":
        leaves = [Leaf.from_hex(x) for x in m["leaves"]]
        return revocation_hash(
            m["issuer"], leaves, int(m["reason"]), int(m["nonce"]), int(m["deadline"])
        )
    change = add_signer_hash if kind == "AddSigner" else remove_signer_hash
    return change(m["issuer"], m["key"], int(m["nonce"]), int(m["deadline"]))


# -- known answers (cast, @openzeppelin/merkle-tree) ---------------------------------------


def test_type_strings_are_the_registrys() -> None:
    assert VECTORS["types"] == {
        "Submission": SUBMISSION_TYPE,
        "Revocation": REVOCATION_TYPE,
        "AddSigner": ADD_SIGNER_TYPE,
        "RemoveSigner": REMOVE_SIGNER_TYPE,
    }


def test_domain_separators() -> None:
    for vector in VECTORS["domains"]:
        domain = RegistryDomain.of(vector["chainId"], vector["verifyingContract"])
        assert "0x" + domain.separator.hex() == vector["separator"], vector["command"]


def test_struct_hashes_digests_and_signatures() -> None:
    for vector in VECTORS["signatures"]:
        domain = RegistryDomain.of(vector["chainId"], vector["verifyingContract"])
        struct_hash = _struct_hash(vector)
        assert "0x" + struct_hash.hex() == vector["structHash"], vector["structHashCommand"]
        digest = domain.digest(struct_hash)
        assert "0x" + digest.hex() == vector["digest"], vector["digestCommand"]
        key = IssuerKey(bytes.fromhex(vector["privateKey"][2:]))
        assert key.address == vector["signer"]
        signature = key.sign_digest(digest)  # deterministic (RFC 6979): the same bytes as cast
        assert "0x" + signature.hex() == vector["signature"], vector["command"]
        assert recover_signer(digest, bytes.fromhex(vector["signature"][2:])) == vector["signer"]


def test_submission_trees_match_openzeppelin() -> None:
    for vector in VECTORS["submissionTrees"]:
        values = [
            LeafValues.of(Digest.from_hex(d), a, Digest.from_hex(m)) for d, a, m in vector["values"]
        ]
        leaves = [leaf_hash(v) for v in values]
        assert [leaf.hex for leaf in leaves] == vector["leaves"]
        tree = submission_tree(leaves)
        root = submission_root(tree)
        assert root.hex == vector["root"], vector["command"]
        for i, leaf in enumerate(leaves):
            path = tree.proof(i)
            assert ["0x" + p.hex() for p in path] == vector["proofs"][i]
            assert in_submission(leaf, path, root)


def test_the_submission_signatures_cover_their_trees() -> None:
    roots = {tree["root"] for tree in VECTORS["submissionTrees"]}
    signed = [v for v in VECTORS["signatures"] if v["primaryType"] == "Submission"]
    assert {v["message"]["leavesRoot"] for v in signed} == roots
    for vector in signed:
        domain = RegistryDomain.of(vector["chainId"], vector["verifyingContract"])
        root = SubmissionRoot.from_hex(vector["message"]["leavesRoot"])
        signature = bytes.fromhex(vector["signature"][2:])
        signer = submission_signer(domain, vector["message"]["issuer"], root, signature)
        assert signer == vector["signer"]


def test_vectors_reproduce_with_cast() -> None:
    if not (CAST_DIR / "cast").is_file():
        pytest.fail(f"cast is missing ({CAST_DIR}): run `npm ci`")
    env = {**os.environ, "PATH": f"{CAST_DIR}{os.pathsep}{os.environ['PATH']}"}
    for vector in VECTORS["signatures"][:3] + VECTORS["signatures"][-2:]:
        for command, expected in (
            (vector["command"], vector["signature"]),
            (vector["structHashCommand"], vector["structHash"]),
            (vector["digestCommand"], vector["digest"]),
        ):
            done = subprocess.run(
                command, shell=True, env=env, capture_output=True, text=True, check=True
            )
            assert done.stdout.strip() == expected, command


# -- signatures as the registry takes them --------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(secrets, digests)
def test_sign_and_recover_like_eth_account(secret: bytes, digest: bytes) -> None:
    key = IssuerKey(secret)
    signature = key.sign_digest(digest)
    theirs = Account.unsafe_sign_hash(digest, secret)
    assert signature == bytes(theirs.signature)
    assert key.address == Account.from_key(secret).address
    assert recover_signer(digest, signature) == key.address


@settings(max_examples=100, deadline=None)
@given(secrets, digests)
def test_the_upper_half_s_is_refused(secret: bytes, digest: bytes) -> None:
    signature = IssuerKey(secret).sign_digest(digest)
    s = int.from_bytes(signature[32:64], "big")
    malleated = signature[:32] + (N - s).to_bytes(32, "big") + bytes([55 - signature[64]])
    assert recover_signer(digest, malleated) is None  # ecrecover alone would accept it


@pytest.mark.parametrize(
    "damage",
    [
        lambda sig: sig[:64],  # EIP-2098 compact form: OpenZeppelin's tryRecover refuses it
        lambda sig: sig + b"\x00",
        lambda sig: sig[:64] + b"\x00",  # v 0/1 instead of 27/28
        lambda sig: sig[:64] + b"\x1d",
        lambda sig: bytes(32) + sig[32:],  # r = 0
        lambda sig: sig[:32] + bytes(32) + sig[64:],  # s = 0
        lambda sig: N.to_bytes(32, "big") + sig[32:],  # r = n
        lambda sig: b"",
    ],
)
def test_malformed_signatures_recover_nobody(damage: Any) -> None:
    digest = bytes(range(32))
    signature = IssuerKey((7).to_bytes(32, "big")).sign_digest(digest)
    assert recover_signer(digest, damage(signature)) is None


def test_an_r_off_the_curve_recovers_nobody() -> None:
    # x = 5 is not the x of a secp256k1 point (5^3 + 7 = 132 is not a square mod p).
    signature = (5).to_bytes(32, "big") + (1).to_bytes(32, "big") + b"\x1b"
    assert recover_signer(bytes(32), signature) is None


def test_a_changed_field_recovers_someone_else() -> None:
    domain = RegistryDomain.of(31337, "0x" + "11" * 20)
    key = IssuerKey((9).to_bytes(32, "big"))
    issuer = "0x" + "22" * 20
    root = SubmissionRoot(b"\x33" * 32)
    signature = key.sign_submission(domain, issuer, root)
    assert submission_signer(domain, issuer, root, signature) == key.address
    others = [
        (RegistryDomain.of(1, "0x" + "11" * 20), issuer, root),
        (RegistryDomain.of(31337, "0x" + "12" * 20), issuer, root),
        (domain, "0x" + "23" * 20, root),
        (domain, issuer, SubmissionRoot(b"\x34" * 32)),
    ]
    for other_domain, other_issuer, other_root in others:
        assert submission_signer(other_domain, other_issuer, other_root, signature) != key.address


def test_one_documents_submission_is_its_leaf() -> None:
    leaf = Leaf(b"\x42" * 32)
    tree = submission_tree([leaf])
    assert submission_root(tree).raw == leaf.raw and tree.proof(0) == []
    assert in_submission(leaf, [], submission_root(tree))
    assert not in_submission(Leaf(b"\x43" * 32), [], submission_root(tree))


# -- inputs --------------------------------------------------------------------------------


def test_the_secret_is_never_shown() -> None:
    secret = (0xDEADBEEF).to_bytes(32, "big")
    key = IssuerKey(secret)
    assert secret.hex() not in repr(key) and "deadbeef" not in repr(key).lower()
    with pytest.raises(FormatError, match="private_key") as excinfo:
        IssuerKey(N.to_bytes(32, "big"))
    assert N.to_bytes(32, "big").hex() not in str(excinfo.value)
    with pytest.raises(FormatError, match="private_key"):
        IssuerKey(bytes(32))
    with pytest.raises(FormatError, match="private_key"):
        IssuerKey(b"\x01" * 31)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: submission_hash("0x1234", SubmissionRoot(bytes(32))), "issuer"),
        (lambda: submission_hash("0x" + "11" * 20, bytes(32)), "leavesRoot"),
        (lambda: revocation_hash("0x" + "11" * 20, [Leaf(bytes(32))], 256, 0, 0), "reason"),
        (lambda: revocation_hash("0x" + "11" * 20, [b"\x00" * 32], 1, 0, 0), "leaves"),
        (lambda: revocation_hash("0x" + "11" * 20, [], 1, -1, 0), "nonce"),
        (lambda: add_signer_hash("0x" + "11" * 20, "0x" + "22" * 20, 0, 2**256), "deadline"),
        (lambda: remove_signer_hash("0x" + "11" * 20, "nope", 0, 0), "key"),
        (lambda: RegistryDomain.of(0, "0x" + "11" * 20), "chainId"),
        (lambda: RegistryDomain.of(1, "0x11"), "verifyingContract"),
        (lambda: keyed_nonce(1 << 192, 0), "nonce"),
        (lambda: keyed_nonce(0, 1 << 64), "nonce"),
    ],
)
def test_bad_inputs_name_their_field(call: Any, field: str) -> None:
    with pytest.raises(FormatError) as excinfo:
        call()
    assert excinfo.value.field == field


def test_keyed_nonce_layout() -> None:
    assert keyed_nonce(0, 5) == 5
    assert keyed_nonce(0xABC, 1) == (0xABC << 64) + 1
