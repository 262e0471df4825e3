"""The receipt-signing key file: created once, even by replicas starting together."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest

from notary.core.signing import ServiceKey
from notary.settings.config import Settings
from notary.settings.service_key import ServiceKeyUnavailable, key_file, load_or_create_service_key

REPLICAS = 8


def _settings(data_dir: Path) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]


def _start_together(settings: Settings) -> tuple[list[ServiceKey], list[BaseException]]:
    """REPLICAS threads load-or-create the key at the same moment."""
    start = threading.Barrier(REPLICAS)
    keys: list[ServiceKey] = []
    failures: list[BaseException] = []

    def replica() -> None:
        start.wait()
        try:
            keys.append(load_or_create_service_key(settings))
        except ServiceKeyUnavailable as exc:
            failures.append(exc)

    threads = [threading.Thread(target=replica) for _ in range(REPLICAS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return keys, failures


def test_replicas_starting_together_share_one_complete_key(tmp_path: Path) -> None:
    for attempt in range(25):  # the race is narrow: give it many chances
        settings = _settings(tmp_path / str(attempt))
        keys, failures = _start_together(settings)
        assert failures == []
        assert len(keys) == REPLICAS and {k.key_id for k in keys} == {keys[0].key_id}
        path = key_file(settings)
        assert ServiceKey.from_pem(path.read_bytes()).key_id == keys[0].key_id
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert [p.name for p in path.parent.iterdir()] == [path.name]  # no leftovers


def test_an_unusable_key_file_is_reported_not_replaced(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    path = key_file(settings)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a key")
    with pytest.raises(ServiceKeyUnavailable, match="cannot use the receipt-signing key"):
        load_or_create_service_key(settings)
    assert path.read_bytes() == b"not a key"
