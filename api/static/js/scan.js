// Reading a QR code with the camera (getUserMedia) or from a photo, and accepting only
// links to this service's verification page.
const FRAME_MAX = 720;
const PHOTO_MAX = 1600;
const FRAME_GAP_MS = 100;
/** @type {Worker | null} */
let worker = null;
let asked = 0;
const waiting = new Map();

export class ScanError extends Error {
  constructor(kind) {
    super(kind);
    this.kind = kind; // unsupported | camera
  }
}

function decoder() {
  if (!worker) {
    worker = new Worker(new URL('./qr-worker.js', import.meta.url));
    worker.onmessage = (event) => {
      const done = waiting.get(event.data.id);
      waiting.delete(event.data.id);
      if (done) done(event.data.text);
    };
  }
  return worker;
}

function decode(source, width, height, thorough) {
  const scale = Math.min(1, (thorough ? PHOTO_MAX : FRAME_MAX) / Math.max(width, height));
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  const canvas = new OffscreenCanvas(w, h);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) throw new ScanError('unsupported');
  context.drawImage(source, 0, 0, w, h);
  const pixels = context.getImageData(0, 0, w, h).data.buffer;
  asked += 1;
  const id = asked;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    decoder().postMessage({ id, width: w, height: h, pixels, thorough }, [pixels]);
  });
}

/** The text of the QR code in an image file, or null. */
export async function decodePhoto(file) {
  const bitmap = await createImageBitmap(file);
  try {
    return await decode(bitmap, bitmap.width, bitmap.height, true);
  } finally {
    bitmap.close();
  }
}

/** Show the camera in `video` and call `onText` with the first QR code seen; returns stop(). */
export async function startCamera(video, onText) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) throw new ScanError('unsupported');
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
  } catch {
    throw new ScanError('camera');
  }
  let running = true;
  const stop = () => {
    running = false;
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  };
  video.srcObject = stream;
  await video.play();
  const look = async () => {
    if (!running) return;
    if (video.videoWidth) {
      const text = await decode(video, video.videoWidth, video.videoHeight, false);
      if (text && running) {
        stop();
        onText(text);
        return;
      }
    }
    setTimeout(look, FRAME_GAP_MS);
  };
  look();
  return stop;
}

/**
 * The leaf in `text` if it is a link to the verification page of one of `bases` (this
 * page's origin, the service's public URL): `<base>/v/<leaf>` or `<base>/verify?leaf=`.
 */
export function leafFromLink(text, bases) {
  let url;
  try {
    url = new URL(String(text).trim());
  } catch {
    return null;
  }
  for (const base of bases) {
    let root;
    try {
      root = new URL(base);
    } catch {
      continue;
    }
    if (url.origin !== root.origin) continue;
    const prefix = root.pathname.replace(/\/$/, '');
    const path = url.pathname;
    const short = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/v/(0x[0-9a-fA-F]{64})$`).exec(path);
    if (short) return short[1].toLowerCase();
    if (path === `${prefix}/verify`) {
      const leaf = url.searchParams.get('leaf');
      if (leaf && /^0x[0-9a-fA-F]{64}$/.test(leaf)) return leaf.toLowerCase();
    }
  }
  return null;
}
