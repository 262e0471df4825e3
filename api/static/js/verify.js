// The verification page: read what the reader gives (a link's leaf, a file, a receipt,
// a pasted digest), ask the service, check its answer on this device and, when the
// service names a public node, ask the registry too; then show one card per answer.
import { acceptDrops, byId } from './dom.js';
import { parseHex32 } from './core/hex.js';
import { language, start, switchTo, t } from './i18n.js';
import { RECEIPT_FORMATS } from './core/formats.js';
import { checkIssuerSignature, preloadCurve } from './core/issuer-signature.js';
import { askRegistry, NodeError } from './core/node.js';
import { checkOnDevice, deviceVerdict } from './core/proof.js';
import { askable, differences, judge, proofOf } from './core/judge.js';
import { card, checkingCard, countLine } from './render.js';
import { embedded, ServiceError, verify } from './service.js';

const RECEIPT_MAX = 2 << 20;
const main = byId('main');
const results = byId('results');
const messageLine = byId('message');
const progressLine = byId('progress-line');
const progressBar = /** @type {HTMLProgressElement} */ (byId('progress'));
const progressLabel = byId('progress-label');
const pageLeaf = parseHex32(main.dataset.leaf || '');
const rpcUrl = main.dataset.rpcUrl || '';
const bases = [window.location.origin, main.dataset.publicUrl].filter(Boolean);
/** @type {{items: any[], count: number, ctx: any} | null} */
let shown = null; // what is on screen, kept to redraw it in the other language
/** @type {{key: string, params: object} | null} */
let message = null;
/** @type {(() => void) | null} */
let stopCamera = null;
let runs = 0; // the latest run; a slower node answer from an earlier one is dropped

/** @param {string | null} key @param {object} [params] */
function say(key, params = {}) {
  message = key ? { key, params } : null;
  messageLine.hidden = !key;
  messageLine.textContent = key ? t(key, params) : '';
}

/** fraction: 0..1, null (hide), or 'reading' (the file read whole: no percentage).
 * @param {number | null | 'reading'} fraction */
function progress(fraction) {
  if (fraction === null) {
    progressLine.hidden = true;
    return;
  }
  progressLine.hidden = false;
  if (fraction === 'reading') {
    progressBar.removeAttribute('value'); // indeterminate
    progressLabel.textContent = t('verify.reading');
    return;
  }
  progressBar.value = fraction;
  const percent = new Intl.NumberFormat(language(), { style: 'percent' }).format(fraction);
  progressLabel.textContent = t('verify.hashing', { percent });
}

async function askNode(result, proof) {
  if (!rpcUrl) return { state: 'none' };
  if (result.verdict === 'UNVERIFIABLE' || !askable(proof)) return { state: 'skipped' };
  let answer;
  try {
    answer = await askRegistry(rpcUrl, proof.anchor.contract, proof.values, proof.proof, proof.issuerSignature || null);
  } catch (err) {
    return { state: err instanceof NodeError ? err.kind : 'unreachable' };
  }
  if (answer.chainId !== proof.anchor.chainId) {
    return { state: 'chain', chainId: answer.chainId, recordChainId: proof.anchor.chainId, answer };
  }
  const diffs = differences(result, proof, answer);
  return { state: diffs.length ? 'disagree' : 'agree', diffs, answer };
}

/** One answer checked on this device; its node check, when there is one, still to come
 * (node.state 'checking': the service's verdict stands meanwhile, marked as being confirmed). */
function assess(result, ctx) {
  const proof = proofOf(result, ctx.receipt);
  const checks = checkOnDevice(proof, ctx.asked);
  const device = { ...checks, ok: proof ? deviceVerdict(checks) : null };
  const pending = Boolean(rpcUrl) && result.verdict !== 'UNVERIFIABLE' && askable(proof);
  const node = pending ? { state: 'checking' } : { state: rpcUrl ? 'skipped' : 'none' };
  return { result, proof, device, node, pending, shown: judge(result, device, node, ctx.asked) };
}

/** A receipt v2's issuer signature checked on this device (secp256k1 is loaded only for
 * one): a signature that does not check out makes the device's check fail. */
async function checkSignature(item, ctx) {
  const signed = item.proof && item.proof.issuerSignature;
  if (!signed) return;
  performance.mark('signature-start');
  const { ok } = await checkIssuerSignature({ leaf: item.proof.leaf, values: item.proof.values, issuerSignature: signed });
  performance.measure('issuer-signature', 'signature-start');
  item.device = { ...item.device, signature: ok, ok: ok ? item.device.ok : false };
  item.shown = judge(item.result, item.device, item.node, ctx.asked);
}

/** Ask the node about `item` and judge again: a disagreement turns it into "cannot verify". */
async function confirm(item, ctx) {
  item.node = await askNode(item.result, item.proof);
  item.pending = false;
  item.shown = judge(item.result, item.device, item.node, ctx.asked);
}

function failed(result, reasonKey) {
  return {
    result, proof: null, device: { ok: null }, node: { state: rpcUrl ? 'skipped' : 'none' },
    shown: { verdict: result.verdict, reasons: reasonKey ? [{ key: reasonKey }] : [] },
  };
}

function fromError(err, ctx) {
  // `unanswered`: the service gave no record, so there are no details to say anything of.
  const base = { steps: [], checkedAt: new Date().toISOString(), leaf: ctx.asked.leaf || undefined, unanswered: true };
  if (err.kind === 'notFound') {
    const key = ctx.asked.leaf ? 'failed.leafNotFound' : 'failed.notFound';
    return failed({ ...base, verdict: 'INVALID', detail: err.message }, key);
  }
  const why = { network: 'why.network', rateLimited: 'why.rateLimited' }[err.kind]
    || (err.problem.code === 'chain-unavailable' || /chain/.test(err.problem.type || '') ? 'why.chain' : 'why.unavailable');
  return failed({ ...base, verdict: 'UNVERIFIABLE', detail: err.message }, why);
}

/** @param {boolean} focus @param {string} [state] */
function draw(focus, state = 'done') {
  if (!shown) return;
  const { items, count, ctx } = shown;
  // A redraw of the same answers (the node's check came in, the language changed) keeps
  // what the reader opened and where the focus was.
  const open = [...results.querySelectorAll('details')].map((d) => d.open);
  const active = document.activeElement;
  const hadFocus = active !== null && results.contains(active) && active.matches('article.card');
  const cards = items.map((item) => card(item.result, item.shown, item.device, item.node, item.proof, ctx));
  results.replaceChildren(...(count > 1 ? [countLine(count)] : []), ...cards);
  const details = [...results.querySelectorAll('details')];
  if (!focus && details.length === open.length) details.forEach((d, i) => { d.open = d.open || open[i]; });
  main.dataset.state = state;
  if ((focus || hadFocus) && cards.length) {
    cards[0].tabIndex = -1;
    cards[0].focus();
  }
}

/** Ask the service about `body` (unless `asking` already does), check what it says, show it.
 * @param {object} body @param {any} ctx @param {boolean} [focus]
 * @param {Promise<any> | null} [asking] */
async function run(body, ctx, focus = true, asking = null) {
  say(null);
  runs += 1;
  const token = runs;
  main.dataset.state = 'checking';
  if (!asking) results.replaceChildren(checkingCard(t('verify.checking')));
  let items;
  let count = 1;
  try {
    const answer = await (asking || verify(body));
    performance.mark('service-answer');
    if (Array.isArray(answer.results)) {
      count = answer.count;
      items = answer.results.length
        ? answer.results.map((r) => assess(r, ctx))
        : [failed({ verdict: 'INVALID', detail: answer.detail, steps: [], checkedAt: answer.checkedAt }, 'failed.notFound')];
    } else {
      items = [assess(answer, ctx)];
    }
  } catch (err) {
    if (!(err instanceof ServiceError)) throw err;
    if (err.kind === 'input') {
      results.replaceChildren();
      main.dataset.state = 'done';
      say(ctx.receipt ? 'error.receipt' : 'error.input', { detail: err.message });
      return;
    }
    items = [fromError(err, ctx)];
  }
  await Promise.all(items.map((item) => checkSignature(item, ctx)));
  shown = { items, count, ctx };
  const waiting = items.filter((item) => item.pending);
  const confirming = Promise.all(waiting.map((item) => confirm(item, ctx))); // on the wire first
  // The service's verdict at once; main[data-state] says 'confirming' until the node's
  // check is in, then 'done' (the verdict the tests and the reader can rely on).
  draw(focus, waiting.length ? 'confirming' : 'done');
  performance.mark('verdict-shown');
  if (!waiting.length) {
    performance.mark('verdict-final');
    return;
  }
  await confirming;
  if (token !== runs) return;
  draw(false);
  performance.mark('verdict-final');
}

async function readReceipt(file) {
  if (file.size > RECEIPT_MAX || !/\.json$/i.test(file.name)) return null;
  try {
    const parsed = JSON.parse(await file.text());
    return parsed && RECEIPT_FORMATS.includes(parsed.format) ? parsed : null;
  } catch {
    return /\.receipt\.json$/i.test(file.name) ? { unreadable: true } : null;
  }
}

async function digestOf(file) {
  progress(0);
  try {
    const { hashFile } = await import('./hashing.js');
    return await hashFile(file, (done, total) => progress(done === null ? 'reading' : total ? done / total : 1));
  } finally {
    progress(null);
  }
}

/** @param {FileList | File[]} fileList */
async function onFiles(fileList) {
  const files = [...fileList];
  if (!files.length) return;
  say(null);
  /** @type {any} */
  let receipt = null;
  /** @type {File | null} */
  let document = null;
  for (const file of files) {
    const parsed = receipt ? null : await readReceipt(file);
    if (parsed && parsed.unreadable) {
      say('error.receipt', { detail: file.name });
      return;
    }
    if (parsed) receipt = parsed;
    else if (!document) document = file;
    if (parsed && parsed.issuerSignature) preloadCurve();
  }
  let digest = null;
  if (document) {
    try {
      digest = await digestOf(document);
    } catch {
      say('error.readFile');
      return;
    }
  }
  const ctx = { rpcUrl, receipt, fileName: document ? document.name : null, asked: { digest } };
  if (receipt) {
    ctx.asked.leaf = receipt.leaf;
    run(digest ? { receipt, digest } : { receipt }, ctx);
  } else if (pageLeaf) {
    ctx.asked.leaf = pageLeaf;
    ctx.asked.link = true;
    run({ leaf: pageLeaf, digest }, ctx);
  } else {
    run({ digest }, ctx);
  }
}

/** @param {Event} event */
function onDigest(event) {
  event.preventDefault();
  const field = /** @type {HTMLInputElement} */ (byId('digest'));
  const digest = parseHex32(field.value);
  if (!digest) {
    say('error.digest');
    field.focus();
    return;
  }
  const ctx = { rpcUrl, receipt: null, fileName: null, asked: { digest } };
  if (pageLeaf) {
    Object.assign(ctx.asked, { leaf: pageLeaf, link: true });
    run({ leaf: pageLeaf, digest }, ctx);
  } else {
    run({ digest }, ctx);
  }
}

/** @param {string | null} text */
function openScanned(text) {
  const leaf = text ? leafFromScan(text) : null;
  if (!text) {
    say('scan.none');
  } else if (!leaf) {
    say('scan.notOurs');
  } else {
    say('scan.found');
    window.location.assign(`/v/${leaf}`);
  }
}

/** @type {(text: string) => string | null} */
let leafFromScan = () => null;

async function loadScanner() {
  const scan = await import('./scan.js');
  leafFromScan = (text) => scan.leafFromLink(text, bases);
  return scan;
}

async function onScan() {
  const camera = byId('camera');
  const scan = await loadScanner();
  say(null);
  try {
    camera.hidden = false;
    const video = /** @type {HTMLVideoElement} */ (byId('video'));
    stopCamera = await scan.startCamera(video, (text) => {
      camera.hidden = true;
      stopCamera = null;
      openScanned(text);
    });
    byId('scan-stop').focus();
  } catch (err) {
    camera.hidden = true;
    say(err instanceof scan.ScanError && err.kind === 'unsupported' ? 'scan.unsupported' : 'scan.camera');
  }
}

function onStopScan() {
  if (stopCamera) stopCamera();
  stopCamera = null;
  byId('camera').hidden = true;
  byId('scan').focus();
}

/** @param {Event} event */
async function onPhoto(event) {
  const input = /** @type {HTMLInputElement} */ (event.target);
  const [file] = input.files || [];
  if (!file) return;
  const scan = await loadScanner();
  let text = null;
  try {
    text = await scan.decodePhoto(file);
  } catch {
    text = null;
  }
  input.value = '';
  openScanned(text);
}

/** @param {MouseEvent} event */
function onResultClick(event) {
  const target = /** @type {Element} */ (event.target);
  const copy = /** @type {HTMLElement | null} */ (target.closest('[data-copy]'));
  if (copy) {
    navigator.clipboard.writeText(copy.dataset.copy || '').then(() => {
      copy.textContent = t('card.copied');
      setTimeout(() => { copy.textContent = t('card.copy'); }, 2000);
    }, () => {});
    return;
  }
  const download = /** @type {HTMLElement | null} */ (target.closest('[data-download]'));
  if (download) {
    const receipt = /** @type {any} */ (download.closest('article')).resultData;
    const blob = new Blob([`${JSON.stringify(receipt, null, 2)}\n`], { type: 'application/json' });
    const link = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: download.dataset.download });
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  }
}

async function onLanguage() {
  await switchTo(t('lang.other'));
  if (message) say(message.key, message.params);
  draw(false, main.dataset.state === 'confirming' ? 'confirming' : 'done');
}

function wire() {
  byId('lang-switch').addEventListener('click', onLanguage);
  const file = /** @type {HTMLInputElement} */ (byId('file'));
  file.addEventListener('change', () => onFiles(file.files || []));
  byId('digest-form').addEventListener('submit', onDigest);
  byId('scan').addEventListener('click', onScan);
  byId('scan-stop').addEventListener('click', onStopScan);
  byId('photo').addEventListener('change', onPhoto);
  results.addEventListener('click', onResultClick);
  acceptDrops(onFiles);
}

// A link's page carries the service's answer (api/routers/pages.py); when it does not, the
// service is asked now, while the catalogue loads. The card says "checking" meanwhile.
const asking = pageLeaf ? embedded() || verify({ leaf: pageLeaf }) : null;
// Errors are handled in run(); this keeps them from being "unhandled", and starts loading
// secp256k1 at once for a document its issuer signed.
if (asking) asking.then((answer) => { if (answer.proof && answer.proof.issuerSignature) preloadCurve(); }, () => {});
await start();
wire();
main.dataset.ready = 'true';
if (pageLeaf) {
  const ctx = { rpcUrl, receipt: null, fileName: null, asked: { leaf: pageLeaf, link: true } };
  run({ leaf: pageLeaf }, ctx, false, asking);
} else if ('requestIdleCallback' in window) {
  requestIdleCallback(preloadCurve); // while the reader picks a file, which may be signed
}
