"""Typed access to a deployed NotaryRegistry: reads, the one-call verification view,
and the contract calls that the sender signs."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.address import to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError
from web3.types import BlockIdentifier

from notary.chain.artifact import RegistryArtifact, load_artifact
from notary.chain.check_codec import (
    SUPPORTED,
    decode_tuple,
    decode_tuple_pair,
    encode_check_args,
    encode_check_signed_args,
)
from notary.chain.connection import endpoint_of, rpc_guard
from notary.chain.errors import ChainError, ContractReverted, answer_failure
from notary.chain.jsonrpc import JsonRpc
from notary.chain.reverts import decode_revert, revert_data
from notary.core.issuer_signing import DOMAIN_NAME, DOMAIN_VERSION, RegistryDomain

ANCHORER_ROLE = bytes(Web3.keccak(text="ANCHORER_ROLE"))
REGISTRAR_ROLE = bytes(Web3.keccak(text="REGISTRAR_ROLE"))
DEFAULT_ADMIN_ROLE = b"\x00" * 32
CHECK_INPUTS = ("bytes32", "address", "bytes32", "bytes32[]")
CHECK_SIGNED_INPUTS = (*CHECK_INPUTS, "bytes32", "bytes32[]", "bytes")
_CHECK_SELECTOR = function_signature_to_4byte_selector(f"check({','.join(CHECK_INPUTS)})")
_CHECK_SIGNED_SELECTOR = function_signature_to_4byte_selector(
    f"checkSigned({','.join(CHECK_SIGNED_INPUTS)})"
)
_ZERO_ADDRESS = "0x" + "00" * 20


@dataclass(frozen=True)
class AnchorRecord:
    """What the registry stored for a root; all zero when it was never anchored."""

    root: bytes
    timestamp: int
    block_number: int
    leaf_count: int

    @property
    def anchored(self) -> bool:
        return self.timestamp != 0


@dataclass(frozen=True)
class IssuerRecord:
    """An issuer as the registry knows it; `registered_at == 0` means unknown."""

    address: str
    name: str
    registered_at: int
    deactivated_at: int

    @property
    def registered(self) -> bool:
        return self.registered_at != 0

    @property
    def active(self) -> bool:
        return self.registered and self.deactivated_at == 0


@dataclass(frozen=True)
class RevocationRecord:
    """A revocation in an issuer's namespace; `revoked_at == 0` means not revoked."""

    revoked_at: int
    reason: int

    @property
    def revoked(self) -> bool:
        return self.revoked_at != 0


@dataclass(frozen=True)
class Verification:
    """The answer of `NotaryRegistry.check`: everything a verdict needs, from one eth_call."""

    leaf: bytes
    root: bytes
    anchored_at: int
    anchored_block: int
    leaf_count: int
    revoked_at: int
    revocation_reason: int
    current_block: int
    issuer_name: str
    issuer_registered_at: int
    issuer_deactivated_at: int


@dataclass(frozen=True)
class SignatureCheck:
    """What `NotaryRegistry.checkSigned` says of a document's issuer signature (facts; the
    verdict rule is in the contract's NatSpec and the verification engine)."""

    signer: str | None
    """The key that signed `Submission(issuer, leavesRoot)`; None if none recovers."""
    in_submission: bool
    signer_added_at: int
    signer_added_block: int
    signer_removed_at: int
    signer_removed_block: int
    signing_since: int
    """The block of the issuer's first key; 0 if it does not sign."""
    signature_required: bool
    authorised: bool
    """In the submission, anchored, and the signer a key of the issuer in the anchoring block."""


@dataclass(frozen=True)
class SignedVerification:
    """The answer of `NotaryRegistry.checkSigned`: `check`'s facts and the signature's."""

    verification: Verification
    signature: SignatureCheck


@dataclass(frozen=True)
class SignerRecord:
    """A signing key of an issuer and its history; `added_block == 0` means never added."""

    key: str
    added_at: int
    added_block: int
    removed_at: int
    removed_block: int

    @property
    def active(self) -> bool:
        """Added and not removed: it may sign (and revoke) now."""
        return self.added_block != 0 and self.removed_block == 0


class Registry:
    """A NotaryRegistry at `address`, reached through `w3`."""

    def __init__(self, w3: Web3, address: str, artifact: RegistryArtifact | None = None) -> None:
        self.w3 = w3
        self.artifact = artifact or load_artifact()
        self.address = to_checksum_address(address)
        self.contract: Contract = w3.eth.contract(address=self.address, abi=self.artifact.abi)
        self._errors = _custom_errors(self.artifact.abi)
        self._check_components = _check_components(self.artifact.abi)
        self._check_signed_components = _check_signed_components(self.artifact.abi)
        self.rpc = JsonRpc(w3)

    # -- reads -------------------------------------------------------------------------

    def anchor_of(self, root: bytes, block: BlockIdentifier = "latest") -> AnchorRecord:
        """The anchor stored for `root` (zeros if none)."""
        timestamp, block_number, leaf_count = self._call(
            self.contract.functions.anchorOf(bytes(root)), block
        )
        return AnchorRecord(bytes(root), timestamp, block_number, leaf_count)

    def issuer_of(self, issuer: str) -> IssuerRecord:
        """The issuer record for an address (zeros if never registered)."""
        address = to_checksum_address(issuer)
        name, registered_at, deactivated_at = self._call(self.contract.functions.issuerOf(address))
        return IssuerRecord(address, name, registered_at, deactivated_at)

    def revocation_of(self, issuer: str, leaf: bytes) -> RevocationRecord:
        """Whether `issuer` revoked `leaf`, when and why."""
        revoked_at, reason = self._call(
            self.contract.functions.revocationOf(to_checksum_address(issuer), bytes(leaf))
        )
        return RevocationRecord(revoked_at, reason)

    def check(
        self,
        digest: bytes,
        issuer: str,
        metadata_digest: bytes,
        proof: Sequence[bytes],
        block: int | str = "latest",
        contract: str | None = None,
    ) -> Verification:
        """Ask the registry, in one raw eth_call, about a document's leaf and proof.

        Raw rather than through web3's contract layer, which re-validates the chain id (two
        extra RPC round trips) and formats through its middleware on every call, costing
        many times what the node itself spends, and verification is the public hot path.
        `contract`: another deployment of the same registry on this chain (a receipt's).
        """
        params = self.check_params(digest, issuer, metadata_digest, proof, block, contract)
        return self.check_answer(self.rpc.request("eth_call", params), contract)

    def check_params(
        self,
        digest: bytes,
        issuer: str,
        metadata_digest: bytes,
        proof: Sequence[bytes],
        block: int | str = "latest",
        contract: str | None = None,
    ) -> list[Any]:
        """The `eth_call` parameters of `check` (for a client of one's own, e.g. async)."""
        data = _CHECK_SELECTOR + encode_check_args(digest, issuer, metadata_digest, proof)
        call = {"to": contract or self.address, "data": "0x" + data.hex()}
        return [call, hex(block) if isinstance(block, int) else block]

    def check_answer(self, answer: Any, contract: str | None = None) -> Verification:
        """Read the JSON-RPC answer to `check_params`' call (ChainError if it has none)."""
        result = answer.get("result") if isinstance(answer, dict) else None
        if not isinstance(result, str):
            raise self._call_failed(answer)
        try:
            fields = decode_tuple(bytes.fromhex(result.removeprefix("0x")), self._check_components)
        except ValueError:
            raise ChainError(
                f"no NotaryRegistry answered at {contract or self.address} (answer {result[:66]!r})"
            ) from None
        return Verification(*fields)

    def check_signed(
        self,
        digest: bytes,
        issuer: str,
        metadata_digest: bytes,
        proof: Sequence[bytes],
        leaves_root: bytes,
        submission_proof: Sequence[bytes],
        signature: bytes,
        block: int | str = "latest",
        contract: str | None = None,
    ) -> SignedVerification:
        """Ask the registry, in one raw eth_call, about a document and its issuer signature
        (`checkSigned`); raw for the reasons given at :meth:`check`."""
        params = self.check_signed_params(
            digest,
            issuer,
            metadata_digest,
            proof,
            leaves_root,
            submission_proof,
            signature,
            block,
            contract,
        )
        return self.check_signed_answer(self.rpc.request("eth_call", params), contract)

    def check_signed_params(
        self,
        digest: bytes,
        issuer: str,
        metadata_digest: bytes,
        proof: Sequence[bytes],
        leaves_root: bytes,
        submission_proof: Sequence[bytes],
        signature: bytes,
        block: int | str = "latest",
        contract: str | None = None,
    ) -> list[Any]:
        """The `eth_call` parameters of `checkSigned` (for a client of one's own)."""
        data = _CHECK_SIGNED_SELECTOR + encode_check_signed_args(
            digest, issuer, metadata_digest, proof, leaves_root, submission_proof, signature
        )
        call = {"to": contract or self.address, "data": "0x" + data.hex()}
        return [call, hex(block) if isinstance(block, int) else block]

    def check_signed_answer(self, answer: Any, contract: str | None = None) -> SignedVerification:
        """Read the JSON-RPC answer to `check_signed_params`' call (ChainError if it has none)."""
        result = answer.get("result") if isinstance(answer, dict) else None
        if not isinstance(result, str):
            raise self._call_failed(answer)
        dynamic, static = self._check_signed_components
        try:
            v, s = decode_tuple_pair(bytes.fromhex(result.removeprefix("0x")), dynamic, static)
        except ValueError:
            raise ChainError(
                f"no NotaryRegistry v2 answered checkSigned at {contract or self.address} "
                f"(answer {result[:66]!r})"
            ) from None
        signer = None if s[0] == _ZERO_ADDRESS else s[0]
        return SignedVerification(Verification(*v), SignatureCheck(signer, *s[1:]))

    def signer_of(self, issuer: str, key: str) -> SignerRecord:
        """The history of `key` as a signing key of `issuer` (zeros if never added)."""
        address = to_checksum_address(key)
        fields = self._call(self.contract.functions.signerOf(to_checksum_address(issuer), address))
        return SignerRecord(address, *fields)

    def signers_of(self, issuer: str) -> list[SignerRecord]:
        """Every key `issuer` ever added, in the order added, with its history."""
        rows = self._call(self.contract.functions.signersOf(to_checksum_address(issuer)))
        return [SignerRecord(to_checksum_address(row[0]), *row[1:]) for row in rows]

    def signing_since(self, issuer: str) -> int:
        """The block from which `issuer` signs (its first key's); 0 if it does not."""
        return int(self._call(self.contract.functions.signingSinceOf(to_checksum_address(issuer))))

    def nonce(self, issuer: str, sequence: int = 0) -> int:
        """The next relayed-signature nonce of `issuer` in `sequence` (0: the plain one)."""
        return int(
            self._call(self.contract.functions.nonces(to_checksum_address(issuer), sequence))
        )

    def domain(self) -> RegistryDomain:
        """The registry's EIP-712 domain, as it reports it (ERC-5267 `eip712Domain`)."""
        fields, name, version, chain_id, contract, _salt, _extensions = self._call(
            self.contract.functions.eip712Domain()
        )
        if (bytes(fields), name, version) != (b"\x0f", DOMAIN_NAME, DOMAIN_VERSION):
            raise ChainError(
                f"the registry at {self.address} signs in domain {name!r} version {version!r}, "
                f"not {DOMAIN_NAME!r} version {DOMAIN_VERSION!r}"
            )
        return RegistryDomain.of(int(chain_id), str(contract))

    def anchoring_tx(self, root: bytes, block_number: int) -> bytes | None:
        """The transaction that anchored `root` in `block_number`, found by its log.

        `Anchored` is anonymous, so the root is the log's only topic.
        """
        with rpc_guard(self.w3):
            logs = self.w3.eth.get_logs(
                {
                    "address": self.address,
                    "fromBlock": block_number,
                    "toBlock": block_number,
                    "topics": [Web3.to_hex(bytes(root))],
                }
            )
        return bytes(logs[0]["transactionHash"]) if logs else None

    def has_role(self, role: bytes, account: str) -> bool:
        """Whether `account` holds `role` (e.g. ANCHORER_ROLE)."""
        return bool(self._call(self.contract.functions.hasRole(role, to_checksum_address(account))))

    # -- calls to sign -----------------------------------------------------------------

    def anchor_call(self, root: bytes, leaf_count: int) -> ContractFunction:
        """`anchor(root, leafCount)`."""
        return self.contract.functions.anchor(bytes(root), leaf_count)

    def register_issuer_call(self, issuer: str, name: str) -> ContractFunction:
        """`registerIssuer(issuer, name)` (admin)."""
        return self.contract.functions.registerIssuer(to_checksum_address(issuer), name)

    def deactivate_issuer_call(self, issuer: str) -> ContractFunction:
        """`deactivateIssuer(issuer)` (admin)."""
        return self.contract.functions.deactivateIssuer(to_checksum_address(issuer))

    def grant_role_call(self, role: bytes, account: str) -> ContractFunction:
        """`grantRole(role, account)` (admin)."""
        return self.contract.functions.grantRole(role, to_checksum_address(account))

    def revoke_call(self, leaves: Sequence[bytes], reason: int) -> ContractFunction:
        """Revocation by the issuer itself: `revoke` for one leaf, `revokeMany` otherwise."""
        if len(leaves) == 1:
            return self.contract.functions.revoke(bytes(leaves[0]), reason)
        return self.contract.functions.revokeMany([bytes(x) for x in leaves], reason)

    def revoke_for_call(
        self, issuer: str, leaves: Sequence[bytes], reason: int
    ) -> ContractFunction:
        """`revokeFor(issuer, leaves, reason)` by an anchorer on the issuer's behalf."""
        return self.contract.functions.revokeFor(
            to_checksum_address(issuer), [bytes(x) for x in leaves], reason
        )

    def add_signer_call(self, key: str) -> ContractFunction:
        """`addSigner(key)` from the issuer's root key."""
        return self.contract.functions.addSigner(to_checksum_address(key))

    def remove_signer_call(self, key: str) -> ContractFunction:
        """`removeSigner(key)` from the issuer's root key."""
        return self.contract.functions.removeSigner(to_checksum_address(key))

    def add_signer_by_sig_call(
        self, issuer: str, key: str, nonce: int, deadline: int, signature: bytes
    ) -> ContractFunction:
        """`addSignerBySig(...)`, sent by anyone with the root key's `AddSigner` signature."""
        return self.contract.functions.addSignerBySig(
            to_checksum_address(issuer), to_checksum_address(key), nonce, deadline, signature
        )

    def remove_signer_by_sig_call(
        self, issuer: str, key: str, nonce: int, deadline: int, signature: bytes
    ) -> ContractFunction:
        """`removeSignerBySig(...)`, sent by anyone with the root key's `RemoveSigner` signature."""
        return self.contract.functions.removeSignerBySig(
            to_checksum_address(issuer), to_checksum_address(key), nonce, deadline, signature
        )

    def revoke_by_sig_call(
        self,
        issuer: str,
        leaves: Sequence[bytes],
        reason: int,
        nonce: int,
        deadline: int,
        signature: bytes,
    ) -> ContractFunction:
        """`revokeBySig(...)`, sent by anyone (the service pays) with a `Revocation` signature
        of a key of `issuer` authorised now, or of its root key."""
        return self.contract.functions.revokeBySig(
            to_checksum_address(issuer),
            [bytes(x) for x in leaves],
            reason,
            nonce,
            deadline,
            signature,
        )

    # -- errors ------------------------------------------------------------------------

    @contextmanager
    def reverts_named(self) -> Iterator[None]:
        """Turn web3's revert exceptions inside the block into ContractReverted."""
        try:
            yield
        except ContractCustomError as exc:
            raise self.decode_revert(_revert_data(exc)) from exc
        except ContractPanicError as exc:
            raise ContractReverted("Panic", (str(exc),)) from exc
        except ContractLogicError as exc:
            data = _revert_data(exc)
            if data and data[:4] in self._errors:
                raise self.decode_revert(data) from exc
            raise ContractReverted("Error", (str(exc.message or exc),)) from exc

    def decode_revert(self, data: bytes) -> ContractReverted:
        """Name the custom error encoded in revert `data`."""
        return decode_revert(data, self._errors)

    def _call_failed(self, answer: Any) -> ChainError:
        """The error for an eth_call answer without a result: a revert, else what the node said."""
        error = answer.get("error") if isinstance(answer, dict) else answer
        data = revert_data(error)
        if len(data) >= 4:
            return self.decode_revert(data)
        return answer_failure(endpoint_of(self.w3), "eth_call", answer)

    def _call(self, fn: ContractFunction, block: BlockIdentifier = "latest") -> Any:
        with rpc_guard(self.w3), self.reverts_named():
            return fn.call(block_identifier=block)


def _check_components(abi: list[dict[str, Any]]) -> tuple[str, ...]:
    """The ABI types of the fields of `check`'s return value (one tuple)."""
    item = next(i for i in abi if i.get("type") == "function" and i.get("name") == "check")
    components = tuple(_abi_type(c) for c in item["outputs"][0]["components"])
    if not set(components) <= SUPPORTED:
        raise ChainError(f"check() returns fields this client cannot read: {components}")
    return components


def _check_signed_components(
    abi: list[dict[str, Any]],
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The field types of `checkSigned`'s two returned tuples (Verification, SignatureCheck)."""
    item = next(
        (i for i in abi if i.get("type") == "function" and i.get("name") == "checkSigned"), None
    )
    if item is None:
        raise ChainError("this registry artifact has no checkSigned (it predates signing keys)")
    dynamic, static = (tuple(_abi_type(c) for c in out["components"]) for out in item["outputs"])
    if not set(dynamic) | set(static) <= SUPPORTED or "string" in static:
        raise ChainError(
            f"checkSigned() returns fields this client cannot read: {dynamic}, {static}"
        )
    return dynamic, static


def _custom_errors(abi: list[dict[str, Any]]) -> dict[bytes, tuple[str, list[str]]]:
    errors: dict[bytes, tuple[str, list[str]]] = {}
    for item in abi:
        if item.get("type") == "error":
            types = [_abi_type(i) for i in item.get("inputs", [])]
            selector = function_signature_to_4byte_selector(f"{item['name']}({','.join(types)})")
            errors[selector] = (item["name"], types)
    return errors


def _abi_type(param: dict[str, Any]) -> str:
    if param["type"].startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in param["components"])
        return f"({inner}){param['type'][5:]}"
    return str(param["type"])


def _revert_data(exc: ContractLogicError) -> bytes:
    return revert_data(exc.data)
