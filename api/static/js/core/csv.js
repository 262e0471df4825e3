// CSV as RFC 4180 writes it (and Python's csv module with strict=True reads it): fields
// separated by commas, records by CRLF, LF or CR; a field in double quotes may hold commas,
// line breaks and quotes written twice. Text after a closing quote, or a quote never
// closed, is an error naming the record; a quote inside an unquoted field is kept as it is
// (as Python's reader does, so this page and `notary verify-stream` read a file alike).

export class CsvError extends Error {
  /** record: the 1-based record number (the header is record 1), as a spreadsheet counts.
   * @param {number} record @param {'afterQuote' | 'unclosed'} reason */
  constructor(record, reason) {
    super(`record ${record}: ${reason}`);
    this.record = record;
    this.reason = reason; // 'afterQuote' | 'unclosed'
  }
}

/** Every record of `text`, each an array of strings; a blank line is an empty record.
 * @param {string} text @returns {string[][]} */
export function parseCsv(text) {
  /** @type {string[][]} */
  const records = [];
  /** @type {string[]} */
  let record = [];
  let field = '';
  let at = 0;
  let quotedField = false; // the current field was quoted (so it exists even if empty)
  const n = text.length;
  const endRecord = () => {
    if (record.length || field || quotedField) record.push(field);
    records.push(record);
    record = [];
    field = '';
    quotedField = false;
  };
  while (at < n) {
    const c = text[at];
    if (c === '"' && !field) {
      quotedField = true;
      at += 1;
      for (;;) {
        const close = text.indexOf('"', at);
        if (close < 0) throw new CsvError(records.length + 1, 'unclosed');
        field += text.slice(at, close);
        if (text[close + 1] === '"') {
          field += '"';
          at = close + 2;
        } else {
          at = close + 1;
          break;
        }
      }
      const next = text[at];
      if (at < n && next !== ',' && next !== '\n' && next !== '\r') {
        throw new CsvError(records.length + 1, 'afterQuote');
      }
      continue;
    }
    if (c === ',') {
      record.push(field);
      field = '';
      quotedField = false;
      at += 1;
      continue;
    }
    if (c === '\n' || c === '\r') {
      endRecord();
      at += c === '\r' && text[at + 1] === '\n' ? 2 : 1;
      continue;
    }
    // A run of plain characters at once: most of an export's bytes.
    let end = at + 1;
    while (end < n) {
      const d = text[end];
      if (d === ',' || d === '\n' || d === '\r') break;
      end += 1;
    }
    if (quotedField) throw new CsvError(records.length + 1, 'afterQuote');
    field += text.slice(at, end);
    at = end;
  }
  if (record.length || field || quotedField) endRecord();
  return records;
}
