// The issuers page: GET /v1/issuers, and, when the service names a public node, each
// issuer's record in the registry as that node reports it (check() with an empty proof).
import { byId, h } from './dom.js';
import { formatMoment, has, start, switchTo, t } from './i18n.js';
import { askRegistry } from './core/node.js';
import { issuers as listIssuers } from './service.js';

const ZERO = `0x${'0'.repeat(64)}`;
const main = byId('main');
const box = byId('issuers');
const rpcUrl = main.dataset.rpcUrl || '';
/** @type {{issuer: any, record: any}[] | null} */
let rows = null;
let failedToLoad = false;

async function contractAddress() {
  const reply = await fetch('/v1/chain', { headers: { accept: 'application/json' } });
  if (!reply.ok) return null;
  const chain = await reply.json();
  return chain.contract || null;
}

async function onChain(contract, address) {
  if (!rpcUrl || !contract) return null;
  try {
    return await askRegistry(rpcUrl, contract, [ZERO, address, ZERO], []);
  } catch {
    return { failed: true };
  }
}

function nodeLine(record) {
  if (!record) return null;
  let text;
  if (record.failed) text = t('issuers.nodeFailed');
  else if (!record.issuerRegisteredAt) text = t('issuers.nodeMissing');
  else {
    text = t('issuers.nodeName', { name: record.issuerName, date: formatMoment(record.issuerRegisteredAt) });
    if (record.issuerDeactivatedAt) text += `; ${t('issuers.nodeInactive', { date: formatMoment(record.issuerDeactivatedAt) })}`;
  }
  return [h('dt', {}, t('issuers.node')), h('dd', { class: 'node-record' }, text)];
}

function draw() {
  box.removeAttribute('aria-busy');
  if (failedToLoad) {
    box.replaceChildren(h('p', { class: 'notice notice-error', role: 'alert' }, t('issuers.error')));
    return;
  }
  if (!rows || !rows.length) {
    box.replaceChildren(h('p', {}, t('issuers.none')));
    return;
  }
  box.replaceChildren(...rows.map(({ issuer, record }) => {
    const onchain = has(`issuers.onchain.${issuer.onchain}`) ? t(`issuers.onchain.${issuer.onchain}`) : t('issuers.onchain.other', { state: issuer.onchain });
    return h('article', { class: 'card issuer', 'data-address': issuer.address },
      h('h2', { class: 'issuer-title' }, issuer.name),
      h('dl', { class: 'pairs' },
        h('dt', {}, t('issuers.address')), h('dd', {}, h('code', { class: 'value' }, issuer.address)),
        issuer.jurisdiction ? [h('dt', {}, t('issuers.jurisdiction')), h('dd', {}, issuer.jurisdiction)] : null,
        h('dt', {}, t('issuers.status')), h('dd', {}, t(`issuers.status.${issuer.status}`)),
        h('dt', {}, t('issuers.onchain')), h('dd', {}, onchain),
        nodeLine(record),
        h('dt', {}, t('issuers.since')), h('dd', {}, formatMoment(issuer.createdAt))));
  }));
}

async function load() {
  try {
    const [issuers, contract] = await Promise.all([listIssuers(), rpcUrl ? contractAddress() : null]);
    const records = await Promise.all(issuers.map((issuer) => onChain(contract, issuer.address)));
    rows = issuers.map((issuer, i) => ({ issuer, record: records[i] }));
  } catch {
    failedToLoad = true;
  }
  draw();
  main.dataset.state = 'done';
}

await start();
byId('lang-switch').addEventListener('click', async () => {
  await switchTo(t('lang.other'));
  if (rows || failedToLoad) draw();
});
load();
