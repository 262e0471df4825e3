"""The soak's short form: 45 s of mixed load on a cluster while the leader is SIGKILLed,
the chain is down for 6 s and every PostgreSQL connection is terminated. Asserts outcomes
only (nothing lost, no root anchored twice, takeover seen, no 5xx outside the faults);
memory is judged by the full 10-minute soak, a minute being too short to say."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import postgres_server_url

pytestmark = [pytest.mark.anvil, pytest.mark.postgres, pytest.mark.slow]
SOAK = Path(__file__).resolve().parents[2] / "scripts" / "soak.py"


def test_a_short_soak_with_all_three_faults_loses_nothing(tmp_path: Path) -> None:
    server = postgres_server_url().rsplit("/", 1)[0] + "/postgres"
    done = subprocess.run(
        [sys.executable, str(SOAK), "--duration", "45", "--rate", "60", "--outage", "6",
         "--concurrency", "16", "--rss-tolerance", "100", "--data-dir", str(tmp_path)],
        env={**os.environ, "NOTARY_POSTGRES_SERVER": server},
        capture_output=True,
        timeout=280,
    )  # fmt: skip
    figures = json.loads(done.stdout.decode().strip().splitlines()[-1])
    assert not figures["fault_errors"], figures["fault_errors"]
    assert figures["new_leader"] != figures["killed_worker"]  # the standby took over
    assert figures["database_connections_terminated"] > 0
    audit = figures["audit"]
    assert audit["problems"] == [] and audit["lost_documents"] == 0, audit
    assert audit["roots_anchored_twice"] == 0 and audit["documents_in_two_batches"] == 0
    assert figures["accepted"] > 0 and audit["documents"] >= figures["accepted"]
    assert set(figures["sample_verdicts"]) == {"VALID"}
    assert figures["server_errors_outside_windows"] == 0, figures["server_errors_outside_examples"]
    assert done.returncode == 0, done.stderr.decode()[-2000:]
