"""Adapter to the NotaryRegistry contract over any EVM JSON-RPC endpoint.

Everything here does network I/O; the rules that decide whether a document is
genuine live in :mod:`notary.core` and never import this package.
"""

from notary.chain.artifact import RegistryArtifact, load_artifact
from notary.chain.connection import connect
from notary.chain.errors import ChainError, ContractReverted, RpcUnavailable, TransactionFailed
from notary.chain.registry import (
    AnchorRecord,
    IssuerRecord,
    Registry,
    RevocationRecord,
    SignatureCheck,
    SignedVerification,
    SignerRecord,
    Verification,
)
from notary.chain.sender import FeePolicy, SignedTx, TxSender

__all__ = [
    "AnchorRecord",
    "ChainError",
    "ContractReverted",
    "FeePolicy",
    "IssuerRecord",
    "Registry",
    "RegistryArtifact",
    "RevocationRecord",
    "RpcUnavailable",
    "SignatureCheck",
    "SignedTx",
    "SignedVerification",
    "SignerRecord",
    "TransactionFailed",
    "TxSender",
    "Verification",
    "connect",
    "load_artifact",
]
