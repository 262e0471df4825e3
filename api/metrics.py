"""A small Prometheus registry: counters and histograms kept in this process.

Per-process like every Prometheus client; stored totals (documents by status, batch sizes,
pending age) are read from the database at scrape time so every replica reports the same.
"""

from __future__ import annotations

import bisect
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
Labels = tuple[tuple[str, str], ...]


class Metrics:
    """Counters and histograms with labels, rendered in the text exposition format."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._help: dict[str, tuple[str, str]] = {}
        self._counters: dict[str, dict[Labels, float]] = defaultdict(dict)
        self._histograms: dict[str, dict[Labels, list[float]]] = defaultdict(dict)
        self._buckets: dict[str, Sequence[float]] = {}

    def counter(self, name: str, help_text: str) -> None:
        """Declare a counter (it is listed even before the first increment)."""
        self._help[name] = ("counter", help_text)
        self._counters[name]

    def histogram(self, name: str, help_text: str, buckets: Sequence[float]) -> None:
        """Declare a histogram with these upper bounds."""
        self._help[name] = ("histogram", help_text)
        self._buckets[name] = tuple(buckets)
        self._histograms[name]

    def inc(self, name: str, labels: Labels = (), value: float = 1.0) -> None:
        """Add to a counter."""
        with self._lock:
            series = self._counters[name]
            series[labels] = series.get(labels, 0.0) + value

    def observe(self, name: str, value: float, labels: Labels = ()) -> None:
        """Record one observation in a histogram."""
        buckets = self._buckets[name]
        with self._lock:
            series = self._histograms[name]
            data = series.get(labels)
            if data is None:  # per bucket counts, then +Inf count and sum
                data = series[labels] = [0.0] * (len(buckets) + 2)
            data[bisect.bisect_left(buckets, value)] += 1
            data[-1] += value

    def render(self) -> list[str]:
        """The exposition lines for everything recorded here."""
        lines: list[str] = []
        with self._lock:
            for name, (kind, help_text) in self._help.items():
                lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
                if kind == "counter":
                    for labels, value in self._counters[name].items():
                        lines.append(f"{name}{_fmt(labels)} {value:g}")
                    continue
                buckets = self._buckets[name]
                for labels, data in self._histograms[name].items():
                    cumulative = 0.0
                    for bound, count in zip(buckets, data, strict=False):
                        cumulative += count
                        le = (*labels, ("le", f"{bound:g}"))
                        lines.append(f"{name}_bucket{_fmt(le)} {cumulative:g}")
                    cumulative += data[len(buckets)]
                    lines.append(f"{name}_bucket{_fmt((*labels, ('le', '+Inf')))} {cumulative:g}")
                    lines.append(f"{name}_count{_fmt(labels)} {cumulative:g}")
                    lines.append(f"{name}_sum{_fmt(labels)} {data[-1]:g}")
        return lines


def gauge(name: str, help_text: str, samples: Iterable[tuple[Labels, float]]) -> list[str]:
    """Exposition lines for a gauge computed at scrape time."""
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
    lines += [f"{name}{_fmt(labels)} {value:g}" for labels, value in samples]
    return lines


def _fmt(labels: Labels) -> str:
    if not labels:
        return ""
    escaped = (
        f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for k, v in labels
    )
    return "{" + ",".join(escaped) + "}"


def service_metrics() -> Metrics:
    """The registry with every metric the API records declared."""
    m = Metrics()
    m.counter("notary_documents_accepted_total", "Documents newly accepted through the API")
    m.counter("notary_http_requests_total", "HTTP requests by route, method and status")
    m.histogram(
        "notary_http_request_duration_seconds", "HTTP request latency by route", LATENCY_BUCKETS
    )
    return m
