// SHA-256 of a file, read in slices so a 200 MB file neither freezes the page nor sits
// in memory whole; the next slice is read while the current one is hashed.
/* global hashwasm */
importScripts('/static/vendor/hash-wasm/dist/sha256.umd.min.js');

const SLICE = 8 << 20;

async function hashWasm(file) {
  const hasher = await hashwasm.createSHA256();
  hasher.init();
  let next = file.slice(0, SLICE).arrayBuffer();
  for (let offset = 0; offset < file.size; offset += SLICE) {
    const chunk = new Uint8Array(await next);
    if (offset + SLICE < file.size) next = file.slice(offset + SLICE, offset + 2 * SLICE).arrayBuffer();
    hasher.update(chunk);
    postMessage({ type: 'progress', done: Math.min(offset + SLICE, file.size), total: file.size });
  }
  return hasher.digest('hex');
}

// Where WebAssembly may not run (a policy without 'wasm-unsafe-eval'), Web Crypto hashes
// the file in one piece: slower to start, no progress, the same digest.
async function hashSubtle(file) {
  const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
  postMessage({ type: 'progress', done: file.size, total: file.size });
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

self.onmessage = async (event) => {
  const { file } = event.data;
  const started = performance.now();
  try {
    let hex;
    let engine = 'hash-wasm';
    try {
      hex = await hashWasm(file);
    } catch (err) {
      if (!(err instanceof WebAssembly.CompileError || /wasm|WebAssembly|Content Security/i.test(String(err)))) throw err;
      engine = 'webcrypto';
      hex = await hashSubtle(file);
    }
    postMessage({ type: 'done', digest: `0x${hex}`, ms: performance.now() - started, bytes: file.size, engine });
  } catch (err) {
    postMessage({ type: 'error', message: String(err && err.message ? err.message : err) });
  }
};
