"""`notary dev` takes short station intervals for `notary demo-stream` unless told otherwise."""

from __future__ import annotations

import pytest

from notary.cli.dev import DEV_STREAM_MIN_INTERVAL_S, dev_settings
from notary.settings.config import Settings


def test_dev_lets_stations_use_short_intervals(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTARY_STREAM_MIN_INTERVAL", raising=False)
    assert Settings().stream_min_interval == 60
    assert dev_settings(Settings()).stream_min_interval == DEV_STREAM_MIN_INTERVAL_S


def test_dev_keeps_the_operators_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTARY_STREAM_MIN_INTERVAL", "30")
    assert dev_settings(Settings()).stream_min_interval == 30
