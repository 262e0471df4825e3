// QR decoding off the main thread; jsQR is loaded only when the reader scans.
/* global jsQR */ // worker-globals.d.ts
importScripts('../vendor/jsqr/dist/jsQR.js');

self.onmessage = (event) => {
  const { id, width, height, pixels, thorough } = event.data;
  const code = jsQR(new Uint8ClampedArray(pixels), width, height, {
    inversionAttempts: thorough ? 'attemptBoth' : 'dontInvert',
  });
  postMessage({ id, text: code ? code.data : null });
};
