"""The partition test's longer form: the cluster on its own network, cut again and again.

    sudo .venv/bin/python scripts/partition.py --minutes 10

Builds the namespaced cluster of tests/integration/test_partitions.py (PostgreSQL, Anvil
behind 50 to 200 ms, two `notary serve`, two `notary worker`, each on its own host) and,
under steady load, repeats the three cuts (the leader from PostgreSQL, the leader from the
chain, api1 from PostgreSQL; --cut seconds each, healed) for about --minutes, then audits:
documents lost or in two batches, roots anchored twice, the fencing rule (no epoch sent
from by two workers, no two epochs' sends overlapping), transactions per nonce on chain,
and 5xx or unanswered requests outside the cuts. Needs root (ip netns). The last line is
one JSON object; the exit code is 0 when every figure is clean.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration.netns import netns_permitted, run_partitions  # noqa: E402

SETTLE_S = 8.0
"""After each heal, before the next cut (as run_partitions)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--cut", type=float, default=15.0, help="seconds each cut lasts")
    parser.add_argument("--data-dir", type=Path, default=None, help="keep logs here")
    args = parser.parse_args()
    why_not = netns_permitted()
    if why_not is not None:
        sys.exit(f"partition.py: {why_not}")
    rounds = max(1, round(args.minutes * 60 / (3 * (args.cut + SETTLE_S))))
    with tempfile.TemporaryDirectory(prefix="notary-partition-") as scratch:
        workdir = args.data_dir or Path(scratch)
        figures = run_partitions(workdir, rounds=rounds, cut_s=args.cut, settle_s=SETTLE_S)
    audit = figures["audit"]
    clean = (
        not audit["problems"]
        and figures["anchored_in_time"]
        and not figures["fencing_violations"]
        and figures["chain"]["nonces_with_two"] == 0
        and figures["chain"]["reverted"] == 0
        and figures["errors_outside_cuts"] == 0
        and figures["workers_alive"]
    )
    figures["rounds"] = rounds
    figures["passed"] = bool(clean)
    print(json.dumps(figures, default=str))
    sys.exit(0 if clean else 1)


if __name__ == "__main__":
    main()
