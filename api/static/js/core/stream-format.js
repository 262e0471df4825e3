// Monitoring readings as notary-stream-interval-v1 writes them (notary/core/streams.py,
// notary/schemas/stream-interval-v1.md): the fields' rules, a reading's line and leaf
// (SHA-256 by Web Crypto), an interval's root, the canonical order. Changing anything here
// that the Python side does not change breaks the check of every export; the browser tests
// hold this module to tests/vectors/stream-interval.json.
import { bytesToHex } from './hex.js';
import { treeRoot } from './proof.js';

export const READING_TAG = 'notary-stream-reading-v1';
export const ENCODING = 'notary-stream-interval-v1';
export const DOCUMENT_TYPE = 'monitoring-interval';
/** printf 'notary-stream-interval-v1\tempty' | sha256sum: the root of an interval with no readings. */
export const EMPTY_ROOT = '0x6eba4f7a59c3e66898465898a72e6b4cbc44ee9b2bc1a3a0b6b5c62184a18f38';
export const QUALITY_FLAGS = ['valid', 'suspect', 'invalid', 'calibration', 'maintenance'];
const MAX_VALUE_CHARS = 32;

const STATION_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const NAME = /^[^\x00-\x1f\x7f\s](?:[^\x00-\x1f\x7f]{0,30}[^\x00-\x1f\x7f\s])?$/u;
const UNIT = /^(?:[^\x00-\x1f\x7f\s](?:[^\x00-\x1f\x7f]{0,30}[^\x00-\x1f\x7f\s])?)?$/u;
const CANONICAL_VALUE = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]*[1-9])?$/;
const PLAIN_DECIMAL = /^([+-]?)([0-9]{1,32})(?:\.([0-9]{0,32}))?$/;
const LENIENT_VALUE = /^[+-]?[0-9]{1,32}(?:\.[0-9]{0,32})?(?:[eE][+-]?[0-9]{1,3})?$/;
/**
 * @typedef {{path?: string, row?: number, column?: string}} Where a field's place in the file
 * @typedef {{time: number, parameter: string, value: string, unit: string, quality: string}} Reading
 */

const TIME = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.0+)?(Z|([+-])(\d\d):(\d\d))$/;

/** A field that breaks the format: `key` names the message (stream.bad.KEY) and `where`
 * the place ({row, column} in a CSV file, {path} in JSON). */
export class FormatError extends Error {
  /** @param {Where} where @param {string} key @param {Record<string, unknown>} [params] */
  constructor(where, key, params = {}) {
    super(`${where.path || `row ${where.row}.${where.column || ''}`}: ${key}`);
    this.where = where;
    this.key = key;
    this.params = params;
  }
}

/** @param {unknown} text @param {Where} where @returns {string} */
export function stationId(text, where) {
  if (typeof text !== 'string' || !STATION_ID.test(text)) throw new FormatError(where, 'stationId');
  return text;
}

/** @param {unknown} text @param {Where} where @returns {string} */
export function parameterName(text, where) {
  if (typeof text !== 'string' || !NAME.test(text)) throw new FormatError(where, 'parameter');
  return text;
}

/** @param {unknown} text @param {Where} where @returns {string} */
export function unitName(text, where) {
  if (typeof text !== 'string' || !UNIT.test(text)) throw new FormatError(where, 'unit');
  return text;
}

/** @param {unknown} text @param {Where} where @returns {string} */
export function qualityFlag(text, where) {
  if (typeof text !== 'string' || !QUALITY_FLAGS.includes(text)) throw new FormatError(where, 'quality', { flags: QUALITY_FLAGS.join(', ') });
  return text;
}

/** A plain decimal as the service would write it (`12.50` → `12.5`); null when it takes more.
 * @param {string} text */
function canonicalOf(text) {
  const m = PLAIN_DECIMAL.exec(text);
  if (!m) return null;
  const whole = m[2].replace(/^0+(?=\d)/, '');
  const fraction = (m[3] || '').replace(/0+$/, '');
  const out = `${m[1] === '-' ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
  return out === '-0' ? '0' : out;
}

/** A value exactly as the service writes it: re-canonicalising would hide 35.20 → 35.2.
 * @param {unknown} text @param {Where} where @returns {string} */
export function exactValue(text, where) {
  if (typeof text !== 'string') throw new FormatError(where, 'valueText');
  if (text.length <= MAX_VALUE_CHARS && CANONICAL_VALUE.test(text) && text !== '-0') return text;
  if (!LENIENT_VALUE.test(text)) throw new FormatError(where, 'value');
  const canonical = canonicalOf(text);
  throw new FormatError(where, canonical ? 'valueCanonical' : 'valueForm', { value: text, canonical });
}

/** Unix seconds as RFC 3339 UTC, `2026-03-01T02:10:00Z`.
 * @param {number} seconds @returns {string} */
export function formatTime(seconds) {
  return `${new Date(seconds * 1000).toISOString().slice(0, 19)}Z`;
}

/** @type {Map<unknown, number>} */
const parsedTimes = new Map(); // an export repeats each interval's bounds on every row

/** RFC 3339 with an offset (whole seconds) or integer Unix seconds, as Unix seconds.
 * @param {unknown} value @param {Where} where @returns {number} */
export function parseTime(value, where) {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  const known = parsedTimes.get(value);
  if (known !== undefined) return known;
  const seconds = parseTimeText(value, where);
  if (parsedTimes.size > 100_000) parsedTimes.clear();
  parsedTimes.set(value, seconds);
  return seconds;
}

/** @param {unknown} value @param {Where} where */
function parseTimeText(value, where) {
  const m = typeof value === 'string' ? TIME.exec(value) : null;
  if (!m) throw new FormatError(where, 'time');
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  const back = new Date(0);
  back.setUTCFullYear(y, mo - 1, d); // not Date.UTC: it reads years 0-99 as 1900-1999
  back.setUTCHours(h, mi, s);
  const local = back.getTime() / 1000;
  const offsetMinutes = m[7] === 'Z' ? 0 : (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10]));
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d
    || h > 23 || mi > 59 || s > 59 || Number(m[9] || 0) > 23 || Number(m[10] || 0) > 59) {
    throw new FormatError(where, 'timeInvalid');
  }
  return local - offsetMinutes * 60;
}

/** A reading from its fields, strictly: {time, parameter, value, unit, quality}.
 * @param {unknown} time @param {unknown} parameter @param {unknown} value @param {unknown} unit
 * @param {unknown} quality @param {(column: string) => Where} at where each field is
 * @returns {Reading} */
export function readingOf(time, parameter, value, unit, quality, at) {
  return {
    time: parseTime(time, at('time')),
    parameter: parameterName(parameter, at('parameter')),
    value: exactValue(value, at('value')),
    unit: unitName(unit, at('unit')),
    quality: qualityFlag(quality, at('quality')),
  };
}

/** A reading sealed with an interval starting after its time arrived late. */
export const isLate = (/** @type {{time: number}} */ reading, /** @type {number} */ start) => reading.time < start;

/** The canonical line of a reading sealed with the interval starting at `start`.
 * @param {string} station @param {Reading} reading @param {number} start @returns {string} */
export function readingLine(station, reading, start) {
  return [
    READING_TAG, station, formatTime(reading.time), reading.parameter, reading.value,
    reading.unit, reading.quality, isLate(reading, start) ? '1' : '0',
  ].join('\t');
}

const encoder = new TextEncoder();

/** @type {Map<number, string>} */
const stamps = new Map(); // each time's text, written once (a station-day repeats each ~20 times)

/** @param {number} seconds */
function stamp(seconds) {
  let text = stamps.get(seconds);
  if (text === undefined) {
    if (stamps.size > 100_000) stamps.clear();
    text = formatTime(seconds);
    stamps.set(seconds, text);
  }
  return text;
}

/** SHA-256 of each reading's line (Web Crypto), in order, as 32-byte arrays.
 * @param {string} station @param {number} start @param {Reading[]} readings
 * @returns {Promise<Uint8Array[]>} */
export async function readingLeaves(station, start, readings) {
  const head = `${READING_TAG}\t${station}\t`;
  const digests = await Promise.all(readings.map((r) => {
    const line = `${head}${stamp(r.time)}\t${r.parameter}\t${r.value}\t${r.unit}\t${r.quality}\t${isLate(r, start) ? '1' : '0'}`;
    return crypto.subtle.digest('SHA-256', encoder.encode(line));
  }));
  return digests.map((d) => new Uint8Array(d));
}

/** The interval's root (0x-hex) over these leaves; EMPTY_ROOT when there are none.
 * @param {Uint8Array[]} leaves @returns {string} */
export function rootOf(leaves) {
  return leaves.length ? bytesToHex(treeRoot(leaves)) : EMPTY_ROOT;
}

const SURROGATE = /[\ud800-\udfff]/;

/** Strings by code point, which is the order of their UTF-8 bytes.
 * @param {string} a @param {string} b */
function byCodePoint(a, b) {
  if (a === b) return 0;
  if (!SURROGATE.test(a) && !SURROGATE.test(b)) return a < b ? -1 : 1;
  const x = [...a].map((c) => /** @type {number} */ (c.codePointAt(0))); // one code point each
  const y = [...b].map((c) => /** @type {number} */ (c.codePointAt(0)));
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

/** Canonical order: by time, then parameter by UTF-8 bytes.
 * @param {Reading} a @param {Reading} b @returns {number} */
export function compareReadings(a, b) {
  return a.time - b.time || byCodePoint(a.parameter, b.parameter);
}
