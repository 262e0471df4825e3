// SHA-256 of a file, off the page's thread so a 200 MB file never freezes it.
// Up to `oneShotMax` bytes (the page's data-hash-one-shot-max), Web Crypto: the whole file
// read into memory, then one digest call, native SHA-256. Measured here (200 MB, headless
// Chromium, 2 loaded cores): one file.arrayBuffer() read took 0.2-0.3 s where reading the
// same file in 8 or 32 MiB slices took 0.7-1.5 s, so the reading shows as an indeterminate
// bar rather than a percentage. Beyond that limit, when the read fails (a phone without
// that much memory), or where crypto.subtle is absent (plain http on a non-local host),
// hash-wasm hashes slice by slice with nothing held but the current slice (~0.1 GB/s).
const SLICE = 8 << 20;

function progress(done, total) {
  postMessage({ type: 'progress', done, total });
}

/** @type {number | null} */
let readMs = null; // how much of a Web Crypto hash was reading the file (the benchmark)

async function hashSubtle(file) {
  const started = performance.now();
  progress(null, file.size);
  let whole;
  try {
    whole = await file.arrayBuffer();
  } catch {
    return null; // too large for this device's memory: the incremental path reads slices
  }
  readMs = performance.now() - started;
  const digest = await crypto.subtle.digest('SHA-256', whole);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function hashWasm(file) {
  if (!self.hashwasm) importScripts('../vendor/hash-wasm/dist/sha256.umd.min.js');
  const hasher = await self.hashwasm.createSHA256();
  hasher.init();
  let next = file.slice(0, SLICE).arrayBuffer();
  for (let offset = 0; offset < file.size; offset += SLICE) {
    const chunk = new Uint8Array(await next);
    if (offset + SLICE < file.size) next = file.slice(offset + SLICE, offset + 2 * SLICE).arrayBuffer();
    hasher.update(chunk);
    progress(Math.min(offset + SLICE, file.size), file.size);
  }
  return hasher.digest('hex');
}

self.onmessage = async (event) => {
  const { file, oneShotMax } = event.data;
  const started = performance.now();
  try {
    const subtle = Boolean(self.crypto && self.crypto.subtle);
    let hex = subtle && file.size <= oneShotMax ? await hashSubtle(file) : null;
    const engine = hex === null ? 'hash-wasm' : 'webcrypto';
    if (hex === null) hex = await hashWasm(file);
    postMessage({ type: 'done', digest: `0x${hex}`, ms: performance.now() - started, bytes: file.size, engine, readMs });
  } catch (err) {
    postMessage({ type: 'error', message: String(err instanceof Error ? err.message : err) });
  }
};
