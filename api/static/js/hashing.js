// Hashing on the device, in a Web Worker loaded only when a file is picked.

/** The file's SHA-256 as 0x-hex; `onProgress(done, total)` as slices are hashed. */
export function hashFile(file, onProgress) {
  return new Promise((resolve, reject) => {
    const worker = new Worker('/static/js/hash-worker.js');
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
        performance.measure('hash', { start: 'hash-start', end: 'hash-end', detail: { bytes: msg.bytes, engine: msg.engine, workerMs: msg.ms } });
        resolve(msg.digest);
      } else {
        reject(new Error(msg.message));
      }
    };
    worker.onerror = (event) => {
      worker.terminate();
      reject(new Error(event.message || 'worker failed'));
    };
    worker.postMessage({ file });
  });
}
