"""notary: blockchain-anchored notarisation of issued documents.

What integrators may rely on is importable from `notary` itself:

- `Client`: the service's HTTP API (notarise in bulk, fetch receipts and a document's
  status, any other request), with its errors under `ServiceError`;
- `Receipt`: a receipt, v1 or v2, checked as it is read (`Receipt.from_json(text)`);
- `verify_document(receipt, rpc_urls, document=…)`: the verdict on a receipt, asked of
  every node in `rpc_urls` with no help from the service, as an `Outcome` (its
  `verdict`, a `Verdict`, and each step) — the engine behind `notary verify`, the API
  and the page;
- `sha256_file`: a document's digest, as the service and the page compute it.

Everything else (`notary.core`, `notary.chain`, `notary.store`, …) is internal and may
change in any release. Names load on first use, so `import notary` stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from notary.client.service import Client, ServiceError
    from notary.core.digests import sha256_file
    from notary.core.receipts import Receipt
    from notary.verify import Outcome, Verdict
    from notary.verify.onchain import verify_document

_HOMES = {
    "Client": "notary.client.service",
    "ServiceError": "notary.client.service",
    "Receipt": "notary.core.receipts",
    "Outcome": "notary.verify",
    "Verdict": "notary.verify",
    "verify_document": "notary.verify.onchain",
    "sha256_file": "notary.core.digests",
}

__all__ = [
    "Client",
    "Outcome",
    "Receipt",
    "ServiceError",
    "Verdict",
    "sha256_file",
    "verify_document",
]


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'notary' has no attribute {name!r}")
    return getattr(import_module(home), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
