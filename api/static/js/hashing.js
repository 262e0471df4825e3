// Hashing on the device, in a Web Worker loaded only when a file is picked.

/** Files up to this size are hashed by Web Crypto in one call (see hash-worker.js); the
 * page's data-hash-one-shot-max (api/routers/pages.py) says the same, and wins. */
export const ONE_SHOT_MAX = 512 * 1024 * 1024;

function oneShotMax() {
  const value = Number(document.getElementById('main')?.dataset.hashOneShotMax);
  return Number.isSafeInteger(value) && value >= 0 ? value : ONE_SHOT_MAX;
}

/** The file's SHA-256 as 0x-hex; `onProgress(done, total)` as slices are hashed, with
 * done null while the file is read whole for Web Crypto's one digest call. */
export function hashFile(file, onProgress) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./hash-worker.js', import.meta.url));
    performance.mark('hash-start');
    worker.onmessage = (event) => {
      const msg = event.data;
      if (msg.type === 'progress') {
        onProgress(msg.done, msg.total);
        return;
      }
      worker.terminate();
      if (msg.type === 'done') {
        performance.mark('hash-end');
        const detail = { bytes: msg.bytes, engine: msg.engine, workerMs: msg.ms, readMs: msg.readMs, digest: msg.digest };
        performance.measure('hash', { start: 'hash-start', end: 'hash-end', detail });
        resolve(msg.digest);
      } else {
        reject(new Error(msg.message));
      }
    };
    worker.onerror = (event) => {
      worker.terminate();
      reject(new Error(event.message || 'worker failed'));
    };
    worker.postMessage({ file, oneShotMax: oneShotMax() });
  });
}
