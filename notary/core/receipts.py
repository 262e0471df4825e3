"""The notary receipt (formats ``notary-receipt-v1`` and ``-v2``): typed model, JSON and
strict loading.

A receipt carries everything needed to verify a document with no help from the service.
Version 2 is version 1 plus ``issuerSignature``: what checks offline that the issuer's own
key signed the document (the signing key's address, its EIP-712 signature of
``Submission(issuer, leavesRoot)``, the submission's ``leavesRoot`` and the document's path
to it, and the registry's signing domain, which is the receipt's anchor registry); a
document its issuer did not sign keeps a version 1 receipt, and both keep verifying.
Their JSON Schemas are published as ``notary/schemas/receipt-v1.json`` and ``-v2.json``.

What the service signature covers (so an auditor can reproduce it): the RFC 8785
canonical JSON of the whole receipt object with the single member ``service.signature``
removed, signed with Ed25519 as is, no prefix and no pre-hash. With jq and any JCS tool:
``jq -c 'del(.service.signature)' r.json | <rfc8785 canonicaliser>``. ``service.keyId`` is
inside the signed bytes, so a signature cannot be moved to another key.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from notary.core import _strict as s
from notary.core.errors import FormatError, VerificationError
from notary.core.issuer_signing import (
    DOMAIN_NAME,
    DOMAIN_VERSION,
    SIGNATURE_LENGTH,
    RegistryDomain,
    SubmissionRoot,
)
from notary.core.merkle import LEAF_ENCODING, leaf_hash, process_proof
from notary.core.metadata import canonical_json, parse_json
from notary.core.types import Address, Digest, Hash32, Leaf, LeafValues, Root

FORMAT = "notary-receipt-v1"
FORMAT_V2 = "notary-receipt-v2"
FORMATS = (FORMAT, FORMAT_V2)
MAX_RECEIPT_BYTES = 1 << 20
"""Largest receipt file accepted; real ones are a few kilobytes."""
MAX_PROOF_LENGTH = 64
"""No tree this service can build is deeper than 64 levels."""
Status = Literal["pending", "anchored"]
_KEY_ID = re.compile(r"[0-9a-f]{16}")
_RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)")


@dataclass(frozen=True)
class AnchorInfo:
    """Where and when the receipt's root was anchored."""

    chain_id: int
    contract: str
    tx_hash: Hash32
    block_number: int
    block_hash: Hash32
    timestamp: int
    """Block timestamp, seconds since the Unix epoch."""

    @property
    def chain(self) -> str:
        """CAIP-2 chain id, e.g. ``eip155:31337``."""
        return f"eip155:{self.chain_id}"


@dataclass(frozen=True)
class IssuerInfo:
    """The issuer's address and display name at the time of notarisation."""

    address: str
    name: str


@dataclass(frozen=True)
class ServiceInfo:
    """Who issued the receipt, its batch, its promise (pending) and its signature."""

    id: str
    key_id: str | None = None
    batch: str | None = None
    promised_by: str | None = None
    """Pending receipts: RFC 3339 time by which the service promises to anchor."""
    signature: bytes | None = None


@dataclass(frozen=True)
class IssuerSignature:
    """The issuer's own signature of the submission the document came in (receipt v2)."""

    signer: Address
    """The signing key (an address the issuer authorised on the registry)."""
    signature: bytes
    """EIP-712 signature of ``Submission(issuer, leaves_root)``: 65 bytes ``r ‖ s ‖ v``."""
    leaves_root: SubmissionRoot
    path: tuple[bytes, ...]
    """The document's leaf up to ``leaves_root`` (sorted pairs); empty when it is the root."""
    domain: RegistryDomain
    """The registry whose domain the signature is in: the one the receipt is anchored on."""


@dataclass(frozen=True)
class Receipt:
    """A receipt; ``status`` is "anchored" exactly when proof, root and anchor are present;
    its format is version 2 exactly when it carries the issuer's signature."""

    values: LeafValues
    leaf: Leaf
    issuer: IssuerInfo
    service: ServiceInfo
    metadata: Mapping[str, Any] | None = None
    proof: tuple[bytes, ...] | None = None
    root: Root | None = None
    anchor: AnchorInfo | None = None
    issuer_signature: IssuerSignature | None = None

    @classmethod
    def pending(
        cls,
        values: LeafValues,
        issuer_name: str,
        service: ServiceInfo,
        metadata: Mapping[str, Any] | None = None,
        issuer_signature: IssuerSignature | None = None,
    ) -> Receipt:
        """A new pending receipt; the leaf is computed from the values."""
        return cls(
            values,
            leaf_hash(values),
            IssuerInfo(values.issuer, issuer_name),
            service,
            dict(metadata) if metadata is not None else None,
            issuer_signature=issuer_signature,
        )

    @property
    def format(self) -> str:
        """``notary-receipt-v2`` when it carries the issuer's signature, else ``-v1``."""
        return FORMAT if self.issuer_signature is None else FORMAT_V2

    @property
    def status(self) -> Status:
        """ "anchored" once the root is on chain, "pending" before."""
        return "anchored" if self.anchor is not None else "pending"

    def anchored(self, anchor: AnchorInfo, proof: Sequence[bytes], root: Root) -> Receipt:
        """The anchored form of this receipt (unsigned: the caller signs it again)."""
        if process_proof(self.leaf, proof) != root.raw:
            raise VerificationError(
                f"the proof does not lead from leaf {self.leaf.hex} to {root.hex}"
            )
        service = dataclasses.replace(self.service, promised_by=None, signature=None)
        return dataclasses.replace(
            self, proof=tuple(proof), root=root, anchor=anchor, service=service
        )

    def with_signature(self, key_id: str, signature: bytes | None) -> Receipt:
        """A copy carrying the given key id and signature."""
        service = dataclasses.replace(self.service, key_id=key_id, signature=signature)
        return dataclasses.replace(self, service=service)

    def signing_payload(self) -> bytes:
        """The exact bytes the Ed25519 signature covers (see the module docstring)."""
        data = self.to_dict()
        data["service"].pop("signature", None)
        return canonical_json(data)

    def to_dict(self) -> dict[str, Any]:
        """The receipt as a JSON-ready dict, keys in their documented order."""
        out: dict[str, Any] = {
            "format": self.format,
            "status": self.status,
            "leafEncoding": list(LEAF_ENCODING),
            "values": self.values.to_hex(),
            "leaf": self.leaf.hex,
        }
        if self.proof is not None and self.root is not None:
            out["proof"] = ["0x" + p.hex() for p in self.proof]
            out["root"] = self.root.hex
        if self.metadata is not None:
            out["metadata"] = dict(self.metadata)
        if self.anchor is not None:
            a = self.anchor
            out["anchor"] = {
                "chain": a.chain,
                "chainId": a.chain_id,
                "contract": a.contract,
                "txHash": a.tx_hash.hex,
                "blockNumber": a.block_number,
                "blockHash": a.block_hash.hex,
                "timestamp": a.timestamp,
            }
        out["issuer"] = {"address": self.issuer.address, "name": self.issuer.name}
        if self.issuer_signature is not None:
            out["issuerSignature"] = issuer_signature_json(self.issuer_signature)
        sv = self.service
        service: dict[str, Any] = {"id": sv.id}
        for key, value in (
            ("keyId", sv.key_id),
            ("batch", sv.batch),
            ("promisedBy", sv.promised_by),
        ):
            if value is not None:
                service[key] = value
        if sv.signature is not None:
            service["signature"] = "0x" + sv.signature.hex()
        out["service"] = service
        return out

    def to_json(self) -> str:
        """Pretty JSON (UTF-8 text, names in Vietnamese stay readable)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> Receipt:
        """Load a receipt strictly; any problem is a FormatError naming the field."""
        if len(text) > MAX_RECEIPT_BYTES:
            raise FormatError("$", f"larger than {MAX_RECEIPT_BYTES} bytes")
        return cls.from_dict(parse_json(text))

    @classmethod
    def from_dict(cls, data: object) -> Receipt:
        """Validate a parsed JSON value as a v1 or v2 receipt."""
        top: tuple[str, ...] = ("format", "status", "leafEncoding", "values", "leaf", "issuer")
        top += ("service",)
        if not isinstance(data, Mapping):
            raise FormatError("$", "expected a JSON object")
        version = data.get("format")
        if version not in FORMATS:
            raise FormatError(
                "format",
                f"unknown receipt format {version!r}, expected {FORMAT!r} or {FORMAT_V2!r}",
            )
        if version == FORMAT_V2:
            top += ("issuerSignature",)
        d = s.obj(data, "", top, ("proof", "root", "metadata", "anchor"))
        status = d["status"]
        if status not in ("pending", "anchored"):
            raise FormatError("status", 'expected "pending" or "anchored"')
        if d["leafEncoding"] != list(LEAF_ENCODING):
            raise FormatError("leafEncoding", f"expected {list(LEAF_ENCODING)}")
        raw_values = s.array(d["values"], "values", 3)
        if len(raw_values) != 3:
            raise FormatError("values", "expected [digest, issuer, metadataDigest]")
        values = LeafValues(
            s.bytes32(raw_values[0], "values[0]", Digest),
            s.address(raw_values[1], "values[1]"),
            s.bytes32(raw_values[2], "values[2]", Digest),
        )
        present = [k for k in ("proof", "root", "anchor") if k in d]
        if status == "anchored" and len(present) != 3:
            missing = next(k for k in ("proof", "root", "anchor") if k not in d)
            raise FormatError(missing, "required when status is anchored")
        if status == "pending" and present:
            raise FormatError(present[0], "not allowed when status is pending")
        proof = root = anchor = None
        if status == "anchored":
            items = s.array(d["proof"], "proof", MAX_PROOF_LENGTH)
            proof = tuple(s.hexbytes(p, f"proof[{i}]", 32) for i, p in enumerate(items))
            root = s.bytes32(d["root"], "root", Root)
            anchor = _anchor(d["anchor"])
        metadata = None
        if "metadata" in d:
            if not isinstance(d["metadata"], Mapping):
                raise FormatError("metadata", "expected an object")
            metadata = dict(d["metadata"])  # free-form; only its digest is checked, in verify
            try:
                canonical_json(metadata)
            except FormatError as exc:
                raise FormatError("metadata", exc.message) from None
        leaf = s.bytes32(d["leaf"], "leaf", Leaf)
        issuer = _issuer(d["issuer"])
        signed = _issuer_signature(d["issuerSignature"], anchor) if "issuerSignature" in d else None
        return cls(
            values,
            leaf,
            issuer,
            _service(d["service"], status),
            metadata,
            proof,
            root,
            anchor,
            signed,
        )


def _anchor(value: object) -> AnchorInfo:
    keys = ("chain", "chainId", "contract", "txHash", "blockNumber", "blockHash", "timestamp")
    a = s.obj(value, "anchor", keys)
    chain_id = s.integer(a["chainId"], "anchor.chainId", minimum=1)
    if a["chain"] != f"eip155:{chain_id}":
        raise FormatError("anchor.chain", f'expected "eip155:{chain_id}" (CAIP-2 of chainId)')
    return AnchorInfo(
        chain_id,
        s.address(a["contract"], "anchor.contract"),
        s.bytes32(a["txHash"], "anchor.txHash", Hash32),
        s.integer(a["blockNumber"], "anchor.blockNumber"),
        s.bytes32(a["blockHash"], "anchor.blockHash", Hash32),
        s.integer(a["timestamp"], "anchor.timestamp"),
    )


def _issuer(value: object) -> IssuerInfo:
    i = s.obj(value, "issuer", ("address", "name"))
    return IssuerInfo(s.address(i["address"], "issuer.address"), s.string(i["name"], "issuer.name"))


def _issuer_signature(value: object, anchor: AnchorInfo | None) -> IssuerSignature:
    keys = ("signer", "signature", "leavesRoot", "path", "domain")
    v = s.obj(value, "issuerSignature", keys)
    signer = s.address(v["signer"], "issuerSignature.signer")
    signature = s.hexbytes(v["signature"], "issuerSignature.signature", SIGNATURE_LENGTH)
    leaves_root = s.bytes32(v["leavesRoot"], "issuerSignature.leavesRoot", SubmissionRoot)
    items = s.array(v["path"], "issuerSignature.path", MAX_PROOF_LENGTH)
    path = tuple(s.hexbytes(p, f"issuerSignature.path[{i}]", 32) for i, p in enumerate(items))
    field = "issuerSignature.domain"
    d = s.obj(v["domain"], field, ("name", "version", "chainId", "verifyingContract"))
    for key, wanted in (("name", DOMAIN_NAME), ("version", DOMAIN_VERSION)):
        if d[key] != wanted:
            raise FormatError(f"{field}.{key}", f"expected {wanted!r}")
    chain_id = s.integer(d["chainId"], f"{field}.chainId", minimum=1)
    contract = s.address(d["verifyingContract"], f"{field}.verifyingContract")
    if anchor is not None and chain_id != anchor.chain_id:
        raise FormatError(f"{field}.chainId", "expected the anchor's chainId")
    if anchor is not None and contract != anchor.contract:
        raise FormatError(f"{field}.verifyingContract", "expected the anchor's contract")
    return IssuerSignature(
        signer, signature, leaves_root, path, RegistryDomain.of(chain_id, contract)
    )


def issuer_signature_json(signed: IssuerSignature) -> dict[str, Any]:
    """A v2 receipt's ``issuerSignature`` as JSON."""
    return {
        "signer": signed.signer,
        "signature": "0x" + signed.signature.hex(),
        "leavesRoot": signed.leaves_root.hex,
        "path": ["0x" + p.hex() for p in signed.path],
        "domain": {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": signed.domain.chain_id,
            "verifyingContract": signed.domain.verifying_contract,
        },
    }


def _service(value: object, status: str) -> ServiceInfo:
    keys = ("id",) + (("promisedBy",) if status == "pending" else ())
    v = s.obj(value, "service", keys, ("keyId", "batch", "signature"))
    key_id = v.get("keyId")
    if "keyId" in v and not (isinstance(key_id, str) and _KEY_ID.fullmatch(key_id)):
        raise FormatError("service.keyId", "expected 16 lower-case hex digits")
    promised = None
    if "promisedBy" in v:
        promised = s.string(v["promisedBy"], "service.promisedBy", 40)
        if not _RFC3339.fullmatch(promised) or not _valid_time(promised):
            raise FormatError("service.promisedBy", "expected an RFC 3339 date-time")
    batch = s.string(v["batch"], "service.batch") if "batch" in v else None
    signature = s.hexbytes(v["signature"], "service.signature", 64) if "signature" in v else None
    if signature is not None and key_id is None:
        raise FormatError("service.keyId", "required when there is a signature")
    return ServiceInfo(s.string(v["id"], "service.id"), key_id, batch, promised, signature)


def _valid_time(text: str) -> bool:
    """Whether an RFC 3339 date-time names a real moment (its offset too: at most 23:59)."""
    try:
        dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    offset = text[-6:]
    return text.endswith("Z") or (int(offset[1:3]) <= 23 and int(offset[4:6]) <= 59)
