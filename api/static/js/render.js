// One verdict card per answer: the verdict first, then who issued it and what to hold
// against the paper, each check, what a pass does not prove, and the technical facts.
import { append, h, icon } from './dom.js';
import { formatDay, formatMoment, formatNumber, has, plural, t } from './i18n.js';
import { chainFailure, chainFailureSentence } from './core/judge.js';

const HIDDEN_METADATA = new Set(['salt', 'publicFields']);
const DAY_FIELDS = new Set(['issuedOn', 'expiresOn', 'validFrom', 'validUntil']);
const END_FIELDS = ['expiresOn', 'validUntil'];
const CHECK_SIGNATURE =
  'check(bytes32,address,bytes32,bytes32[])((bytes32,bytes32,uint64,uint64,uint64,uint64,uint8,uint64,string,uint64,uint64))';
/** The node's row for each node state; any other state (disagree, unreachable…) failed. */
const NODE_ROW = { agree: true, checking: 'checking', none: null, skipped: null };
let cardCount = 0;

/** A reason ({key, params, fallback, diffs}) in the reader's words. */
export function message(reason) {
  const key = has(reason.key) ? reason.key : reason.fallback || reason.key;
  const params = { ...(reason.params || {}) };
  if (reason.diffs) params.what = reason.diffs.map(describeDiff).join('; ');
  return t(key, params);
}

function describeDiff(diff) {
  if (!('service' in diff)) return t(`disagree.${diff.key}`);
  const show = (v) => (v === null || v === undefined || v === '' ? t('disagree.none') : diff.time ? formatMoment(v) : String(v));
  return t(`disagree.${diff.key}`, { service: show(diff.service), node: show(diff.node) });
}

export function reasonText(result) {
  const name = result.revocationReasonName;
  if (name && has(`reason.${name}`)) return t(`reason.${name}`);
  return t('reason.other', { code: result.revocationReason ?? '?' });
}

/** Who vouches for the issuer of a genuine document: never the same words for a document its
 * own key signed and for one the service registered with the issuer's API key. */
function assuranceLines(result, issuer) {
  if (result.assurance === 'signed') return [t('verdict.VALID.signed', { issuer })];
  if (result.assurance === 'vouched') return [t('verdict.VALID.vouched')];
  return [];
}

function leadLines(shown, result, node) {
  const lines = [];
  const issuer = result.issuerName || t('card.issuerUnknown');
  switch (shown.verdict) {
    case 'VALID':
      lines.push(t('verdict.VALID.lead', { issuer }), ...assuranceLines(result, issuer));
      break;
    case 'VALID_PENDING_CONFIRMATIONS':
      lines.push(t('verdict.VALID_PENDING_CONFIRMATIONS.lead', {
        confirmations: formatNumber(result.confirmations ?? 0),
        required: formatNumber(result.requiredConfirmations ?? (result.confirmations ?? 0) + 1),
      }), ...assuranceLines(result, issuer));
      break;
    case 'PENDING': {
      lines.push(t('verdict.PENDING.lead'));
      const promise = result.promisedBy || (result.receipt && result.receipt.service && result.receipt.service.promisedBy);
      if (promise) lines.push(t('verdict.PENDING.promise', { time: formatMoment(promise) }));
      break;
    }
    case 'REVOKED':
      lines.push(result.revokedAt
        ? t('verdict.REVOKED.lead', { date: formatMoment(result.revokedAt), reason: reasonText(result) })
        : t('verdict.REVOKED.leadNoDate', { reason: reasonText(result) }));
      break;
    default:
      break;
  }
  for (const reason of shown.reasons) lines.push(message(reason));
  if (shown.verdict === 'UNVERIFIABLE') lines.push(t('verdict.UNVERIFIABLE.lead'));
  if (node.state === 'checking') lines.push(t('verdict.confirming'));
  return lines;
}

function verdictBlock(shown, result, node, id) {
  const confirming = node.state === 'checking';
  return h('div', { class: `verdict verdict-${shown.verdict}`, role: 'status', 'data-verdict': shown.verdict, 'aria-busy': confirming ? 'true' : null },
    icon(shown.verdict, 'verdict-icon'),
    h('div', { class: 'verdict-words' },
      h('p', { class: 'verdict-title', id }, t(`verdict.${shown.verdict}.title`)),
      leadLines(shown, result, node).map((line) => h('p', { class: 'verdict-lead' }, line))));
}

function metadataValue(name, value) {
  if (DAY_FIELDS.has(name) && typeof value === 'string') return formatDay(value);
  // A known document type by its name; a code the catalogue lacks, as the issuer wrote it.
  if (name === 'documentType' && typeof value === 'string' && has(`docType.${value}`)) return t(`docType.${value}`);
  if (typeof value === 'number') return formatNumber(value);
  if (value && typeof value === 'object' && !Array.isArray(value) && 'value' in value) {
    return [metadataValue('', value.value), value.unit].filter((p) => p !== undefined).join(' ');
  }
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

function detailsBlock(metadata) {
  const section = h('section', { class: 'details' }, h('h3', {}, t('card.details')));
  const entries = Object.entries(metadata || {}).filter(([name]) => !HIDDEN_METADATA.has(name));
  if (!entries.length) return append(section, [h('p', { class: 'hint' }, t('card.detailsNone'))]);
  const list = h('dl', { class: 'pairs' });
  for (const [name, value] of entries) {
    // A field the catalogue does not name is shown under its own name, as the issuer wrote it.
    list.append(h('dt', {}, has(`meta.${name}`) ? t(`meta.${name}`) : name), h('dd', {}, metadataValue(name, value)));
  }
  section.append(list);
  const today = new Date().toISOString().slice(0, 10);
  const end = END_FIELDS.map((f) => metadata[f]).find((v) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v));
  if (end && end < today) section.append(h('p', { class: 'warning' }, icon('UNVERIFIABLE'), t('meta.expired', { date: formatDay(end) })));
  return section;
}

function factsBlock(result, shown, node) {
  const list = h('dl', { class: 'pairs facts' });
  const chainName = node.answer && node.state === 'agree' ? node.answer.issuerName : null;
  const name = result.issuerName || chainName;
  const doubted = node.state === 'disagree' && node.diffs.some((d) => d.key === 'issuerName');
  const fromChain = result.issuerNameSource === 'chain' || (chainName && chainName === name);
  const source = fromChain && !doubted ? 'card.issuerChain' : 'card.issuerService';
  if (name || result.issuer) {
    list.append(h('dt', {}, t('card.issuer')), h('dd', {},
      h('strong', { class: 'issuer-name' }, name || t('card.issuerUnknown')),
      name ? h('span', { class: 'source' }, t(source)) : null,
      result.issuerActive === false ? h('p', { class: 'hint' }, t('card.issuerInactive')) : null));
  }
  if (result.anchoredAt) {
    // On a "cannot verify" card the node did not back the service's anchoring time: say so,
    // rather than show it as a fact.
    const doubted = shown.verdict === 'UNVERIFIABLE' && !['agree', 'checking', 'none', 'skipped'].includes(node.state);
    const time = formatMoment(result.anchoredAt);
    list.append(h('dt', {}, t('card.anchoredAt')),
      h('dd', { class: doubted ? 'anchored-doubted' : 'anchored-at' }, doubted ? t('card.anchoredUnconfirmed', { time }) : time));
  }
  list.append(h('dt', {}, t('card.checkedAt')), h('dd', { class: 'checked-at' }, formatMoment(result.checkedAt || new Date())));
  return list;
}

/** state: true (passed), false (failed), null (not made), 'checking' (still running). */
function checkRow(state, label, sentence, extra) {
  const name = { true: 'ok', false: 'fail', checking: 'wait' }[String(state)] || 'skip';
  const word = t({ ok: 'step.ok', fail: 'step.fail', wait: 'step.checking', skip: 'step.skipped' }[name]);
  return h('li', { class: `step step-${name}`, 'data-state': name },
    icon(name === 'wait' ? 'CHECKING' : name, 'step-icon'),
    h('span', { class: 'step-text' }, h('strong', {}, `${label}: `), h('span', { class: 'step-word' }, word), ' — ', sentence, extra || null));
}

function stepSentence(step) {
  const state = step.skipped ? 'skipped' : step.ok ? 'ok' : 'fail';
  const key = `step.${step.name}.${state}`;
  return has(key) ? t(key) : t(`step.other.${state}`, { step: step.name });
}

function chainSentence(result, name) {
  const key = chainFailureSentence(result, name);
  return key ? t(key) : stepSentence({ name, ok: false, skipped: false });
}

function stepLabel(name) {
  return has(`step.${name}.label`) ? t(`step.${name}.label`) : name;
}

/** "6 of 6 checks passed · 1 not made": what the collapsed list of checks says. */
function stepsSummary(states) {
  const passed = states.filter((s) => s === true).length;
  const failed = states.filter((s) => s === false).length;
  const skipped = states.filter((s) => s === null).length;
  // Never fewer than two (the device's and the node's rows), so never a singular.
  const parts = [t('card.stepsSummary', { passed: formatNumber(passed), count: formatNumber(passed + failed) })];
  if (failed) parts.push(t('card.stepsFailed', { count: formatNumber(failed) }));
  if (skipped) parts.push(t('card.stepsSkipped', { count: formatNumber(skipped) }));
  if (states.includes('checking')) parts.push(t('card.stepsChecking'));
  return parts.join(' · ');
}

function stepsBlock(result, shown, device, node, rpcUrl) {
  const rows = [];
  for (const step of result.steps || []) {
    rows.push([step.skipped ? null : step.ok, stepLabel(step.name), stepSentence(step)]);
  }
  // A step the chain's facts failed (no anchor record, an issuer the registry did not
  // know) is no row of the record's own checks: shown failed, or the card would read
  // "NOT genuine" above "every check passed".
  const onChain = shown.verdict === 'INVALID' ? chainFailure(result) : null;
  if (onChain) rows.push([false, stepLabel(onChain), chainSentence(result, onChain)]);
  const deviceOk = device.signature === true ? t('card.deviceSigned') : t('card.deviceOk');
  const deviceSentence = device.ok === true ? deviceOk : device.ok === false ? t('card.deviceFail') : t('card.deviceSkipped');
  rows.push([device.ok, t('card.device'), deviceSentence]);
  const url = rpcUrl || '';
  const nodeSentence = {
    none: t('card.nodeNone'), skipped: t('card.nodeSkipped'), agree: t('card.nodeAgree', { url }),
    checking: t('card.nodeChecking', { url }),
  }[node.state] || t('card.nodeFailed', { url });
  const nodeState = node.state in NODE_ROW ? NODE_ROW[node.state] : false;
  rows.push([nodeState, t('card.node'), nodeSentence]);
  const states = rows.map(([state]) => state);
  // Long on a phone: collapsed behind its count, and always open when a check failed.
  return h('details', { class: 'checks', open: states.includes(false) },
    h('summary', {}, h('span', { class: 'checks-title' }, t('card.steps')), h('span', { class: 'checks-count' }, stepsSummary(states))),
    h('ul', { class: 'steps' }, rows.map((row) => checkRow(...row))));
}

function copyable(label, value) {
  const code = h('code', { class: 'value' }, value);
  const button = h('button', { type: 'button', class: 'copy', 'data-copy': value }, t('card.copy'));
  button.setAttribute('aria-label', `${t('card.copy')}: ${label}`);
  return [h('dt', {}, label), h('dd', {}, code, button)];
}

function commandBlock(text, label) {
  const button = h('button', { type: 'button', class: 'copy', 'data-copy': text }, t('card.copy'));
  button.setAttribute('aria-label', `${t('card.copy')}: ${label}`);
  return h('div', { class: 'command' }, h('pre', {}, h('code', {}, text)), button);
}

function quote(text) {
  return `'${String(text).replace(/'/g, "'\\''")}'`;
}

function techBlock(result, proof, ctx) {
  const details = h('details', { class: 'tech' }, h('summary', {}, t('card.tech')));
  const list = h('dl', { class: 'pairs tech-list' });
  const anchor = proof && proof.anchor;
  if (anchor) {
    list.append(...copyable(t('tech.chain'), `${anchor.chain} (${anchor.chainId})`));
    list.append(...copyable(t('tech.contract'), anchor.contract));
    list.append(...copyable(t('tech.tx'), anchor.txHash));
    list.append(...copyable(t('tech.block'), String(anchor.blockNumber)));
  }
  if (proof) {
    if (proof.root) list.append(...copyable(t('tech.root'), proof.root));
    list.append(...copyable(t('tech.leaf'), proof.leaf || result.leaf));
    const [digest, issuer, metadataDigest] = proof.values || [];
    if (digest) list.append(...copyable(t('tech.digest'), digest));
    if (issuer) list.append(...copyable(t('tech.issuer'), issuer));
    if (metadataDigest) list.append(...copyable(t('tech.metadataDigest'), metadataDigest));
    list.append(...copyable(t('tech.proof'), Array.isArray(proof.proof) && proof.proof.length ? proof.proof.join('\n') : t('tech.proofNone')));
  } else if (result.leaf) {
    list.append(...copyable(t('tech.leaf'), result.leaf));
  }
  if (result.chainBlock) list.append(...copyable(t('tech.chainBlock'), String(result.chainBlock)));
  details.append(list);
  if (anchor && Array.isArray(proof.proof)) {
    const rpc = ctx.rpcUrl || '$RPC_URL';
    // Given a document, `notary verify` finds DOC.receipt.json beside it (the name the
    // download button gives); otherwise it is given the receipt itself.
    const target = ctx.fileName || `${base(ctx, result)}.receipt.json`;
    const notary = `notary verify ${quote(target)} --rpc-url ${rpc}`;
    const cast = `cast call ${anchor.contract} ${quote(CHECK_SIGNATURE)} ${proof.values.join(' ')} ${quote(`[${proof.proof.join(',')}]`)} --rpc-url ${rpc}`;
    details.append(h('h4', {}, t('card.recheck')),
      h('p', {}, t('card.notaryCmd')), commandBlock(notary, 'notary verify'),
      h('p', {}, t('card.castCmd')), commandBlock(cast, 'cast call'));
    if (!ctx.rpcUrl) details.append(h('p', { class: 'hint' }, t('card.rpcHint')));
  }
  const receipt = result.receipt || ctx.receipt;
  if (receipt) {
    details.append(h('p', {}, h('button', { type: 'button', class: 'button download', 'data-download': `${base(ctx, result)}.receipt.json` }, t('card.download'))));
  }
  if (result.detail) details.append(h('p', { class: 'hint server-detail' }, `${t('card.serverDetail')}: ${result.detail}`));
  return details;
}

/** The receipt's file name without `.receipt.json`: the document's, else the leaf's start. */
function base(ctx, result) {
  return ctx.fileName || (result.leaf || (ctx.receipt && ctx.receipt.leaf) || 'receipt').slice(0, 12);
}

/** The card for one answer; `shown` is judge()'s outcome. */
export function card(result, shown, device, node, proof, ctx) {
  cardCount += 1;
  const id = `verdict-${cardCount}`;
  const article = h('article', { class: 'card', 'aria-labelledby': id, 'data-verdict': shown.verdict });
  article.resultData = result.receipt || ctx.receipt || null;
  append(article, [verdictBlock(shown, result, node, id)]);
  if (result.verdict !== 'INVALID' || result.issuerName) article.append(factsBlock(result, shown, node));
  const metadata = result.metadata || (ctx.receipt && ctx.receipt.metadata);
  if (result.verdict !== 'INVALID' && (metadata || !result.unanswered)) article.append(detailsBlock(metadata));
  if ((result.steps && result.steps.length) || proof) article.append(stepsBlock(result, shown, device, node, ctx.rpcUrl));
  if (['VALID', 'VALID_PENDING_CONFIRMATIONS'].includes(shown.verdict)) article.append(h('p', { class: 'limits' }, t('card.limits')));
  if (result.verdict === 'INVALID' && !result.issuerName) article.append(h('p', { class: 'checked' }, `${t('card.checkedAt')}: ${formatMoment(result.checkedAt || new Date())}`));
  if (proof || result.leaf || result.detail) article.append(techBlock(result, proof, ctx));
  return article;
}

/** A card that says the page is working (also announced). */
export function checkingCard(text) {
  return h('article', { class: 'card', 'data-verdict': 'CHECKING' },
    h('div', { class: 'verdict verdict-CHECKING', role: 'status' }, icon('CHECKING', 'verdict-icon'),
      h('div', { class: 'verdict-words' }, h('p', { class: 'verdict-title' }, text))));
}

/** "N documents have this fingerprint" above several cards. */
export function countLine(count) {
  return h('p', { class: 'count' }, plural('verify.resultsCount', count));
}
