// The monitoring page's answer, for a phone first: the verdict banner with the one sentence
// that matters (and, when the file ends before the end it was asked for, where and why),
// then what differs in plain words (each interval and how), then the station's facts, the
// list of every interval and the technical details, collapsed.
import { h, icon } from './dom.js';
import {
  formatClock, formatDuration, formatMoment, formatNumber, formatSpan, formatStamp, plural, t, zoneName,
} from './i18n.js';
import { message } from './render.js';
import { differencesOf } from './core/stream-check.js';
import { MAX_EXPORT_INTERVALS } from './core/stream-export.js';
import { formatTime } from './core/stream-format.js';

const DONE = new Set(['VALID', 'VALID_PENDING_CONFIRMATIONS']);
const ROW_NUMBERS = new Set(['row', 'prev', 'first']);
let cards = 0;

/** A reading as people read it: `SO2 at 15:45:51: 0.41 mg/Nm³ (valid)`. */
export function describeReading(r, withDate = false) {
  return t('stream.reading', {
    parameter: r.parameter,
    time: withDate ? formatMoment(r.time) : formatClock(r.time),
    value: r.value,
    unit: r.unit ? ` ${r.unit}` : '',
    quality: t(`stream.quality.${r.quality}`),
  });
}

/** A difference's params in words (readings described, counts and times formatted). */
function words(params) {
  const out = {};
  for (const [name, value] of Object.entries(params)) {
    if (name === 'reading' || name === 'prevReading') out[name] = describeReading(value);
    else if (ROW_NUMBERS.has(name)) out[name] = String(value); // as the spreadsheet shows them
    else if (typeof value === 'number') out[name] = formatNumber(value);
    else out[name] = String(value);
  }
  if ('start' in params) out.span = 'end' in params ? formatSpan(params.start, params.end) : formatMoment(params.start);
  if ('sealedStart' in params) out.sealed = formatSpan(params.sealedStart, params.sealedEnd);
  return out;
}

export function differenceText(d) {
  return t(`stream.diff.${d.key}`, words(d.params));
}

/** Which zone the times are in: the device's, and the file's (always UTC). */
function zoneNote() {
  const zone = zoneName();
  return zone === 'UTC' ? t('stream.zoneUtc') : t('stream.zone', { zone });
}

function where(interval) {
  return interval ? t('stream.interval', { span: formatSpan(interval.start, interval.end) }) : t('stream.window');
}

/** Where a difference is: its interval, the intervals it names, else the whole period. */
function placeOf(d) {
  if (d.interval) return where(d.interval);
  if (d.key === 'intervalsMissing') return t('stream.intervalsFromTo', { count: formatNumber(d.params.count), span: formatSpan(d.params.start, d.params.end) });
  if (d.key === 'intervalMissing' || d.key === 'intervalOutside') return where(d.params);
  return t('stream.window');
}

/** Intervals whose receipt the chain does not back, grouped by what it said. */
function outcomeGroups(report) {
  const groups = new Map();
  for (const interval of report.intervals) {
    const o = interval.outcome;
    if (!o || o.verdict === 'VALID') continue;
    const reason = o.reasons[0] || null;
    const key = `${o.verdict}|${reason ? reason.key : ''}`;
    if (!groups.has(key)) groups.set(key, { verdict: o.verdict, outcome: o, intervals: [] });
    groups.get(key).intervals.push(interval);
  }
  return [...groups.values()];
}

function outcomeText(o) {
  switch (o.verdict) {
    case 'VALID_PENDING_CONFIRMATIONS':
      return t('verdict.VALID_PENDING_CONFIRMATIONS.lead', { confirmations: formatNumber(o.confirmations), required: formatNumber(o.required) });
    case 'PENDING':
      return t('stream.outcomeText.PENDING');
    case 'REVOKED':
      return t('stream.outcomeText.REVOKED', { date: formatMoment(o.revokedAt), reason: t('reason.other', { code: o.revocationReason }) });
    default:
      return o.reasons.map(message).join(' ');
  }
}

function groupWhere(intervals) {
  if (intervals.length <= 3) return intervals.map(where).join('; ');
  const first = intervals[0];
  const last = intervals[intervals.length - 1];
  return t('stream.intervalsFromTo', { count: formatNumber(intervals.length), span: formatSpan(first.start, last.end) });
}

function diffItem(kind, label, place, text, attrs = {}) {
  return h('li', { class: `diff diff-${kind}`, 'data-kind': kind, ...attrs },
    h('p', { class: 'diff-head' }, h('span', { class: 'diff-kind' }, label), ' ', h('strong', { class: 'diff-where' }, place)),
    h('p', { class: 'diff-text' }, text));
}

const FAILED = new Set(['INVALID', 'REVOKED']);

/** How many things differ from what was anchored: differences, and receipts the chain refutes. */
function differenceCount(report) {
  return differencesOf(report).length + report.intervals.filter((i) => i.outcome && FAILED.has(i.outcome.verdict)).length;
}

function receiptItem(group) {
  return diffItem('receipt', t(`stream.outcome.${group.verdict}`), groupWhere(group.intervals), outcomeText(group.outcome), {
    'data-verdict': group.verdict,
    'data-interval': group.intervals.map((i) => formatTime(i.start)).join(' '),
  });
}

function listBlock(name, title, items) {
  return h('section', { class: 'diffs', 'aria-labelledby': `${name}-${cards}` },
    h('h2', { id: `${name}-${cards}`, class: 'diffs-title' }, title),
    h('ol', { class: 'diff-list' }, items));
}

/** Consecutive intervals missing from the window as one difference (a day cut out of an
 * export is one line, not 288). */
function runsOfMissing(differences) {
  const out = [];
  for (const d of differences) {
    const last = out[out.length - 1];
    if (d.key === 'intervalMissing' && last && ['intervalMissing', 'intervalsMissing'].includes(last.key) && last.params.end === d.params.start) {
      const count = (last.params.count || 1) + 1;
      out[out.length - 1] = { ...last, key: 'intervalsMissing', params: { start: last.params.start, end: d.params.end, count } };
    } else {
      out.push(d);
    }
  }
  return out;
}

/** What differs (data and refuted receipts), then what the chain could not confirm yet. */
function differencesBlocks(report) {
  const when = (d) => (d.interval ? d.interval.start : d.params.start ?? -Infinity);
  const ordered = runsOfMissing(differencesOf(report)).sort((a, b) => when(a) - when(b)); // as time runs
  const items = ordered.map((d) => diffItem(d.kind, t(`stream.kind.${d.kind}`), placeOf(d), differenceText(d), {
    'data-interval': d.interval ? formatTime(d.interval.start) : 'window',
    'data-rows': d.rows.length ? d.rows.join(' ') : null,
  }));
  const groups = outcomeGroups(report);
  items.push(...groups.filter((g) => FAILED.has(g.verdict)).map(receiptItem));
  const undecided = groups.filter((g) => !FAILED.has(g.verdict)).map(receiptItem);
  return [
    items.length ? listBlock('diffs', plural('stream.differences', differenceCount(report)), items) : null,
    undecided.length ? listBlock('undecided', t('stream.undecided'), undecided) : null,
  ];
}

function summary(report, verdict) {
  const late = report.intervals.reduce((n, i) => n + i.late, 0);
  const readings = report.intervals.reduce((n, i) => n + i.rows, 0);
  const params = {
    from: formatStamp(report.start),
    to: formatStamp(report.end, report.start),
    station: report.station.id,
    intervals: plural('stream.intervalCount', report.intervals.length),
    readings: plural('stream.readingCount', readings),
    late: late ? t('stream.lateCount', { count: formatNumber(late) }) : '',
    differences: plural('stream.diffCount', differenceCount(report)),
  };
  return t(`stream.summary.${verdict}`, params);
}

function issuerName(report) {
  const named = report.intervals.find((i) => i.outcome && i.outcome.issuerName);
  return named ? named.outcome.issuerName : null;
}

/** Where and why an export ends before the end asked for ('' when it does not). */
function endsEarlyText(report) {
  const early = report.endsEarly;
  if (!early) return '';
  return t(`stream.endsEarly.${early.reason}`, {
    requested: formatStamp(early.end), end: formatStamp(report.end), max: formatNumber(MAX_EXPORT_INTERVALS),
  });
}

/** Who vouches for the issuer, as for a document (never the same words for both): its own
 * key only when that key signed every interval, else the service (the weaker of the two). */
function assuranceLines(report, issuer) {
  const kinds = new Set(report.intervals.map((i) => i.outcome && i.outcome.assurance).filter(Boolean));
  if (kinds.size === 0) return [];
  return [kinds.size === 1 && kinds.has('signed') ? t('verdict.VALID.signed', { issuer }) : t('verdict.VALID.vouched')];
}

function leadLines(report, verdict) {
  const lines = [summary(report, verdict)];
  if (report.endsEarly) lines.push(endsEarlyText(report));
  const issuer = issuerName(report) || report.issuer || t('card.issuerUnknown');
  if (verdict === 'VALID') lines.push(t('stream.lead.VALID', { issuer }), ...assuranceLines(report, issuer));
  else lines.push(t(`stream.lead.${verdict}`));
  return lines;
}

function banner(verdict, id, lines, title) {
  return h('div', { class: `verdict verdict-${verdict}`, role: 'status', 'data-verdict': verdict },
    icon(verdict, 'verdict-icon'),
    h('div', { class: 'verdict-words' },
      h('p', { class: 'verdict-title', id }, title),
      lines.map((line) => h('p', { class: 'verdict-lead' }, line))));
}

function factsBlock(report, ctx) {
  const list = h('dl', { class: 'pairs facts' });
  const add = (label, ...value) => list.append(h('dt', {}, label), h('dd', {}, ...value));
  const st = report.station;
  add(t('stream.station'), h('strong', {}, st.id), st.name ? h('span', { class: 'source' }, t('stream.stationName', { name: st.name })) : null);
  const issuer = issuerName(report);
  if (issuer || report.issuer) {
    add(t('stream.issuer'), h('strong', { class: 'issuer-name' }, issuer || report.issuer),
      h('span', { class: 'source' }, t(issuer ? 'card.issuerChain' : 'stream.issuerUnconfirmed')));
  }
  add(t('stream.period'), formatSpan(report.start, report.end), h('span', { class: 'source' }, zoneNote()));
  if (report.endsEarly) {
    add(t('stream.requested'), formatSpan(report.endsEarly.start, report.endsEarly.end),
      h('span', { class: 'source' }, t(`stream.endsEarlyShort.${report.endsEarly.reason}`)));
  }
  add(t('stream.intervalsLabel'), t('stream.intervalsOf', { intervals: plural('stream.intervalCount', report.intervals.length), length: formatDuration(st.intervalSeconds) }));
  add(t('card.checkedAt'), formatMoment(new Date()));
  if (ctx.fileName) add(t('stream.file'), ctx.fileName);
  return list;
}

function intervalState(interval) {
  if (interval.differences.length) return ['fail', interval.differences.map((d) => t(`stream.kind.${d.kind}`)).join(', ')];
  const v = interval.outcome ? interval.outcome.verdict : null;
  if (v === 'VALID') return ['ok', t('stream.matches')];
  if (v === 'VALID_PENDING_CONFIRMATIONS') return ['ok', t('stream.outcome.VALID_PENDING_CONFIRMATIONS')];
  if (v === 'INVALID' || v === 'REVOKED') return ['fail', t(`stream.outcome.${v}`)];
  return ['skip', t(`stream.outcome.${v || 'UNVERIFIABLE'}`)];
}

function intervalsBlock(report) {
  const rows = report.intervals.map((i) => {
    const [state, word] = intervalState(i);
    return h('li', { class: `step step-${state}`, 'data-state': state, 'data-interval': formatTime(i.start) },
      icon(state, 'step-icon'),
      h('span', { class: 'step-text' }, h('strong', {}, `${formatSpan(i.start, i.end)}: `),
        h('span', { class: 'step-word' }, word), ' — ', plural('stream.readingCount', i.rows)));
  });
  const count = (state) => rows.filter((r) => r.dataset.state === state).length;
  const parts = [t('stream.eachCount', { ok: formatNumber(count('ok')), count: formatNumber(rows.length) })];
  if (count('fail')) parts.push(t('stream.eachFailed', { count: formatNumber(count('fail')) }));
  if (count('skip')) parts.push(t('stream.eachUnconfirmed', { count: formatNumber(count('skip')) }));
  return h('details', { class: 'checks intervals', open: count('fail') > 0 && rows.length <= 12 },
    h('summary', {}, h('span', { class: 'checks-title' }, t('stream.each')),
      h('span', { class: 'checks-count' }, parts.join(' · '))),
    h('ul', { class: 'steps' }, rows));
}

function copyable(label, value) {
  const button = h('button', { type: 'button', class: 'copy', 'data-copy': value, 'aria-label': `${t('card.copy')}: ${label}` }, t('card.copy'));
  return [h('dt', {}, label), h('dd', {}, h('code', { class: 'value' }, value), button)];
}

function quote(text) {
  return `'${String(text).replace(/'/g, "'\\''")}'`;
}

function techBlock(report, ctx, receipts) {
  const details = h('details', { class: 'tech' }, h('summary', {}, t('card.tech')));
  const list = h('dl', { class: 'pairs tech-list' });
  if (ctx.fileDigest) list.append(...copyable(t('stream.fileDigest'), ctx.fileDigest));
  const anchors = receipts.map((r) => r.anchor).filter(Boolean);
  if (anchors.length) {
    list.append(...copyable(t('tech.chain'), `${anchors[0].chain} (${anchors[0].chainId})`));
    list.append(...copyable(t('tech.contract'), anchors[0].contract));
  }
  if (report && report.issuer) list.append(...copyable(t('tech.issuer'), report.issuer));
  details.append(list);
  const rpc = ctx.rpcUrl || '$RPC_URL';
  const command = `notary verify-stream ${quote(ctx.fileName || 'export.csv')} --rpc-url ${rpc}`;
  details.append(h('h4', {}, t('card.recheck')), h('p', {}, t('stream.cliCmd')),
    h('div', { class: 'command' }, h('pre', {}, h('code', {}, command)),
      h('button', { type: 'button', class: 'copy', 'data-copy': command, 'aria-label': `${t('card.copy')}: notary verify-stream` }, t('card.copy'))));
  if (!ctx.rpcUrl) details.append(h('p', { class: 'hint' }, t('card.rpcHint')));
  return details;
}

/** The card for a checked export; `verdict` is streamVerdict(report). */
export function exportCard(report, verdict, ctx) {
  cards += 1;
  const id = `stream-verdict-${cards}`;
  const article = h('article', {
    class: 'card stream', 'aria-labelledby': id, 'data-verdict': verdict, 'data-ends-early': report.endsEarly ? report.endsEarly.reason : null,
  });
  article.append(banner(verdict, id, leadLines(report, verdict), t(`stream.verdict.${verdict}.title`)));
  article.append(...differencesBlocks(report).filter(Boolean));
  article.append(factsBlock(report, ctx));
  if (report.intervals.length) article.append(intervalsBlock(report));
  if (DONE.has(verdict)) article.append(h('p', { class: 'limits' }, t('stream.limits')));
  article.append(techBlock(report, ctx, report.intervals.map((i) => i.receipt).filter(Boolean)));
  return article;
}

/** The card for one reading's proof: `result` from checkReadingProof, `outcome` its receipt's. */
export function proofCard(result, outcome, ctx) {
  cards += 1;
  const id = `stream-verdict-${cards}`;
  const verdict = result.problem ? 'INVALID' : outcome.verdict;
  const reading = describeReading(result.reading, true);
  const span = formatSpan(result.start, result.end);
  const lines = [t('stream.proof.what', { reading, station: result.station })];
  if (result.problem) lines.push(t(`stream.proof.${result.problem}`));
  else if (DONE.has(verdict)) lines.push(t(result.late ? 'stream.proof.okLate' : 'stream.proof.ok', { span, issuer: outcome.issuerName || t('card.issuerUnknown') }));
  else lines.push(outcomeText(outcome));
  const article = h('article', { class: 'card stream', 'aria-labelledby': id, 'data-verdict': verdict });
  article.append(banner(verdict, id, lines, t(`verdict.${verdict}.title`)));
  const list = h('dl', { class: 'pairs facts' });
  const add = (label, value) => list.append(h('dt', {}, label), h('dd', {}, value));
  add(t('stream.station'), result.station);
  add(t('stream.proof.reading'), reading);
  add(t('stream.proof.interval'), `${span} (${zoneNote()})`);
  if (outcome && outcome.issuerName) add(t('stream.issuer'), outcome.issuerName);
  add(t('card.checkedAt'), formatMoment(new Date()));
  article.append(list);
  if (DONE.has(verdict)) article.append(h('p', { class: 'limits' }, t('stream.limits')));
  article.append(techBlock(null, ctx, [result.receipt]));
  return article;
}
