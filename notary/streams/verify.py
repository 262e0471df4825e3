"""Checking an export (or one reading's proof) against its receipts and the chain.

The data checks are pure (`notary.core.streams.compare_interval` per interval, plus the
window: every interval present once); the chain is asked through a function the caller
gives (`notary verify-stream` passes `notary.verify.onchain.verify_on_chain` on a node), so
tests can judge without a node and the service never has to be asked.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from notary.core.errors import FormatError
from notary.core.merkle import process_proof
from notary.core.receipts import Receipt
from notary.core.streams import (
    Claim,
    Difference,
    Row,
    claim_of,
    compare_interval,
    describe,
    format_time,
    parse_time,
    reading_line,
    rows_fit,
)
from notary.streams.export import (
    MAX_EXPORT_INTERVALS,
    PROOF_FORMAT,
    EndsEarly,
    ExportInterval,
    StreamExport,
    reading_of,
)
from notary.verify import Outcome, Verdict

ChainCheck = Callable[[Receipt], Outcome]
"""Verify one interval receipt against the chain (`verify_on_chain` on some node)."""
_UNDECIDED = (Verdict.PENDING, Verdict.VALID_PENDING_CONFIRMATIONS, Verdict.UNVERIFIABLE)


@dataclass(frozen=True)
class IntervalReport:
    """One interval: what the export holds, how it differs, what the chain said."""

    start: int
    end: int
    rows: int
    late: int
    differences: tuple[Difference, ...]
    outcome: Outcome | None
    """None when the receipt could not even be read (a difference says why)."""

    @property
    def verdict(self) -> Verdict | None:
        """The chain's verdict on the interval's receipt."""
        return None if self.outcome is None else self.outcome.judgement.verdict


@dataclass(frozen=True)
class StreamReport:
    """An export checked: per interval, and the window as a whole."""

    station: str
    start: int
    end: int
    intervals: tuple[IntervalReport, ...]
    window: tuple[Difference, ...]
    issuer: str | None
    ends_early: EndsEarly | None = None
    """The window the export was asked for, when it ends before its end, and why."""

    @property
    def readings(self) -> int:
        """Readings in the export."""
        return sum(i.rows for i in self.intervals)

    @property
    def differences(self) -> list[tuple[IntervalReport | None, Difference]]:
        """Every difference, with its interval (None: the window's)."""
        found: list[tuple[IntervalReport | None, Difference]] = [(None, d) for d in self.window]
        for interval in self.intervals:
            found.extend((interval, d) for d in interval.differences)
        return found

    @property
    def verdict(self) -> Verdict:
        """INVALID if anything differs or a receipt fails; else undecided, else VALID."""
        verdicts = [i.verdict for i in self.intervals]
        if self.differences or any(v in (Verdict.INVALID, Verdict.REVOKED) for v in verdicts):
            return Verdict.INVALID
        for undecided in (Verdict.UNVERIFIABLE, Verdict.PENDING):
            if any(v == undecided for v in verdicts):
                return undecided
        if any(v == Verdict.VALID_PENDING_CONFIRMATIONS for v in verdicts):
            return Verdict.VALID_PENDING_CONFIRMATIONS
        return Verdict.VALID

    def summary(self) -> str:
        """One sentence: the window, the counts, whether it is complete and unaltered, and
        whether it ends before the end it was asked for (and why)."""
        late = sum(i.late for i in self.intervals)
        head = (
            f"readings from {_when(self.start)} to {_when(self.end)} at station {self.station}: "
            f"{len(self.intervals):,} intervals, {self.readings:,} readings"
            + (f" ({late:,} late)" if late else "")
        )
        verdict = self.verdict
        if verdict == Verdict.VALID:
            said = head + ", complete and unaltered" + self.signed_note()
        elif verdict == Verdict.INVALID:
            n = len(self.differences) + sum(
                1 for i in self.intervals if i.verdict in (Verdict.INVALID, Verdict.REVOKED)
            )
            said = head + f": NOT as anchored ({n} difference{'s' if n != 1 else ''})"
        else:
            said = (
                head + f": {verdict.value} (the data matches its receipts; the chain cannot "
                "confirm all yet)"
            )
        return said + self.ends_early_note()

    def signed_note(self) -> str:
        """``, signed by the issuer with its own key 0x…`` when every interval's receipt
        carries the issuer's signature (empty when the service vouches for any of them)."""
        signers = set()
        for interval in self.intervals:
            signed = None if interval.outcome is None else interval.outcome.inclusion.receipt
            if signed is None or signed.issuer_signature is None:
                return ""
            signers.add(signed.issuer_signature.signer)
        if not signers:
            return ""
        keys = ", ".join(sorted(signers))
        return f", signed by the issuer with its own key{'s' if len(signers) > 1 else ''} {keys}"

    def ends_early_note(self) -> str:
        """``; it ends before the end asked for, …, because …`` (empty when it does not)."""
        early = self.ends_early
        if early is None:
            return ""
        why = (
            f"one export holds at most {MAX_EXPORT_INTERVALS:,} intervals: export the rest "
            f"from {_when(self.end)}"
            if early.reason == "interval-limit"
            else f"the intervals after {_when(self.end)} were not sealed yet when it was exported"
        )
        return f"; it ends before the end asked for, {_when(early.requested_end)}, because {why}"


def _when(seconds: int) -> str:
    """``2026-03-01 02:10 UTC`` (seconds shown only when not zero)."""
    text = format_time(seconds).replace("T", " ")
    return (text[:-4] if text.endswith(":00Z") else text[:-1]) + " UTC"


def check_export(export: StreamExport, chain: ChainCheck) -> StreamReport:
    """Recompute every interval of the export and check each against its anchored receipt."""
    station, length = export.station_id, export.interval_s
    window: list[Difference] = []
    held = {i.start: i for i in export.intervals}
    for start in range(export.start, export.end, length):
        if start not in held:
            window.append(
                Difference(
                    "missing",
                    f"interval {_when(start)} to {_when(start + length)} is missing "
                    "(its receipt and all its readings)",
                )
            )
    for interval in export.intervals:
        if not (
            export.start <= interval.start < export.end
            and interval.start % length == 0
            and interval.end == interval.start + length
        ):
            window.append(
                Difference(
                    "added",
                    f"interval {_when(interval.start)} to {_when(interval.end)} is not one "
                    "of the window's intervals",
                )
            )
    for start, row in export.stray:
        window.append(
            Difference(
                "added",
                f"row {row.number} ({describe(row.reading)}) names interval "
                f"{_when(start)}, which the export does not hold",
                (row.number,),
            )
        )
    reports = [_check_interval(station, interval, chain) for interval in export.intervals]
    issuers = {r.outcome.inclusion.receipt.values.issuer for r in reports if r.outcome is not None}
    if len(issuers) > 1:
        window.append(Difference("changed", f"the intervals' receipts name {len(issuers)} issuers"))
    reports = _relocate_late(station, export.intervals, reports)
    issuer = next(iter(issuers)) if len(issuers) == 1 else None
    return StreamReport(
        station,
        export.start,
        export.end,
        tuple(reports),
        tuple(window),
        issuer,
        export.ends_early,
    )


def _check_interval(station: str, interval: ExportInterval, chain: ChainCheck) -> IntervalReport:
    late = sum(1 for r in interval.rows if r.late)
    try:
        receipt = Receipt.from_dict(interval.receipt)
        if receipt.metadata is None:
            raise FormatError("metadata", "missing: the interval's metadata must be disclosed")
        claim = claim_of(
            receipt.metadata, receipt.values.digest, station, interval.start, interval.end
        )
    except FormatError as exc:
        bad = Difference("changed", f"the interval's receipt does not fit it: {exc}")
        return IntervalReport(interval.start, interval.end, len(interval.rows), late, (bad,), None)
    found = compare_interval(station, interval.start, interval.end, interval.rows, claim)
    return IntervalReport(
        interval.start, interval.end, len(interval.rows), late, tuple(found), chain(receipt)
    )


def _relocate_late(
    station: str, intervals: Sequence[ExportInterval], reports: list[IntervalReport]
) -> list[IntervalReport]:
    """A late reading shown in its own interval (one row added there, one missing from a
    later interval that sealed it) is named as what it is: late, moved."""
    out = list(reports)
    for a, report in enumerate(out):
        added = [d for d in report.differences if d.kind == "added" and len(d.rows) == 1]
        if not added:
            continue
        (number,) = added[-1].rows
        row = next(r for r in intervals[a].rows if r.number == number)
        for b in range(a + 1, len(out)):
            later = out[b]
            claim = _claim(later)
            if claim is None or not any(d.kind == "missing" for d in later.differences):
                continue
            moved = Row(row.number, row.reading, True)
            candidate = sorted(
                (*intervals[b].rows, moved), key=lambda r: (r.reading.time, r.reading.parameter)
            )
            if rows_fit(station, intervals[b].start, candidate, claim):
                late = Difference(
                    "late",
                    f"row {row.number} ({describe(row.reading)}) arrived late: it was "
                    f"anchored with interval {_when(intervals[b].start)} to "
                    f"{_when(intervals[b].end)}, but the export shows it on time in "
                    f"{_when(intervals[a].start)} to {_when(intervals[a].end)}",
                    (row.number,),
                )
                out[a] = replace(
                    report,
                    differences=(*(d for d in report.differences if d is not added[-1]), late),
                )
                out[b] = replace(
                    later, differences=tuple(d for d in later.differences if d.kind != "missing")
                )
                break
    return out


def _claim(report: IntervalReport) -> Claim | None:
    if report.outcome is None:
        return None
    receipt = report.outcome.inclusion.receipt
    metadata = receipt.metadata or {}
    return Claim(receipt.values.digest, int(metadata["count"]), int(metadata["lateCount"]))


# -- one reading -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadingReport:
    """One reading's proof checked."""

    description: str
    problem: str | None
    outcome: Outcome | None

    @property
    def verdict(self) -> Verdict:
        """INVALID if the proof does not hold, else the interval receipt's verdict."""
        if self.problem is not None or self.outcome is None:
            return Verdict.INVALID
        return self.outcome.judgement.verdict


def check_reading_proof(data: Mapping[str, Any], chain: ChainCheck) -> ReadingReport:
    """Check a notary-reading-proof-v1: line, leaf, proof to the interval root, then the chain."""
    if data.get("format") != PROOF_FORMAT:
        raise FormatError("format", f"expected {PROOF_FORMAT!r}")
    station = str(data.get("station"))
    r = data.get("reading")
    if not isinstance(r, Mapping) or not isinstance(r.get("value"), str):
        raise FormatError("reading", "expected the reading's fields")
    reading = reading_of(r["time"], r["parameter"], r["value"], r["unit"], r["quality"], "reading")
    interval = data.get("interval")
    if not isinstance(interval, Mapping):
        raise FormatError("interval", "expected an object")
    start, end = (
        parse_time(interval.get("start"), "interval.start"),
        parse_time(interval.get("end"), "interval.end"),
    )
    receipt = Receipt.from_dict(data.get("receipt"))
    if receipt.metadata is None:
        raise FormatError("receipt.metadata", "missing")
    claim = claim_of(receipt.metadata, receipt.values.digest, station, start, end)
    late = reading.time < start
    line = reading_line(station, reading, late)
    leaf = hashlib.sha256(line).digest()
    proof = data.get("proof")
    if not isinstance(proof, list) or not all(isinstance(p, str) for p in proof):
        raise FormatError("proof", "expected a list of 0x-hex hashes")
    try:
        siblings = [bytes.fromhex(p[2:]) for p in proof]
    except ValueError:
        raise FormatError("proof", "expected 0x-hex hashes") from None
    what = describe(reading) + f" at station {station}"
    if data.get("line") != line.decode("utf-8"):
        return ReadingReport(what, "the proof's line is not the reading's canonical line", None)
    implied = process_proof(leaf, siblings)  # one reading: no siblings, the leaf is the root
    if implied != claim.root.raw:
        return ReadingReport(
            what,
            f"the proof leads to 0x{implied.hex()}, not the interval root {claim.root.hex}",
            None,
        )
    return ReadingReport(what, None, chain(receipt))
