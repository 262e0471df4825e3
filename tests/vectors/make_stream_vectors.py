"""Write stream-interval.json: known answers for notary-stream-interval-v1, from other tools.

Every leaf is `printf '%s' LINE | sha256sum`; every root is @openzeppelin/merkle-tree's
SimpleMerkleTree over those leaves (sorted pairs, keccak256), computed by node. Nothing
here calls notary's own code, so the test comparing it with these answers can fail.

    .venv/bin/python tests/vectors/make_stream_vectors.py
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

HERE = Path(__file__).parent
TAG = "notary-stream-reading-v1"
FIELDS = ("time", "parameter", "value", "unit", "quality", "late")
ROOT_COMMAND = (
    "node -e \"const {SimpleMerkleTree:T}=require('@openzeppelin/merkle-tree');"
    "console.log(T.of(JSON.parse(process.argv[1])).root)\" '[LEAVES]'"
)
CASES = [
    ("empty interval", "HN-01", "2026-03-01T00:00:00Z", []),
    (
        "one reading: the root is its leaf",
        "HN-01",
        "2026-03-01T00:00:00Z",
        [("2026-03-01T00:01:00Z", "PM2.5", "35.2", "µg/m³", "valid", "0")],
    ),
    (
        "three parameters, one of them with no unit",
        "QN-WATER-2",
        "2026-03-01T02:10:00Z",
        [
            ("2026-03-01T02:10:00Z", "COD", "41", "mg/L", "valid", "0"),
            ("2026-03-01T02:10:00Z", "pH", "7.05", "", "valid", "0"),
            ("2026-03-01T02:11:00Z", "COD", "43.5", "mg/L", "suspect", "0"),
        ],
    ),
    (
        "a late reading (its time before the interval) sealed with the next interval",
        "DN-STACK-7",
        "2026-03-01T02:15:00Z",
        [
            ("2026-03-01T02:12:00Z", "SO2", "512.3", "mg/Nm³", "valid", "1"),
            ("2026-03-01T02:15:00Z", "SO2", "498", "mg/Nm³", "valid", "0"),
            ("2026-03-01T02:15:00Z", "NOx", "210", "mg/Nm³", "calibration", "0"),
            ("2026-03-01T02:16:00Z", "SO2", "-0.5", "mg/Nm³", "invalid", "0"),
        ],
    ),
]
VALUES = [  # input (JSON) → canonical text
    ("12.50", "12.5"),
    (12.5, "12.5"),
    ("1e-3", "0.001"),
    (1e-05, "0.00001"),
    (-0.0, "0"),
    (7.0, "7"),
    ("+3", "3"),
    ("007.10", "7.1"),
    (1.5e16, "15000000000000000"),
    (100, "100"),
]


def sha256(line: str) -> str:
    out = subprocess.run(["sha256sum"], input=line.encode(), capture_output=True, check=True)
    return "0x" + out.stdout.split()[0].decode()


def root(leaves: list[str]) -> str:
    script = ROOT_COMMAND.split("node -e ")[1].split(" '[LEAVES]'")[0].strip('"')
    out = subprocess.run(
        ["node", "-e", script, json.dumps(leaves)],
        capture_output=True,
        check=True,
        cwd=HERE.parent.parent,
    )
    return out.stdout.decode().strip()


def main() -> None:
    intervals = []
    for title, station, start, readings in CASES:
        lines = ["\t".join((TAG, station, *r)) for r in readings]
        leaves = [sha256(line) for line in lines]
        empty = "notary-stream-interval-v1\tempty"
        intervals.append(
            {
                "title": title,
                "station": station,
                "intervalStart": start,
                "readings": [
                    dict(
                        zip(
                            ("time", "parameter", "value", "unit", "quality", "late"),
                            r,
                            strict=True,
                        )
                    )
                    for r in readings
                ],
                "lines": lines,
                "leaves": leaves,
                "leafCommand": "printf '%s' \"$LINE\" | sha256sum   (fields joined by TAB)",
                "root": root(leaves) if leaves else sha256(empty),
                "rootCommand": ROOT_COMMAND
                if leaves
                else "printf 'notary-stream-interval-v1\\tempty' | sha256sum",
            }
        )
    data = {
        "format": "notary-stream-interval-v1",
        "intervals": intervals,
        "values": [{"input": i, "canonical": c} for i, c in VALUES],
    }
    (HERE / "stream-interval.json").write_text(
        json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
