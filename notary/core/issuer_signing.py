"""What an issuer signs with its own key for NotaryRegistry v2 (EIP-712), and who signed.

WARNING: changing anything here breaks issuers' signatures already on receipts and on
chain: the domain, the type strings and their encoding are what the registry checks and
what wallets, viem and cast compute. ``tests/vectors/issuer-signing.json`` pins them with
values from cast.

- Domain: ``EIP712Domain(string name,string version,uint256 chainId,address
  verifyingContract)`` with name ``NotaryRegistry``, version ``2``.
- ``Submission(address issuer,bytes32 leavesRoot)``: one signature per submission of
  documents. ``leavesRoot`` is the root of the OpenZeppelin ``StandardMerkleTree`` of the
  submission's leaves (the batch tree's layout and leaf hash; for one document, its leaf);
  a document's path to it travels with its receipt.
- ``Revocation(address issuer,bytes32[] leaves,uint8 reason,uint256 nonce,uint256
  deadline)``, ``AddSigner``/``RemoveSigner(address issuer,address key,uint256 nonce,
  uint256 deadline)``: relayed transactions; ``nonce`` is the registry's keyed nonce
  (:func:`keyed_nonce`), ``deadline`` a Unix time.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from notary.core import _secp256k1
from notary.core._keccak import keccak256
from notary.core.errors import FormatError
from notary.core.merkle import MerkleTree, verify_proof
from notary.core.types import Address, Leaf, _Bytes32, to_checksum_address

DOMAIN_NAME = "NotaryRegistry"
DOMAIN_VERSION = "2"
DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
SUBMISSION_TYPE = "Submission(address issuer,bytes32 leavesRoot)"
REVOCATION_TYPE = (
    "Revocation(address issuer,bytes32[] leaves,uint8 reason,uint256 nonce,uint256 deadline)"
)
ADD_SIGNER_TYPE = "AddSigner(address issuer,address key,uint256 nonce,uint256 deadline)"
REMOVE_SIGNER_TYPE = "RemoveSigner(address issuer,address key,uint256 nonce,uint256 deadline)"
SIGNATURE_LENGTH = _secp256k1.SIGNATURE_LENGTH

_DOMAIN_TYPEHASH = keccak256(DOMAIN_TYPE.encode())
_NAME_HASH = keccak256(DOMAIN_NAME.encode())
_VERSION_HASH = keccak256(DOMAIN_VERSION.encode())
_SUBMISSION_TYPEHASH = keccak256(SUBMISSION_TYPE.encode())
_REVOCATION_TYPEHASH = keccak256(REVOCATION_TYPE.encode())
_ADD_SIGNER_TYPEHASH = keccak256(ADD_SIGNER_TYPE.encode())
_REMOVE_SIGNER_TYPEHASH = keccak256(REMOVE_SIGNER_TYPE.encode())
_UINT256 = 1 << 256


class SubmissionRoot(_Bytes32):
    """The root of the tree of one submission's leaves: what the issuer signs."""

    __slots__ = ()
    _default_field = "leavesRoot"


@dataclass(frozen=True)
class RegistryDomain:
    """The EIP-712 domain of one registry deployment: its chain and address."""

    chain_id: int
    verifying_contract: Address

    @classmethod
    def of(cls, chain_id: int, verifying_contract: str) -> RegistryDomain:
        """Validate and build a domain (the address is checksummed)."""
        if isinstance(chain_id, bool) or not isinstance(chain_id, int) or chain_id <= 0:
            raise FormatError("chainId", "expected a positive integer")
        if chain_id >= _UINT256:
            raise FormatError("chainId", "does not fit in uint256")
        return cls(chain_id, to_checksum_address(verifying_contract, "verifyingContract"))

    @functools.cached_property
    def separator(self) -> bytes:
        """The domain separator: hashStruct(EIP712Domain)."""
        return keccak256(
            _DOMAIN_TYPEHASH
            + _NAME_HASH
            + _VERSION_HASH
            + _uint(self.chain_id, "chainId")
            + _address_word(self.verifying_contract, "verifyingContract")
        )

    def digest(self, struct_hash: bytes) -> bytes:
        """The 32 bytes a key signs: keccak256("\\x19\\x01" ‖ separator ‖ struct_hash)."""
        if len(struct_hash) != 32:
            raise FormatError("struct_hash", "expected 32 bytes")
        return keccak256(b"\x19\x01" + self.separator + bytes(struct_hash))


# -- struct hashes ----------------------------------------------------------------------


def submission_hash(issuer: str, leaves_root: SubmissionRoot) -> bytes:
    """hashStruct(Submission(issuer, leavesRoot))."""
    if type(leaves_root) is not SubmissionRoot:
        raise FormatError("leavesRoot", "expected a SubmissionRoot")
    return keccak256(_SUBMISSION_TYPEHASH + _address_word(issuer, "issuer") + leaves_root.raw)


def revocation_hash(
    issuer: str, leaves: Sequence[Leaf], reason: int, nonce: int, deadline: int
) -> bytes:
    """hashStruct(Revocation(...)); ``bytes32[]`` is the hash of its concatenated leaves."""
    if not all(type(leaf) is Leaf for leaf in leaves):
        raise FormatError("leaves", "expected a sequence of Leaf")
    if isinstance(reason, bool) or not isinstance(reason, int) or not 0 <= reason <= 255:
        raise FormatError("reason", "expected an integer from 0 to 255")
    leaves_hash = keccak256(b"".join(leaf.raw for leaf in leaves))
    return keccak256(
        _REVOCATION_TYPEHASH
        + _address_word(issuer, "issuer")
        + leaves_hash
        + _uint(reason, "reason")
        + _uint(nonce, "nonce")
        + _uint(deadline, "deadline")
    )


def add_signer_hash(issuer: str, key: str, nonce: int, deadline: int) -> bytes:
    """hashStruct(AddSigner(issuer, key, nonce, deadline))."""
    return _signer_change_hash(_ADD_SIGNER_TYPEHASH, issuer, key, nonce, deadline)


def remove_signer_hash(issuer: str, key: str, nonce: int, deadline: int) -> bytes:
    """hashStruct(RemoveSigner(issuer, key, nonce, deadline))."""
    return _signer_change_hash(_REMOVE_SIGNER_TYPEHASH, issuer, key, nonce, deadline)


def keyed_nonce(sequence: int, number: int) -> int:
    """The registry's nonce ``number`` in ``sequence`` (OpenZeppelin ``NoncesKeyed``).

    Sequence 0 is the plain nonce; a key that signs alongside others uses a sequence of its
    own (e.g. ``int(address, 16)``) so that none spends another's nonce.
    """
    if not 0 <= sequence < 1 << 192:
        raise FormatError("nonce", "the sequence takes 192 bits")
    if not 0 <= number < 1 << 64:
        raise FormatError("nonce", "the number in a sequence takes 64 bits")
    return (sequence << 64) | number


# -- the submission tree ----------------------------------------------------------------


def submission_tree(leaves: Sequence[Leaf]) -> MerkleTree:
    """The tree whose root an issuer signs for these leaves; ``tree.proof(i)`` is leaf i's path."""
    return MerkleTree.from_leaves(leaves)


def submission_root(tree: MerkleTree) -> SubmissionRoot:
    """The signed root of a submission tree."""
    return SubmissionRoot(tree.root.raw)


def in_submission(leaf: Leaf, path: Sequence[bytes], leaves_root: SubmissionRoot) -> bool:
    """Whether ``path`` leads from ``leaf`` to ``leaves_root`` (sorted pairs, as on chain).

    A leaf is keccak256 of a 32-byte hash and an inner node keccak256 of 64 bytes, so an
    inner node cannot pass for a document without a second preimage of keccak256.
    """
    return verify_proof(leaf, path, leaves_root.raw)


# -- keys and signatures ----------------------------------------------------------------


def recover_signer(digest: bytes, signature: bytes) -> Address | None:
    """The address whose key signed ``digest``; None when the registry would recover none
    (not 65 bytes, ``v`` not 27/28, ``s`` in the upper half, no key recovers)."""
    if not isinstance(signature, bytes | bytearray):
        raise FormatError("signature", "expected bytes")
    return _secp256k1.recover(bytes(digest), bytes(signature))


def submission_signer(
    domain: RegistryDomain, issuer: str, leaves_root: SubmissionRoot, signature: bytes
) -> Address | None:
    """Who signed ``Submission(issuer, leaves_root)`` in ``domain``, as ``checkSigned`` finds."""
    return recover_signer(domain.digest(submission_hash(issuer, leaves_root)), signature)


class IssuerKey:
    """A signing key of an issuer (or its root key); the secret never leaves this object."""

    __slots__ = ("_address", "_secret")

    def __init__(self, secret: bytes) -> None:
        self._secret = _secp256k1.check_private_key(secret)
        self._address = _secp256k1.address_of(self._secret)

    @property
    def address(self) -> Address:
        """The key's Ethereum address: what the registry records."""
        return self._address

    def __repr__(self) -> str:
        return f"IssuerKey({self._address})"

    def sign_digest(self, digest: bytes) -> bytes:
        """The 65-byte signature ``r ‖ s ‖ v`` of a 32-byte digest."""
        return _secp256k1.sign(self._secret, bytes(digest))

    def sign_submission(
        self, domain: RegistryDomain, issuer: str, leaves_root: SubmissionRoot
    ) -> bytes:
        """Sign one submission: ``Submission(issuer, leaves_root)``."""
        return self.sign_digest(domain.digest(submission_hash(issuer, leaves_root)))

    def sign_revocation(
        self,
        domain: RegistryDomain,
        issuer: str,
        leaves: Sequence[Leaf],
        reason: int,
        nonce: int,
        deadline: int,
    ) -> bytes:
        """Sign a revocation for ``revokeBySig``."""
        return self.sign_digest(
            domain.digest(revocation_hash(issuer, leaves, reason, nonce, deadline))
        )

    def sign_add_signer(
        self, domain: RegistryDomain, issuer: str, key: str, nonce: int, deadline: int
    ) -> bytes:
        """Sign ``AddSigner`` for ``addSignerBySig`` (the issuer's root key)."""
        return self.sign_digest(domain.digest(add_signer_hash(issuer, key, nonce, deadline)))

    def sign_remove_signer(
        self, domain: RegistryDomain, issuer: str, key: str, nonce: int, deadline: int
    ) -> bytes:
        """Sign ``RemoveSigner`` for ``removeSignerBySig`` (the issuer's root key)."""
        return self.sign_digest(domain.digest(remove_signer_hash(issuer, key, nonce, deadline)))


def _signer_change_hash(typehash: bytes, issuer: str, key: str, nonce: int, deadline: int) -> bytes:
    return keccak256(
        typehash
        + _address_word(issuer, "issuer")
        + _address_word(key, "key")
        + _uint(nonce, "nonce")
        + _uint(deadline, "deadline")
    )


def _address_word(address: str, field: str) -> bytes:
    return bytes(12) + bytes.fromhex(to_checksum_address(address, field)[2:])


def _uint(value: int, field: str) -> bytes:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < _UINT256:
        raise FormatError(field, "expected an integer from 0 to 2**256 - 1")
    return value.to_bytes(32, "big")


_DOMAIN_FIELDS = (
    ("name", "string"),
    ("version", "string"),
    ("chainId", "uint256"),
    ("verifyingContract", "address"),
)


def typed_data(
    domain: RegistryDomain,
    primary: str,
    fields: Sequence[tuple[str, str]],
    message: Mapping[str, object],
) -> dict[str, Any]:
    """What a wallet's `eth_signTypedData_v4` signs: `message`, a `primary` struct of
    `fields` (name, type), in the registry's EIP-712 domain."""
    return {
        "types": {
            "EIP712Domain": [{"name": n, "type": t} for n, t in _DOMAIN_FIELDS],
            primary: [{"name": n, "type": t} for n, t in fields],
        },
        "primaryType": primary,
        "domain": {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": domain.chain_id,
            "verifyingContract": domain.verifying_contract,
        },
        "message": dict(message),
    }
