"""Hypothesis strategies and small builders shared by the core tests."""

from __future__ import annotations

from hypothesis import strategies as st

from notary.core.types import Digest, LeafValues, to_checksum_address

digests = st.binary(min_size=32, max_size=32).map(Digest)
addresses = st.binary(min_size=20, max_size=20).map(lambda b: to_checksum_address("0x" + b.hex()))
leaf_values = st.builds(LeafValues, digests, addresses, digests)
