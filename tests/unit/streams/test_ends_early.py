"""An export that ends before the end it was asked for: every verdict says so, and why."""

from __future__ import annotations

import pytest

from notary.core.streams import Difference
from notary.streams.export import EndsEarly
from notary.streams.verify import StreamReport

T0 = 1_772_323_200  # 2026-03-01T00:00:00Z


def report(early: EndsEarly | None, window: tuple[Difference, ...] = ()) -> StreamReport:
    return StreamReport("HN-01", T0, T0 + 3600, (), window, None, early)


@pytest.mark.parametrize(
    ("reason", "why"),
    [
        ("not-sealed", "because the intervals after 2026-03-01 01:00 UTC were not sealed yet"),
        ("interval-limit", "because one export holds at most 9,000 intervals: export the rest"),
    ],
)
def test_every_verdict_says_where_the_export_ends_and_why(reason: str, why: str) -> None:
    early = EndsEarly(T0, T0 + 86_400, reason)
    for made in (report(early), report(early, (Difference("missing", "gone"),))):
        summary = made.summary()
        assert "it ends before the end asked for, 2026-03-02 00:00 UTC" in summary, summary
        assert why in summary, summary
    assert (
        report(early)
        .summary()
        .startswith(
            "readings from 2026-03-01 00:00 UTC to 2026-03-01 01:00 UTC at station HN-01: "
            "0 intervals, 0 readings, complete and unaltered; it ends before"
        )
    )


def test_an_export_that_ends_where_asked_says_nothing_more() -> None:
    assert report(None).summary().endswith("complete and unaltered")
