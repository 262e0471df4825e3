// JSON read as strictly as notary/core/metadata.py's parse_json reads it: nothing after
// the value, no duplicate names, no NaN or Infinity, at most MAX_JSON_DEPTH levels. And
// what JSON.parse forgets is kept: which numbers were written as integers (a receipt's
// block number must be, 42.0 is not one) and which integers JavaScript cannot hold exactly.

export const MAX_JSON_DEPTH = 64;

export class JsonError extends Error {}

/** @type {WeakMap<object, Map<string | number, 'float' | 'unsafe'>>} */
const lexemes = new WeakMap(); // object or array -> Map(name or index -> 'float' | 'unsafe')
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?(?:[eE][+-]?\d+)?/y;
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const SPACE = /[ \t\n\r]*/y;

/**
 * How the number at `container[key]` was written: 'float' (with a fraction or an
 * exponent), 'unsafe' (an integer beyond ±(2^53-1), not held exactly), or null (an
 * integer held exactly, or a value that did not come from parseJson).
 * @param {object} container @param {string | number} key
 * @returns {'float' | 'unsafe' | null}
 */
export function lexemeOf(container, key) {
  const kinds = lexemes.get(container);
  return (kinds && kinds.get(key)) || null;
}

/** The JSON value in `text`; JsonError when it is not strictly JSON.
 * @param {string} text @returns {any} */
export function parseJson(text) {
  let at = 0;
  let depth = 0;

  /** @type {(why: string) => never} */
  const fail = (why) => { throw new JsonError(`${why} at ${at}`); };
  const space = () => { SPACE.lastIndex = at; SPACE.exec(text); at = SPACE.lastIndex; };
  /** @param {RegExp} pattern */
  const match = (pattern) => {
    pattern.lastIndex = at;
    const found = pattern.exec(text);
    if (!found) return null;
    at = pattern.lastIndex;
    return found;
  };
  /** @param {object | null} container @param {string | number | null} key @param {'float' | 'unsafe'} kind */
  const note = (container, key, kind) => {
    if (container === null || key === null) return; // a bare number: no field of anything
    let kinds = lexemes.get(container);
    if (!kinds) lexemes.set(container, (kinds = new Map()));
    kinds.set(key, kind);
  };

  /** @param {object | null} container @param {string | number | null} key @returns {any} */
  function value(container, key) {
    space();
    const c = text[at];
    if (c === '{' || c === '[') {
      depth += 1;
      if (depth > MAX_JSON_DEPTH) fail(`nested deeper than ${MAX_JSON_DEPTH}`);
      at += 1;
      const out = c === '{' ? members() : elements();
      depth -= 1;
      return out;
    }
    if (c === '"') {
      const found = match(STRING);
      if (!found) fail('bad string');
      return JSON.parse(found[0]);
    }
    for (const [word, literal] of /** @type {[string, boolean | null][]} */ ([['true', true], ['false', false], ['null', null]])) {
      if (text.startsWith(word, at)) {
        at += word.length;
        return literal;
      }
    }
    const found = match(NUMBER);
    if (!found) fail('unexpected character');
    const number = Number(found[0]);
    if (/[.eE]/.test(found[0])) note(container, key, 'float');
    else if (!Number.isSafeInteger(number)) note(container, key, 'unsafe');
    return number;
  }

  /** @returns {Record<string, any>} */
  function members() {
    /** @type {Record<string, any>} */
    const out = {};
    space();
    if (text[at] === '}') {
      at += 1;
      return out;
    }
    for (;;) {
      space();
      const found = match(STRING);
      if (!found) fail('expected a name');
      const name = JSON.parse(found[0]);
      if (Object.prototype.hasOwnProperty.call(out, name)) fail(`duplicate name ${JSON.stringify(name)}`);
      space();
      if (text[at] !== ':') fail("expected ':'");
      at += 1;
      const item = value(out, name);
      Object.defineProperty(out, name, { value: item, enumerable: true, writable: true, configurable: true });
      space();
      if (text[at] === '}') {
        at += 1;
        return out;
      }
      if (text[at] !== ',') fail("expected ',' or '}'");
      at += 1;
    }
  }

  /** @returns {any[]} */
  function elements() {
    /** @type {any[]} */
    const out = [];
    space();
    if (text[at] === ']') {
      at += 1;
      return out;
    }
    for (;;) {
      out.push(value(out, out.length));
      space();
      if (text[at] === ']') {
        at += 1;
        return out;
      }
      if (text[at] !== ',') fail("expected ',' or ']'");
      at += 1;
    }
  }

  const result = value(null, null);
  space();
  if (at !== text.length) fail('more after the value');
  return result;
}
