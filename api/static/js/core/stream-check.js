// An export checked on the device as notary/streams/verify.py's check_export checks it
// (and one reading's proof as check_reading_proof does): every interval of the window
// present once; each interval's rows recomputed into its root and held against its
// receipt's claim; when they differ, where and how (missing, added, changed, reordered,
// late). The chain is asked by the caller (stream.js); streamVerdict then combines both.
import { bytesToHex, sameHex } from './hex.js';
import { foldProof } from './proof.js';
import { receiptProblem } from './receipt.js';
import {
  DOCUMENT_TYPE, ENCODING, FormatError, compareReadings, formatTime, isLate, parseTime,
  readingLeaves, readingLine, readingOf, rootOf,
} from './stream-format.js';
import { MAX_EXPORT_INTERVALS } from './stream-export.js';

/**
 * @typedef {import('./stream-export.js').Export} Export
 * @typedef {import('./stream-export.js').Interval} Interval
 * @typedef {import('./stream-export.js').Row} Row
 * @typedef {{kind: string, key: string, params: Record<string, any>, rows: number[]}} Difference
 * @typedef {{root: string, size: number, lateCount: number}} Claim what an interval's receipt says of it
 * @typedef {{start: number, end: number, rows: number, late: number, differences: Difference[],
 *   receipt: Record<string, any> | null, claim: Claim | null, leaves: Uint8Array[] | null,
 *   outcome?: {verdict: string} | null}} IntervalReport
 * @typedef {{station: Record<string, any>, start: number, end: number, intervals: IntervalReport[],
 *   window: Difference[], issuer: string | null, endsEarly: Export['endsEarly']}} Report
 */

const IN_FLIGHT = 32;
/** @param {string} kind @param {string} key @param {Record<string, any>} [params] @param {number[]} [rows] @returns {Difference} */
const diff = (kind, key, params = {}, rows = []) => ({ kind, key, params, rows });

/** What an interval's receipt claims, {claim: {root, size, lateCount}}, or {problem: {key,
 * params}} when it is not a receipt or its details do not name this station and interval.
 * @param {any} receipt @param {string} station @param {number} start @param {number} end
 * @returns {{claim: Claim, problem?: undefined} | {problem: {key: string, params: Record<string, any>}, claim?: undefined}} */
function claimOf(receipt, station, start, end) {
  const problem = receiptProblem(receipt);
  if (problem) return { problem: { key: 'receiptShape', params: { field: problem } } };
  const metadata = receipt.metadata;
  if (!metadata) return { problem: { key: 'receiptNoMetadata', params: {} } };
  const expected = {
    documentType: DOCUMENT_TYPE, encoding: ENCODING, station,
    intervalStart: formatTime(start), intervalEnd: formatTime(end),
  };
  for (const [field, value] of Object.entries(expected)) {
    if (metadata[field] !== value) {
      return { problem: { key: 'receiptNames', params: { field, expected: value, got: String(metadata[field]) } } };
    }
  }
  for (const field of ['count', 'lateCount']) {
    if (!Number.isSafeInteger(metadata[field]) || metadata[field] < 0) return { problem: { key: 'receiptCount', params: { field } } };
  }
  return { claim: { root: receipt.values[0], size: metadata.count, lateCount: metadata.lateCount } };
}

/** Every way one interval's rows differ from its claim; `leaves` are the rows' leaves.
 * @param {{start: number, end: number, rows: Row[]}} interval @param {{root: string, size: number}} claim
 * @param {Uint8Array[]} leaves @returns {Difference[]} */
export function compareInterval(interval, claim, leaves) {
  const { start, end, rows } = interval;
  const found = [];
  for (let i = 1; i < rows.length; i += 1) {
    const [prev, row] = [rows[i - 1], rows[i]];
    if (compareReadings(row.reading, prev.reading) < 0) {
      found.push(diff('reordered', 'reordered', { row: row.number, reading: row.reading, prev: prev.number, prevReading: prev.reading }, [prev.number, row.number]));
    }
  }
  const keyOf = (/** @type {Row['reading']} */ r) => `${r.time}\u0000${r.parameter}`;
  const counts = new Map();
  for (const row of rows) counts.set(keyOf(row.reading), (counts.get(keyOf(row.reading)) || 0) + 1);
  const seen = new Map();
  for (const row of rows) {
    const key = keyOf(row.reading);
    if (counts.get(key) > 1 && seen.has(key)) {
      found.push(diff('added', 'repeated', { row: row.number, reading: row.reading, first: seen.get(key) }, [row.number]));
    }
    if (!seen.has(key)) seen.set(key, row.number);
  }
  for (const row of rows) {
    if (row.reading.time >= end) {
      found.push(diff('added', 'afterEnd', { row: row.number, reading: row.reading }, [row.number]));
    } else if (row.late !== isLate(row.reading, start)) {
      found.push(diff('late', row.late ? 'markedLate' : 'markedOnTime', { row: row.number, reading: row.reading }, [row.number]));
    }
  }
  const root = rootOf(leaves);
  if (sameHex(root, claim.root) && rows.length === claim.size) return found;
  found.push(contentDifference(rows, claim, leaves, root));
  return found;
}

/** Why the rows do not hash to the claimed root: the counts first, then a search.
 * @param {Row[]} rows @param {{root: string, size: number}} claim @param {Uint8Array[]} leaves @param {string} root */
function contentDifference(rows, claim, leaves, root) {
  const n = rows.length;
  const counts = { count: n, anchored: claim.size };
  if (n > claim.size) {
    const extra = n - claim.size;
    if (extra === 1) {
      for (let i = 0; i < n; i += 1) { // which single row, removed, gives the root?
        if (sameHex(rootOf([...leaves.slice(0, i), ...leaves.slice(i + 1)]), claim.root)) {
          return diff('added', 'addedRow', { row: rows[i].number, reading: rows[i].reading }, [rows[i].number]);
        }
      }
    }
    return diff('added', extra === 1 ? 'addedCount' : 'addedCountMany', { ...counts, extra });
  }
  if (n < claim.size) return diff('missing', 'missingCount', { ...counts, missing: claim.size - n });
  return diff('changed', 'changed', { ...counts, root: claim.root, got: root });
}

/** @param {string} station @param {Interval} interval @returns {Promise<IntervalReport>} */
async function checkInterval(station, interval) {
  const base = { start: interval.start, end: interval.end, rows: interval.rows.length, late: interval.rows.filter((r) => r.late).length };
  const { claim, problem } = claimOf(interval.receipt, station, interval.start, interval.end);
  if (problem) return { ...base, differences: [diff('changed', problem.key, problem.params)], receipt: null, claim: null, leaves: null };
  const leaves = await readingLeaves(station, interval.start, interval.rows.map((r) => r.reading));
  const differences = compareInterval(interval, claim, leaves);
  return { ...base, differences, receipt: interval.receipt, claim, leaves };
}

/**
 * The export's data checked (no chain yet): {station, start, end, intervals: [{start, end,
 * rows, late, differences, receipt, claim}], window: [differences], issuer, endsEarly
 * ({start, end, reason} of the window asked for, or null)}. `onProgress(done, total)` after
 * each interval.
 * @param {Export} exp
 * @param {(done: number, total: number) => void} [onProgress]
 * @returns {Promise<Report>}
 */
export async function checkExport(exp, onProgress = () => {}) {
  const id = exp.station.id;
  const length = exp.station.intervalSeconds;
  if ((exp.end - exp.start) / length > MAX_EXPORT_INTERVALS) {
    throw new FormatError({ path: 'to' }, 'windowTooLong', { max: MAX_EXPORT_INTERVALS });
  }
  if (!exp.intervals.length && exp.start >= exp.end) throw new FormatError({ path: '$' }, exp.endsEarly ? 'emptyEndsEarly' : 'empty');
  const window = [];
  const held = new Set(exp.intervals.map((i) => i.start));
  for (let start = exp.start; start < exp.end; start += length) {
    if (!held.has(start)) window.push(diff('missing', 'intervalMissing', { start, end: start + length }));
  }
  for (const i of exp.intervals) {
    if (!(exp.start <= i.start && i.start < exp.end && i.start % length === 0 && i.end === i.start + length)) {
      window.push(diff('added', 'intervalOutside', { start: i.start, end: i.end }));
    }
  }
  for (const { start, row } of exp.stray) {
    window.push(diff('added', 'stray', { row: row.number, reading: row.reading, start }, [row.number]));
  }
  // Intervals IN_FLIGHT at a time: Web Crypto hashes their readings together (one interval
  // at a time took twice as long), and a month's export does not hold every line at once.
  const reports = new Array(exp.intervals.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < exp.intervals.length) {
      const k = next;
      next += 1;
      reports[k] = await checkInterval(id, exp.intervals[k]);
      done += 1;
      onProgress(done, exp.intervals.length);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const issuers = new Set(reports.filter((r) => r.receipt).map((r) => r.receipt.values[1]));
  if (issuers.size > 1) window.push(diff('changed', 'issuers', { count: issuers.size }));
  await relocateLate(id, exp.intervals, reports);
  const issuer = issuers.size === 1 ? [...issuers][0] : null;
  return {
    station: exp.station, start: exp.start, end: exp.end, intervals: reports, window, issuer, endsEarly: exp.endsEarly,
  };
}

/** A late reading shown in its own interval (one row added there, one missing from a later
 * interval that sealed it) is named as what it is: late, moved (as _relocate_late does).
 * @param {string} station @param {Interval[]} intervals @param {IntervalReport[]} reports */
async function relocateLate(station, intervals, reports) {
  for (let a = 0; a < reports.length; a += 1) {
    const added = reports[a].differences.filter((d) => d.kind === 'added' && d.rows.length === 1);
    if (!added.length) continue;
    const last = added[added.length - 1];
    const row = intervals[a].rows.find((r) => r.number === last.rows[0]);
    if (!row) continue; // an added row is one of this interval's
    for (let b = a + 1; b < reports.length; b += 1) {
      const later = reports[b];
      if (!later.claim || !later.leaves || !later.differences.some((d) => d.kind === 'missing')) continue;
      const [leaf] = await readingLeaves(station, intervals[b].start, [row.reading]);
      const fits = later.rows + 1 === later.claim.size && sameHex(rootOf([...later.leaves, leaf]), later.claim.root);
      if (!fits) continue;
      const moved = diff('late', 'movedLate', {
        row: row.number, reading: row.reading, sealedStart: intervals[b].start, sealedEnd: intervals[b].end,
        start: intervals[a].start, end: intervals[a].end,
      }, [row.number]);
      reports[a].differences = [...reports[a].differences.filter((d) => d !== last), moved];
      later.differences = later.differences.filter((d) => d.kind !== 'missing');
      break;
    }
  }
}

/** Every difference with its interval (null: the window's), as StreamReport.differences.
 * @param {Report} report @returns {(Difference & {interval: IntervalReport | null})[]} */
export function differencesOf(report) {
  return [
    ...report.window.map((d) => ({ interval: null, ...d })),
    ...report.intervals.flatMap((i) => i.differences.map((d) => ({ interval: i, ...d }))),
  ];
}

/** INVALID if anything differs or a receipt fails; else undecided, else VALID (as the CLI).
 * @param {Report} report @returns {string} */
export function streamVerdict(report) {
  const verdicts = report.intervals.map((i) => (i.outcome ? i.outcome.verdict : null));
  if (differencesOf(report).length || verdicts.some((v) => v === 'INVALID' || v === 'REVOKED')) return 'INVALID';
  for (const undecided of ['UNVERIFIABLE', 'PENDING', 'CHECKING']) if (verdicts.includes(undecided)) return undecided;
  if (verdicts.includes('VALID_PENDING_CONFIRMATIONS')) return 'VALID_PENDING_CONFIRMATIONS';
  return 'VALID';
}

/**
 * One reading's proof (notary-reading-proof-v1) checked up to its interval's receipt:
 * {reading, station, start, end, receipt, problem} with problem null (then the receipt goes
 * to the chain), 'proofLine' or 'proofRoot'. A field out of form throws FormatError.
 * @param {Record<string, any>} data the proof file's JSON
 */
export async function checkReadingProof(data) {
  const station = String(data.station);
  const r = data.reading;
  if (!r || typeof r !== 'object' || typeof r.value !== 'string') throw new FormatError({ path: 'reading' }, 'readingFields');
  const reading = readingOf(r.time, r.parameter, r.value, r.unit, r.quality, (/** @type {string} */ c) => ({ path: `reading.${c}` }));
  const interval = data.interval;
  if (!interval || typeof interval !== 'object') throw new FormatError({ path: 'interval' }, 'object');
  const start = parseTime(interval.start, { path: 'interval.start' });
  const end = parseTime(interval.end, { path: 'interval.end' });
  const { claim, problem } = claimOf(data.receipt, station, start, end);
  if (problem) throw new FormatError({ path: 'receipt' }, problem.key, problem.params);
  const proof = data.proof;
  if (!Array.isArray(proof) || !proof.every((p) => typeof p === 'string' && /^0x[0-9a-fA-F]{64}$/.test(p))) {
    throw new FormatError({ path: 'proof' }, 'proofHashes');
  }
  const out = { reading, station, start, end, receipt: data.receipt, late: isLate(reading, start), problem: null };
  const line = readingLine(station, reading, start);
  if (data.line !== line) return { ...out, problem: 'proofLine' };
  const leaf = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(line)));
  const implied = bytesToHex(foldProof(leaf, proof)); // no siblings: the leaf is the root
  if (!sameHex(implied, claim.root)) return { ...out, problem: 'proofRoot', implied };
  return out;
}
