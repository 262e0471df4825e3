"""The cluster across a network with partitions (issue 23, item 5): two API processes, two
workers, PostgreSQL and the chain each on its own host (network namespaces made here),
5 ms to the database and 50 to 200 ms to the chain. Under steady load the leading worker is
cut off from PostgreSQL (while it still reaches the chain), then the leader from the chain,
then api1 from PostgreSQL, each for 15 s and healed. The fencing rule holds (no epoch sent
from by two workers, no two epochs' sends overlapping in time), and the audit finds 0 lost,
0 in two batches, 0 roots anchored twice, one mined transaction per nonce and none
reverted, and no 5xx or unanswered request but from api1 while it was cut off.

`scripts/partition.py --minutes 10` is the longer form.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .netns import netns_permitted, run_partitions

pytestmark = [pytest.mark.anvil, pytest.mark.postgres, pytest.mark.slow]


def test_partitions_lose_nothing_and_never_let_two_leaders_send(tmp_path: Path) -> None:
    why_not = netns_permitted()
    if why_not is not None:
        pytest.skip(why_not)
    figures = run_partitions(tmp_path)
    print(json.dumps(figures, indent=1, default=str))
    database_cut = figures["cuts"][0]
    assert database_cut["leader_after"] != database_cut["leader_before"]  # the standby took over
    assert database_cut["epochs_taken_during"]  # in a new epoch
    assert figures["fencing_violations"] == []
    assert figures["workers_alive"]
    audit = figures["audit"]
    assert audit["problems"] == [] and figures["anchored_in_time"], audit
    assert audit["lost_documents"] == 0 and audit["documents_in_two_batches"] == 0
    assert audit["roots_anchored_twice"] == 0
    assert figures["accepted"] > 0 and audit["documents"] >= figures["accepted"]
    chain = figures["chain"]
    assert chain["nonces_with_two"] == 0 and chain["reverted"] == 0, chain
    assert figures["errors_outside_cuts"] == 0, figures["errors_outside_examples"]
