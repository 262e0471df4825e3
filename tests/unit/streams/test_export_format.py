"""The export's bytes (notary-stream-export-v1, and v2 for one that ends early) are pinned:
how it is written may change (streamed, paged), what is written may not."""

from __future__ import annotations

from pathlib import Path

import pytest

from notary.streams import export
from notary.streams.export import csv_chunks, json_chunks, parse_export, to_csv, to_json
from tests.vectors.make_stream_export_vectors import ENDED_EARLY, EXPORT

VECTORS = Path(__file__).parents[2] / "vectors"


def test_the_csv_export_is_written_byte_for_byte_as_pinned() -> None:
    assert to_csv(EXPORT) == (VECTORS / "stream-export" / "v1.csv").read_bytes()


def test_the_json_export_is_written_byte_for_byte_as_pinned() -> None:
    assert to_json(EXPORT) == (VECTORS / "stream-export" / "v1.json").read_bytes()


def test_the_pinned_files_read_back_as_the_export() -> None:
    for name in ("v1.csv", "v1.json"):
        back = parse_export((VECTORS / "stream-export" / name).read_bytes())
        assert (back.station, back.start, back.end) == (EXPORT.station, EXPORT.start, EXPORT.end)
        assert [(i.start, i.end, dict(i.receipt)) for i in back.intervals] == [
            (i.start, i.end, dict(i.receipt)) for i in EXPORT.intervals
        ]
        assert [[(r.reading, r.late) for r in i.rows] for i in back.intervals] == [
            [(r.reading, r.late) for r in i.rows] for i in EXPORT.intervals
        ]


def test_written_in_chunks_of_any_size_the_bytes_are_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(export, "_ROWS_A_BATCH", 1)
    monkeypatch.setattr(export, "_CHUNK_CHARS", 1)
    csv_parts, json_parts = list(csv_chunks(EXPORT)), list(json_chunks(EXPORT))
    assert len(csv_parts) > 3 and len(json_parts) > 3
    assert b"".join(csv_parts) == (VECTORS / "stream-export" / "v1.csv").read_bytes()
    assert b"".join(json_parts) == (VECTORS / "stream-export" / "v1.json").read_bytes()


def test_an_export_that_ends_early_is_v2_and_pinned() -> None:
    for name, write in (("v2.csv", to_csv), ("v2.json", to_json)):
        pinned = (VECTORS / "stream-export" / name).read_bytes()
        assert write(ENDED_EARLY) == pinned
        back = parse_export(pinned)
        assert back.ends_early == ENDED_EARLY.ends_early
        assert [len(i.rows) for i in back.intervals] == [len(i.rows) for i in EXPORT.intervals]
