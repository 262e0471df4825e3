"""The notarisation pipeline: accept documents, seal them into batches, serve proofs, anchor.

These modules sit between the pure core (`notary.core`) and the edges (`notary.store`,
`notary.chain`): `accept` takes documents in, `batcher` seals pending documents into
Merkle batches with an anchor operation queued, `proofs` reads a document's proof back
from the stored node array, and `worker` drives queued chain operations to final.
"""
