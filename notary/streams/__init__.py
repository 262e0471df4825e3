"""Monitoring streams at the edge: stations, reading intake, interval sealing, exports.

The format rules (reading lines, interval trees, metadata) are the pure
`notary.core.streams`; this package stores and moves data around them.
"""
