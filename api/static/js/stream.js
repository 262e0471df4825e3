// The monitoring data page (/verify/stream): a station's export (CSV or JSON) or one
// reading's proof, checked on this device as `notary verify-stream` checks it. The file is
// never sent anywhere: it is read and hashed here, each interval's receipt is checked here
// (details, leaf, proof, the service's signature), and the only requests are JSON-RPC
// batches to the public node, asking the registry's check() about each interval
// (checkSigned for an interval the issuer signed).
import { acceptDrops, byId } from './dom.js';
import { bytesToHex, sameHex } from './core/hex.js';
import { start, switchTo, t } from './i18n.js';
import { judgeOnDevice } from './core/judge.js';
import { askRegistryMany, NodeError } from './core/node.js';
import { checkReceipt, importKeys } from './core/receipt.js';
import { checkingCard } from './render.js';
import { checkExport, checkReadingProof, streamVerdict } from './core/stream-check.js';
import { readFile } from './core/stream-export.js';
import { FormatError } from './core/stream-format.js';
import { nodeState } from './core/stream-node.js';
import { exportCard, proofCard } from './stream-render.js';

const BATCH = 24;
/** check() calls per JSON-RPC batch: public nodes cap batches (often at 50 or 100 calls). */
const PARALLEL = 4;
/** Batches in flight at once: a station-day (288 intervals) is 12 batches, 3 rounds. */

const main = byId('main');
const results = byId('results');
const messageLine = byId('message');
const progressLine = byId('progress-line');
const progressBar = /** @type {HTMLProgressElement} */ (byId('progress'));
const progressLabel = byId('progress-label');
const rpcUrl = main.dataset.rpcUrl || '';
const registry = main.dataset.contract || '';
const required = Number(main.dataset.confirmations) || 0;
const keysBlock = document.getElementById('service-keys');
const keys = globalThis.crypto && crypto.subtle ? importKeys(keysBlock ? JSON.parse(keysBlock.textContent || '[]') : []) : null;
/** @type {any} */
let shown = null; // what is on screen, to redraw it in the other language
/** @type {{key: string, params: object} | null} */
let message = null;
let runs = 0;

/** @param {string | null} key @param {object} [params] */
function say(key, params = {}) {
  message = key ? { key, params } : null;
  messageLine.hidden = !key;
  messageLine.textContent = key ? t(key, params) : '';
}

/** The progress line: `key` with {done, total}, 'reading' (indeterminate) or null (hidden).
 * @param {string | null} key @param {number} [done] @param {number} [total] */
function progress(key, done = 0, total = 0) {
  progressLine.hidden = key === null;
  if (key === null) return;
  if (key === 'reading') {
    progressBar.removeAttribute('value');
    progressLabel.textContent = t('verify.reading');
    return;
  }
  progressBar.value = total ? done / total : 1;
  progressLabel.textContent = t(key, { done: String(done), total: String(total) });
}

function placeOf(where) {
  if (where.row && where.column && where.path) return t('stream.at.cellPath', { row: String(where.row), column: where.column, path: where.path });
  if (where.row && where.column) return t('stream.at.cell', { row: String(where.row), column: where.column });
  if (where.row) return t('stream.at.row', { row: String(where.row) });
  return t('stream.at.path', { path: where.path || '$' });
}

function sayBad(err) {
  const reason = t(`stream.bad.${err.key}`, Object.fromEntries(Object.entries(err.params).map(([k, v]) => [k, String(v)])));
  say('stream.error.bad', { where: placeOf(err.where), reason });
}

/** Ask the node about every entry ({receipt}), BATCH calls a request and PARALLEL requests
 * at a time; each entry gets its `node` state. */
async function askNode(entries, token) {
  const chunks = [];
  const byContract = new Map();
  for (const entry of entries) {
    const contract = entry.receipt.anchor.contract.toLowerCase();
    if (!byContract.has(contract)) byContract.set(contract, []);
    byContract.get(contract).push(entry);
  }
  for (const [contract, group] of byContract) {
    for (let k = 0; k < group.length; k += BATCH) chunks.push({ contract, items: group.slice(k, k + BATCH) });
  }
  let done = 0;
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      const { contract, items } = chunks[next];
      next += 1;
      let answers;
      try {
        const asked = items.map(({ receipt }) => ({ values: receipt.values, proof: receipt.proof, signed: receipt.issuerSignature || null }));
        answers = await askRegistryMany(rpcUrl, contract, asked);
      } catch (err) {
        if (!(err instanceof NodeError)) throw err;
        answers = items.map(() => err);
      }
      items.forEach((entry, i) => { entry.node = nodeState(entry.receipt, answers[i]); });
      done += items.length;
      if (token === runs) progress('stream.progress.chain', done, entries.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, chunks.length) }, worker));
}

/** Each receipt's verdict on this device and the node: [{receipt}] → the same, with outcome. */
async function settle(entries, token) {
  const usable = await keys;
  for (const entry of entries) entry.steps = await checkReceipt(entry.receipt, usable);
  const asking = [];
  for (const entry of entries) {
    const { receipt, steps } = entry;
    const vouched = steps.find((s) => s.name === 'signature').ok === true;
    entry.node = { state: rpcUrl ? 'skipped' : 'none' };
    if (steps.some((s) => s.ok === false) || !receipt.anchor) continue;
    if (!vouched && registry && !sameHex(receipt.anchor.contract, registry)) {
      // Unsigned by this service (or no Ed25519 here) and on another registry: nothing here vouches for it.
      entry.outcome = { verdict: 'UNVERIFIABLE', reasons: [{ key: 'why.otherRegistry', params: { contract: receipt.anchor.contract } }] };
    } else if (rpcUrl) {
      asking.push(entry);
    }
  }
  if (asking.length) {
    progress('stream.progress.chain', 0, asking.length);
    await askNode(asking, token);
  }
  for (const entry of entries) entry.outcome = entry.outcome || judgeOnDevice(entry.receipt, entry.steps, entry.node, required);
  return entries;
}

function draw(focus) {
  if (!shown) return;
  const card = shown.kind === 'proof'
    ? proofCard(shown.result, shown.outcome, shown.ctx)
    : exportCard(shown.report, shown.verdict, shown.ctx);
  results.replaceChildren(card);
  main.dataset.state = 'done';
  if (focus) {
    card.tabIndex = -1;
    card.focus();
  }
}

async function check(bytes, ctx, token) {
  const parsed = readFile(bytes);
  performance.mark('stream-parsed');
  if (parsed.kind === 'proof') {
    const result = await checkReadingProof(parsed.proof);
    const [entry] = result.problem ? [{ outcome: null }] : await settle([{ receipt: result.receipt }], token);
    return { kind: 'proof', result, outcome: entry.outcome, ctx };
  }
  const report = await checkExport(parsed.export, (done, total) => {
    if (token === runs) progress('stream.progress.data', done, total);
  });
  performance.mark('stream-data');
  const entries = report.intervals.filter((i) => i.receipt).map((interval) => ({ interval, receipt: interval.receipt }));
  for (const entry of await settle(entries, token)) entry.interval.outcome = entry.outcome;
  return { kind: 'export', report, verdict: streamVerdict(report), ctx };
}

async function onFiles(fileList) {
  const [file] = fileList;
  if (!file) return;
  say(null);
  runs += 1;
  const token = runs;
  shown = null;
  main.dataset.state = 'checking';
  results.replaceChildren(checkingCard(t('verify.checking')));
  performance.mark('stream-start');
  const stop = (/** @type {string} */ key = '', /** @type {object} */ params = {}) => {
    results.replaceChildren();
    progress(null);
    main.dataset.state = 'done';
    if (key) say(key, params);
  };
  if (!globalThis.crypto || !crypto.subtle) {
    stop('stream.error.insecure');
    return;
  }
  progress('reading');
  let bytes;
  try {
    bytes = new Uint8Array(await file.arrayBuffer());
  } catch {
    stop('error.readFile');
    return;
  }
  const ctx = { rpcUrl, fileName: file.name, fileDigest: bytesToHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))) };
  let outcome;
  try {
    outcome = await check(bytes, ctx, token);
  } catch (err) {
    if (token !== runs) return;
    stop();
    if (err instanceof FormatError) {
      sayBad(err);
      return;
    }
    say('stream.error.internal', { detail: String(err instanceof Error ? err.message : err) });
    throw err;
  }
  if (token !== runs) return; // a newer file was chosen meanwhile
  progress(null);
  shown = outcome;
  draw(true);
  performance.mark('stream-verdict');
  performance.measure('stream', { start: 'stream-start', end: 'stream-verdict' });
}

/** @param {MouseEvent} event */
function onResultClick(event) {
  const copy = /** @type {HTMLElement | null} */ (/** @type {Element} */ (event.target).closest('[data-copy]'));
  if (!copy) return;
  navigator.clipboard.writeText(copy.dataset.copy || '').then(() => {
    copy.textContent = t('card.copied');
    setTimeout(() => { copy.textContent = t('card.copy'); }, 2000);
  }, () => {});
}

async function onLanguage() {
  await switchTo(t('lang.other'));
  if (message) say(message.key, message.params);
  if (shown) draw(false);
}

function wire() {
  byId('lang-switch').addEventListener('click', onLanguage);
  const input = /** @type {HTMLInputElement} */ (byId('file'));
  input.addEventListener('change', () => {
    onFiles(input.files || []);
    input.value = ''; // the same file chosen again (after editing it) is checked again
  });
  results.addEventListener('click', onResultClick);
  acceptDrops(onFiles);
}

await start();
wire();
main.dataset.ready = 'true';
