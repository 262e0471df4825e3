// Reading a file on the device as notary/streams/export.py reads it: an export
// (notary-stream-export-v1 or -v2, CSV or JSON, as GET /v1/stations/{id}/readings gives it)
// or one reading's proof (notary-reading-proof-v1). Strict: a field out of form is an error
// that names its row and column (CSV) or its path (JSON), never guessed around. A v2 export
// ends before the end it was asked for and says so (`requested`): `endsEarly` carries it.
import { CsvError, parseCsv } from './csv.js';
import { RECEIPT_FORMAT } from './receipt.js';
import { FormatError, parseTime, readingOf, stationId } from './stream-format.js';

export const EXPORT_FORMAT = 'notary-stream-export-v1';
export const EXPORT_FORMAT_V2 = 'notary-stream-export-v2';
/** Why an export ends before the end asked for: not sealed yet, or the interval limit. */
export const ENDS_EARLY = ['not-sealed', 'interval-limit'];
export const PROOF_FORMAT = 'notary-reading-proof-v1';
export const MAX_EXPORT_BYTES = 512 << 20;
export const MAX_EXPORT_INTERVALS = 9000;
export const CSV_HEADER = ['record', 'station', 'interval_start', 'interval_end', 'time', 'parameter', 'value', 'unit', 'quality', 'late', 'data'];

/**
 * @typedef {import('./stream-format.js').Where} Where
 * @typedef {import('./stream-format.js').Reading} Reading
 * @typedef {{start: number, end: number, reason: string}} EndsEarly
 * @typedef {{number: number, reading: Reading, late: boolean}} Row a reading and the row (CSV) or count (JSON) it came at
 * @typedef {{start: number, end: number, receipt: Record<string, any>, rows: Row[]}} Interval
 * @typedef {{station: Record<string, any>, start: number, end: number, intervals: Interval[],
 *   stray: {start: number, row: Row}[], endsEarly: EndsEarly | null}} Export
 */

/** @param {unknown} v @returns {v is Record<string, any>} */
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const join = (/** @type {string} */ path, /** @type {string} */ key) => (path ? `${path}.${key}` : key);

/** A JSON object with exactly these keys (unknown ones are errors, as the CLI has them);
 * `where` places the JSON in the file (a CSV cell) and `path` the object within it.
 * @param {unknown} value @param {string} path @param {string[]} required
 * @param {string[]} [optional] @param {Where} [where] @returns {Record<string, any>} */
function obj(value, path, required, optional = [], where = {}) {
  if (!isObject(value)) throw new FormatError({ ...where, path: path || '$' }, 'object');
  for (const key of Object.keys(value)) {
    if (!required.includes(key) && !optional.includes(key)) throw new FormatError({ ...where, path: join(path, key) }, 'unknownField');
  }
  for (const key of required) if (!(key in value)) throw new FormatError({ ...where, path: join(path, key) }, 'missingField');
  return value;
}

/** @param {unknown} value @param {string} path @param {Where} [where] */
function station(value, path, where = {}) {
  const st = obj(value, path, ['id', 'intervalSeconds'], ['name', 'kind', 'issuer', 'parameters', 'location'], where);
  stationId(st.id, { ...where, path: join(path, 'id') });
  if (!Number.isSafeInteger(st.intervalSeconds) || st.intervalSeconds < 1) {
    throw new FormatError({ ...where, path: join(path, 'intervalSeconds') }, 'integer');
  }
  return st;
}

/** What kind of file `bytes` holds and its content: {kind: 'export'|'proof', …}.
 * @param {Uint8Array} bytes
 * @returns {{kind: 'export', export: Export} | {kind: 'proof', proof: Record<string, any>}} */
export function readFile(bytes) {
  if (bytes.length > MAX_EXPORT_BYTES) throw new FormatError({ path: '$' }, 'tooLarge', { max: MAX_EXPORT_BYTES });
  let from = 0;
  while (from < bytes.length && [0x20, 0x09, 0x0a, 0x0d].includes(bytes[from])) from += 1;
  if (bytes[from] === 0x7b) return fromJsonText(decode(bytes));
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf; // a spreadsheet's mark
  return { kind: 'export', export: fromCsv(decode(bom ? bytes.subarray(3) : bytes)) };
}

/** @param {Uint8Array} bytes */
function decode(bytes) {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new FormatError({ path: '$' }, 'utf8');
  }
}

/** @param {string} text @returns {{kind: 'export', export: Export} | {kind: 'proof', proof: Record<string, any>}} */
function fromJsonText(text) {
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    throw new FormatError({ path: '$' }, 'json');
  }
  if (isObject(data) && data.format === PROOF_FORMAT) return { kind: 'proof', proof: data };
  if (isObject(data) && data.format === RECEIPT_FORMAT) throw new FormatError({ path: 'format' }, 'isReceipt');
  return { kind: 'export', export: fromJson(data) };
}

/** The window a v2 export was asked for: {start, end, reason}, its end after the export's.
 * @param {unknown} start @param {unknown} end @param {string} reason @param {number} to the export's end
 * @param {{start: Where, end: Where, reason: Where}} at
 * @returns {EndsEarly} */
function endsEarlyOf(start, end, reason, to, at) {
  const early = { start: parseTime(start, at.start), end: parseTime(end, at.end), reason };
  if (!ENDS_EARLY.includes(reason)) throw new FormatError(at.reason, 'endsEarly', { reasons: ENDS_EARLY.join(', ') });
  if (early.end <= to) throw new FormatError(at.end, 'requestedEnd');
  return early;
}

/** @param {unknown} data @returns {Export} */
function fromJson(data) {
  const d = obj(data, '', ['format', 'station', 'from', 'to', 'intervals'], ['requested']);
  if (d.format !== EXPORT_FORMAT && d.format !== EXPORT_FORMAT_V2) {
    throw new FormatError({ path: 'format' }, 'format', { expected: `${EXPORT_FORMAT} / ${EXPORT_FORMAT_V2}` });
  }
  /** @type {EndsEarly | null} */
  let endsEarly = null;
  if (d.format === EXPORT_FORMAT_V2) {
    if (!('requested' in d)) throw new FormatError({ path: 'requested' }, 'missingField');
    const asked = obj(d.requested, 'requested', ['from', 'to', 'endsEarly']);
    const at = { start: { path: 'requested.from' }, end: { path: 'requested.to' }, reason: { path: 'requested.endsEarly' } };
    endsEarly = endsEarlyOf(asked.from, asked.to, asked.endsEarly, parseTime(d.to, { path: 'to' }), at);
  } else if ('requested' in d) {
    throw new FormatError({ path: 'requested' }, 'unknownField');
  }
  const st = station(d.station, 'station');
  if (!Array.isArray(d.intervals)) throw new FormatError({ path: 'intervals' }, 'array');
  if (d.intervals.length > MAX_EXPORT_INTERVALS) throw new FormatError({ path: 'intervals' }, 'tooMany', { max: MAX_EXPORT_INTERVALS });
  let number = 0;
  const intervals = d.intervals.map((/** @type {unknown} */ item, /** @type {number} */ k) => {
    const path = `intervals[${k}]`;
    const it = obj(item, path, ['start', 'end', 'receipt', 'readings']);
    if (!isObject(it.receipt)) throw new FormatError({ path: `${path}.receipt` }, 'object');
    if (!Array.isArray(it.readings)) throw new FormatError({ path: `${path}.readings` }, 'array');
    const rows = it.readings.map((/** @type {unknown} */ raw, /** @type {number} */ j) => {
      const rp = `${path}.readings[${j}]`;
      const r = obj(raw, rp, ['time', 'parameter', 'value', 'unit', 'quality', 'late']);
      if (typeof r.late !== 'boolean') throw new FormatError({ path: `${rp}.late` }, 'bool');
      const reading = readingOf(r.time, r.parameter, r.value, r.unit, r.quality, (c) => ({ path: `${rp}.${c}` }));
      number += 1;
      return { number, reading, late: r.late };
    });
    return {
      start: parseTime(it.start, { path: `${path}.start` }),
      end: parseTime(it.end, { path: `${path}.end` }),
      receipt: it.receipt,
      rows,
    };
  });
  return {
    station: st, start: parseTime(d.from, { path: 'from' }), end: parseTime(d.to, { path: 'to' }), intervals, stray: [], endsEarly,
  };
}

/** @param {string} text @returns {Export} */
function fromCsv(text) {
  let records;
  try {
    records = parseCsv(text);
  } catch (err) {
    if (err instanceof CsvError) throw new FormatError({ row: err.record }, err.reason === 'unclosed' ? 'csvUnclosed' : 'csvQuote');
    throw err;
  }
  if (!records.length || records[0].join(',') !== CSV_HEADER.join(',') || records[0].length !== CSV_HEADER.length) {
    throw new FormatError({ row: 1 }, 'header', { header: CSV_HEADER.join(',') });
  }
  /** @type {Record<string, any> | null} */
  let st = null;
  let window = [0, 0];
  /** @type {EndsEarly | null} */
  let endsEarly = null;
  /** @type {Map<number, Interval>} */
  const intervals = new Map();
  /** @type {Export['stray']} */
  const stray = [];
  for (let i = 1; i < records.length; i += 1) {
    const row = i + 1;
    const fields = records[i];
    const at = (/** @type {string} */ column) => ({ row, column });
    if (fields.length !== CSV_HEADER.length) {
      throw new FormatError({ row }, 'columns', { expected: CSV_HEADER.length, got: fields.length });
    }
    const [record, sid, start, end, time, parameter, value, unit, quality, late, data] = fields;
    if (st === null) {
      if (record !== 'window') throw new FormatError({ row }, 'windowFirst');
      st = station(jsonObject(data, at('data')), '', at('data'));
      window = [parseTime(start, at('interval_start')), parseTime(end, at('interval_end'))];
      continue;
    }
    if (sid !== st.id) throw new FormatError(at('station'), 'station', { expected: st.id });
    if (record === 'requested') {
      if (row !== 3) throw new FormatError({ row }, 'requestedRow');
      const where = { start: at('interval_start'), end: at('interval_end'), reason: at('data') };
      endsEarly = endsEarlyOf(start, end, data, window[1], where);
      continue;
    }
    const bounds = [parseTime(start, at('interval_start')), parseTime(end, at('interval_end'))];
    if (record === 'interval') {
      if (intervals.has(bounds[0])) throw new FormatError({ row }, 'intervalTwice', { start });
      intervals.set(bounds[0], { start: bounds[0], end: bounds[1], receipt: jsonObject(data, at('data')), rows: [] });
    } else if (record === 'reading') {
      if (late !== '0' && late !== '1') throw new FormatError(at('late'), 'late01');
      const entry = { number: row, reading: readingOf(time, parameter, value, unit, quality, at), late: late === '1' };
      const held = intervals.get(bounds[0]);
      if (!held || held.end !== bounds[1]) stray.push({ start: bounds[0], row: entry });
      else held.rows.push(entry);
    } else {
      throw new FormatError(at('record'), 'record');
    }
  }
  if (st === null) throw new FormatError({ row: 2 }, 'noWindow');
  const sorted = [...intervals.values()].sort((a, b) => a.start - b.start);
  return { station: st, start: window[0], end: window[1], intervals: sorted, stray, endsEarly };
}

/** @param {string} text @param {Where} where @returns {Record<string, any>} */
function jsonObject(text, where) {
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    throw new FormatError(where, 'json');
  }
  if (!isObject(value)) throw new FormatError(where, 'object');
  return value;
}

/** How many reading rows an export holds.
 * @param {Export} exp @returns {number} */
export function readingCount(exp) {
  return exp.intervals.reduce((n, i) => n + i.rows.length, 0) + exp.stray.length;
}
