// The small DOM-free modules of api/static/js/core/ on their own (node --test, no browser):
// hex, CSV, strict JSON, canonical JSON and the receipt formats.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CsvError, parseCsv } from '../../api/static/js/core/csv.js';
import { RECEIPT_FORMAT, RECEIPT_FORMAT_V2, RECEIPT_FORMATS } from '../../api/static/js/core/formats.js';
import { bytesToHex, concat, hexToBytes, parseHex32, sameHex, word } from '../../api/static/js/core/hex.js';
import { canonicalBytes, canonicalJson } from '../../api/static/js/core/jcs.js';
import { JsonError, MAX_JSON_DEPTH, lexemeOf, parseJson } from '../../api/static/js/core/strict-json.js';

test('hex: bytes and 0x-hex both ways, odd or non-hex text refused', () => {
  assert.deepEqual(hexToBytes('0x00ff10'), new Uint8Array([0, 255, 16]));
  assert.deepEqual(hexToBytes('ABcd'), new Uint8Array([0xab, 0xcd]));
  assert.equal(bytesToHex(new Uint8Array([0, 255, 16])), '0x00ff10');
  assert.equal(bytesToHex(new Uint8Array()), '0x');
  for (const bad of ['0x0', '0xzz', '0x12 3']) assert.throws(() => hexToBytes(bad), /not hex/);
});

test('hex: concat joins, word pads to 32 bytes on the left and refuses more', () => {
  assert.deepEqual(concat(new Uint8Array([1]), new Uint8Array(), new Uint8Array([2, 3])), new Uint8Array([1, 2, 3]));
  const padded = word(new Uint8Array([7, 8]));
  assert.equal(padded.length, 32);
  assert.deepEqual([...padded.slice(0, 30)], new Array(30).fill(0));
  assert.deepEqual([...padded.slice(30)], [7, 8]);
  assert.throws(() => word(new Uint8Array(33)), /more than 32 bytes/);
});

test('hex: sameHex ignores case and is false for anything but two strings', () => {
  assert.equal(sameHex('0xABC', '0xabc'), true);
  assert.equal(sameHex('0xabc', '0xabd'), false);
  assert.equal(sameHex(null, null), false);
  assert.equal(sameHex(undefined, '0x'), false);
});

test('hex: parseHex32 reads a pasted digest (0x, sha256:, spaces, capitals) or gives null', () => {
  const body = 'AB'.repeat(32);
  const want = `0x${'ab'.repeat(32)}`;
  for (const text of [body, `0x${body}`, `  0X${body}\n`, `sha256:${body}`]) assert.equal(parseHex32(text), want, text);
  for (const text of ['', 'ab'.repeat(31), 'ab'.repeat(33), `${'ab'.repeat(31)}zz`]) assert.equal(parseHex32(text), null, text);
});

test('csv: RFC 4180 records as Python\'s csv module (strict) reads them', () => {
  // Each expected value is list(csv.reader(io.StringIO(text, newline=""), strict=True)).
  const cases = [
    ['a,"b,c","say ""hi""",\r\nd,"line\nbreak",e\n', [['a', 'b,c', 'say "hi"', ''], ['d', 'line\nbreak', 'e']]],
    ['x\n\ny\n', [['x'], [], ['y']]],
    ['"",,""\n', [['', '', '']]],
    ['tail,"no newline"', [['tail', 'no newline']]],
    ['in"side,quote\n', [['in"side', 'quote']]],
    ['a\rb\r\nc', [['a'], ['b'], ['c']]],
    ['', []],
  ];
  for (const [text, want] of cases) assert.deepEqual(parseCsv(text), want, JSON.stringify(text));
});

test('csv: a quote never closed, or text after a closing quote, names its record', () => {
  assert.throws(() => parseCsv('ok\n"open\n'), (err) => err instanceof CsvError && err.reason === 'unclosed' && err.record === 2);
  assert.throws(() => parseCsv('"closed"x\n'), (err) => err instanceof CsvError && err.reason === 'afterQuote' && err.record === 1);
});

test('strict JSON: what JSON.parse reads, and no more', () => {
  assert.deepEqual(parseJson(' {"a": [1, 2.5, "x", true, false, null]} '), { a: [1, 2.5, 'x', true, false, null] });
  for (const text of ['{"a":1,"a":2}', '{"a":1} x', 'NaN', '[Infinity]', '{"a":01}', "{'a':1}", '[1,]', '"\u0001"', '']) {
    assert.throws(() => parseJson(text), JsonError, JSON.stringify(text));
  }
});

test(`strict JSON: nesting deeper than ${MAX_JSON_DEPTH} is refused`, () => {
  const nested = (n) => `${'['.repeat(n)}${']'.repeat(n)}`;
  assert.doesNotThrow(() => parseJson(nested(MAX_JSON_DEPTH)));
  assert.throws(() => parseJson(nested(MAX_JSON_DEPTH + 1)), /nested deeper/);
});

test('strict JSON: how each number was written is kept (float, unsafe integer)', () => {
  const value = parseJson('{"block": 42, "fee": 42.0, "big": 9007199254740993, "exp": 1e3, "list": [1, 2.5]}');
  assert.equal(lexemeOf(value, 'block'), null);
  assert.equal(lexemeOf(value, 'fee'), 'float');
  assert.equal(lexemeOf(value, 'exp'), 'float');
  assert.equal(lexemeOf(value, 'big'), 'unsafe');
  assert.equal(lexemeOf(value.list, 0), null);
  assert.equal(lexemeOf(value.list, 1), 'float');
  assert.equal(lexemeOf(JSON.parse('{"fee": 42.0}'), 'fee'), null); // not read by parseJson
});

test('canonical JSON (RFC 8785): sorted by UTF-16 code units, numbers as ECMAScript writes them', () => {
  // RFC 8785 section 3.2.3's ordering example, and its number forms.
  const members = { '\u20ac': 'Euro Sign', '\r': 'Carriage Return', '\ufb33': 'Hebrew Letter Dalet With Dagesh', '1': 'One', '\ud83d\ude00': 'Emoji: Grinning Face', '\u0080': 'Control', '\u00f6': 'Latin Small Letter O With Diaeresis' };
  const order = ['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33'];
  const want = `{${order.map((name) => `${JSON.stringify(name)}:${JSON.stringify(members[name])}`).join(',')}}`;
  assert.equal(canonicalJson(members), want);
  assert.equal(canonicalJson({ b: [1e21, 1e-7, -0, 0.1, 100], a: { d: null, c: true } }), '{"a":{"c":true,"d":null},"b":[1e+21,1e-7,0,0.1,100]}');
  assert.equal(canonicalJson('\u2028 "q" \n'), '"\u2028 \\"q\\" \\n"');
  assert.throws(() => canonicalJson(NaN), TypeError);
  assert.throws(() => canonicalJson({ f: () => 1 }), TypeError);
  assert.deepEqual(canonicalBytes({ x: '\u00e9' }), new TextEncoder().encode('{"x":"\u00e9"}'));
});

test('the receipt formats every verifier reads: v1 and v2', () => {
  assert.deepEqual(RECEIPT_FORMATS, [RECEIPT_FORMAT, RECEIPT_FORMAT_V2]);
  assert.deepEqual(RECEIPT_FORMATS, ['notary-receipt-v1', 'notary-receipt-v2']);
});
