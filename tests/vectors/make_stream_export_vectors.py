"""Write stream-export/v1.* and v2.*: an export exactly as the service writes it.

Unlike the other vectors these come from our own writer (`notary.streams.export`), as of
the commit that added them: they pin its bytes, so that a change to how exports are
written (streamed, paged) cannot change what `notary verify-stream` and /verify/stream
read. The export is made by hand (fixed receipts), not from a store. v2 is the same
export asked for a day longer than was sealed (`ENDED_EARLY`).

    .venv/bin/python tests/vectors/make_stream_export_vectors.py
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from notary.core.streams import Reading, Row
from notary.streams.export import EndsEarly, ExportInterval, StreamExport, to_csv, to_json

HERE = Path(__file__).parent / "stream-export"
START = 1_772_331_000  # 2026-03-01T02:10:00Z
LENGTH = 300
STATION = {
    "id": "DN-STACK-7",
    "name": 'Nhà máy "Xi măng", lò 2',
    "kind": "stack-emission",
    "issuer": "0x5A5a5A5a5A5a5A5a5A5a5A5a5A5a5A5a5A5a5A5a",
    "intervalSeconds": LENGTH,
    "parameters": [
        {"name": "SO2", "unit": "mg/Nm³"},
        {"name": "NOx", "unit": "mg/Nm³"},
        {"name": "pH", "unit": ""},
        {"name": "Nhiệt độ, khí", "unit": "°C"},
    ],
    "location": {"latitude": 10.95, "longitude": 106.82, "address": "Biên Hòa, Đồng Nai"},
}


def receipt(start: int, count: int, late: int) -> dict[str, object]:
    """A receipt-shaped object (the writer copies it as JSON; nothing here checks it)."""
    return {
        "format": "notary-receipt-v1",
        "status": "anchored",
        "leafEncoding": ["bytes32", "address", "bytes32"],
        "values": ["0x" + f"{start:064x}", STATION["issuer"], "0x" + "ab" * 32],
        "leaf": "0x" + "cd" * 32,
        "proof": ["0x" + "ef" * 32],
        "root": "0x" + "12" * 32,
        "metadata": {
            "documentType": "monitoring-interval",
            "station": STATION["id"],
            "count": count,
            "lateCount": late,
            "salt": "0x" + "00" * 16,
            "note": 'quotes " and commas, and a tab\there',
        },
        "issuer": {"address": STATION["issuer"], "name": "Sở TN&MT Đồng Nai"},
        "service": {"id": "notary", "signature": "0x" + "99" * 64},
    }


def rows(*items: tuple[int, str, str, str, str, bool]) -> tuple[Row, ...]:
    return tuple(
        Row(k + 1, Reading(t, p, v, u, q), late) for k, (t, p, v, u, q, late) in enumerate(items)
    )


EXPORT = StreamExport(
    STATION,
    START,
    START + 3 * LENGTH,
    (
        ExportInterval(
            START,
            START + LENGTH,
            receipt(START, 3, 0),
            rows(
                (START, "NOx", "210", "mg/Nm³", "calibration", False),
                (START, "SO2", "498", "mg/Nm³", "valid", False),
                (START + 60, "Nhiệt độ, khí", "-0.5", "°C", "suspect", False),
            ),
        ),
        ExportInterval(START + LENGTH, START + 2 * LENGTH, receipt(START + LENGTH, 0, 0), ()),
        ExportInterval(
            START + 2 * LENGTH,
            START + 3 * LENGTH,
            receipt(START + 2 * LENGTH, 2, 1),
            rows(
                (START + 120, "pH", "7.05", "", "valid", True),
                (START + 2 * LENGTH + 1, "SO2", "512.3", "mg/Nm³", "invalid", False),
            ),
        ),
    ),
)


ENDED_EARLY = replace(
    EXPORT, ends_early=EndsEarly(START + 42, START + 3 * LENGTH + 86_400, "not-sealed")
)


def main() -> None:
    HERE.mkdir(exist_ok=True)
    for name, export in (("v1", EXPORT), ("v2", ENDED_EARLY)):
        (HERE / f"{name}.csv").write_bytes(to_csv(export))
        (HERE / f"{name}.json").write_bytes(to_json(export))


if __name__ == "__main__":
    main()
