"""The pure core of notary: digests, canonical metadata, the Merkle tree, receipts, verification.

WARNING: changing anything in this package can break receipts that have already been
issued. Every rule here (how bytes are hashed, how JSON is canonicalised, how leaves and
nodes are hashed and laid out, what a receipt signature covers) is something auditors and
other tools reproduce independently, years later. Known-answer vectors under
``tests/vectors/`` pin it; if one of them changes, you have changed the format.

Nothing here touches the network, a database or global mutable state; the only I/O is
reading a stream or file that the caller hands over for hashing.
"""
