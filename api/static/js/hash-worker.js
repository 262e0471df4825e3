// SHA-256 of a file, off the page's thread so a 200 MB file never freezes it.
// Up to `oneShotMax` bytes (the page's data-hash-one-shot-max), Web Crypto: the file is read
// in slices into one buffer (progress shown for the reading), then one digest call, native
// SHA-256 (~1.7 GB/s here with SHA-NI). Beyond that limit, where the buffer cannot be
// allocated, or where crypto.subtle is absent (plain http on a non-local host), hash-wasm
// hashes slice by slice with nothing held but the current slice (~100 MB/s here).
const SLICE = 8 << 20;

function progress(done, total, phase) {
  postMessage({ type: 'progress', done, total, phase });
}

/** The whole file in one buffer, read slice by slice (null if it cannot be allocated). */
async function readWhole(file) {
  let buffer;
  try {
    buffer = new Uint8Array(file.size);
  } catch (err) {
    if (err instanceof RangeError) return null; // a phone without that much memory
    throw err;
  }
  let next = file.slice(0, SLICE).arrayBuffer();
  for (let offset = 0; offset < file.size; offset += SLICE) {
    const chunk = new Uint8Array(await next);
    if (offset + SLICE < file.size) next = file.slice(offset + SLICE, offset + 2 * SLICE).arrayBuffer();
    buffer.set(chunk, offset);
    progress(offset + chunk.length, file.size, 'read');
  }
  return buffer;
}

let readMs = null; // how much of a Web Crypto hash was reading the file (the benchmark)

async function hashSubtle(file) {
  const started = performance.now();
  const whole = await readWhole(file);
  if (whole === null) return null;
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
    progress(Math.min(offset + SLICE, file.size), file.size, 'hash');
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
    postMessage({ type: 'error', message: String(err && err.message ? err.message : err) });
  }
};
