"""A deployed registry, a migrated store and settings that point the worker at both."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from eth_account.signers.local import LocalAccount
from pydantic import SecretStr
from web3 import Web3

from notary.chain import Registry, TxSender
from notary.chain.artifact import load_artifact
from notary.chain.deploy import deploy_registry, grant_service_roles
from notary.chain.evm import choose_target
from notary.core.types import Digest, Leaf
from notary.pipeline.accept import DocumentInput, accept_many
from notary.pipeline.operations import AnchoringWorker
from notary.pipeline.proofs import proof_for
from notary.settings.config import Settings
from notary.store.engine import Store, open_store
from notary.store.issuers import create_issuer
from notary.store.migrate import upgrade

ISSUER_NAME = "Chi cục Thú y vùng IV"


@dataclass
class WorkerEnv:
    """Everything a worker test needs, and the checks every fault test ends with."""

    settings: Settings
    store: Store
    registry: Registry
    issuer: LocalAccount
    anchorer: LocalAccount

    def env(self) -> Mapping[str, str]:
        """NOTARY_* variables for a worker subprocess."""
        return {
            "NOTARY_DATA_DIR": str(self.settings.data_dir),
            "NOTARY_DATABASE_URL": self.settings.resolved_database_url,
            "NOTARY_RPC_URL": self.settings.rpc_url,
            "NOTARY_CONTRACT_ADDRESS": self.registry.address,
            "NOTARY_ANCHOR_KEY": self.anchorer.key.hex(),
            "NOTARY_BATCH_MAX": str(self.settings.batch_max),
            "NOTARY_BATCH_INTERVAL": str(self.settings.batch_interval),
        }

    def accept(self, count: int) -> list[Leaf]:
        """Notarise `count` random documents for the issuer."""
        docs = [
            DocumentInput(Digest(os.urandom(32)), {"documentNumber": f"N-{i}"})
            for i in range(count)
        ]
        return [r.record.leaf for r in accept_many(self.store, self.issuer.address, docs)]

    def assert_all_anchored_once(self, leaves: list[Leaf]) -> None:
        """Every document anchored and provable on chain; no root anchored twice."""
        roots: set[bytes] = set()
        for leaf in leaves:
            stored = proof_for(self.store, leaf)
            assert stored.document.status == "anchored", (leaf, stored.document.status)
            values = stored.document.values
            answer = self.registry.check(
                values.digest.raw, values.issuer, values.metadata_digest.raw, stored.proof
            )
            assert answer.root == stored.root.raw and answer.anchored_at > 0
            roots.add(stored.root.raw)
        for root in roots:
            logs = self.registry.w3.eth.get_logs(
                {"address": self.registry.address, "fromBlock": 0, "topics": [Web3.to_hex(root)]}
            )
            assert len(logs) == 1, f"root 0x{root.hex()} anchored {len(logs)} times"


def drain(worker: AnchoringWorker, max_steps: int = 100) -> None:
    """Step the worker until nothing is in flight."""
    for _ in range(max_steps):
        if not worker.step():
            return
    raise AssertionError("worker did not finish")


def make_env(
    w3: Web3, fund: object, tmp_path: Path, database_url: str | None = None, batch_max: int = 10
) -> Iterator[WorkerEnv]:
    """Deploy the build the node runs, migrate, register the issuer; yields the environment
    and disposes it."""
    admin, anchorer, issuer = fund(), fund(), fund()  # type: ignore[operator]
    deployment = deploy_registry(w3, admin, artifact=load_artifact(choose_target(w3)))
    registry = Registry(w3, deployment.address)
    grant_service_roles(registry, admin, anchorer.address)
    TxSender(registry, admin).transact(registry.register_issuer_call(issuer.address, ISSUER_NAME))
    url = database_url or f"sqlite:///{tmp_path / 'notary.db'}"
    upgrade(url)  # a no-op for the migrated databases of the `database_url` fixture
    store = open_store(url)
    with store.write() as conn:
        create_issuer(conn, issuer.address, ISSUER_NAME)
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path,
        database_url=url,
        rpc_url=str(w3.provider.endpoint_uri),
        contract_address=deployment.address,  # type: ignore[attr-defined]
        anchor_key=SecretStr(anchorer.key.hex()),
        batch_max=batch_max,
        batch_interval=0.001,
    )
    try:
        yield WorkerEnv(settings, store, registry, issuer, anchorer)
    finally:
        store.dispose()
