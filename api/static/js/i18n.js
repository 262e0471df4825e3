// The page's words: every string shown comes from /static/i18n/<lang>.json (the same
// catalogues the server renders the templates with). Dates and numbers use Intl.
const STORE_KEY = 'notary.lang';
const COOKIE = 'lang';
const LANGUAGES = ['vi', 'en'];
let messages = {};
let current = document.documentElement.lang || 'vi';

// Intl objects are costly to build (tens of ms each on a loaded phone): one per locale and kind.
const formatters = new Map();
function intl(kind, options) {
  const key = `${kind}|${locale()}|${JSON.stringify(options)}`;
  if (!formatters.has(key)) formatters.set(key, new Intl[kind](locale(), options));
  return formatters.get(key);
}

export function language() {
  return current;
}

/** The BCP 47 locale for Intl: the catalogue's, refined by the browser's when it agrees. */
export function locale() {
  const browser = navigator.languages || [navigator.language];
  return browser.find((tag) => tag && tag.toLowerCase().startsWith(current)) || messages.locale || current;
}

export async function loadCatalogue(lang) {
  const reply = await fetch(new URL(`../i18n/${lang}.json`, import.meta.url), { credentials: 'same-origin' });
  if (!reply.ok) throw new Error(`catalogue ${lang}: HTTP ${reply.status}`);
  messages = await reply.json();
  current = lang;
}

/** The message `key` with `{name}` placeholders filled from `params`. */
export function t(key, params = {}) {
  const message = messages[key];
  if (message === undefined) return key;
  return message.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

export function has(key) {
  return key in messages;
}

/** A plural message: `key.one` or `key.other` as Intl.PluralRules picks for `count`. */
export function plural(key, count, params = {}) {
  const form = intl('PluralRules', {}).select(count);
  const chosen = has(`${key}.${form}`) ? `${key}.${form}` : `${key}.other`;
  return t(chosen, { count: formatNumber(count), ...params });
}

export function formatNumber(n) {
  // Small whole numbers read the same in both languages; no formatter needs building.
  if (Number.isInteger(n) && Math.abs(n) < 1000) return String(n);
  return intl('NumberFormat', {}).format(n);
}

/** A moment (Unix seconds, or anything Date takes) as date and time in the reader's zone. */
export function formatMoment(value) {
  const date = typeof value === 'number' ? new Date(value * 1000) : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return intl('DateTimeFormat', { dateStyle: 'medium', timeStyle: 'medium' }).format(date);
}

/** [start, end) in Unix seconds as the reader writes a span of time in their zone; seconds
 * shown only when a bound is not a whole minute. */
export function formatSpan(start, end) {
  const seconds = start % 60 !== 0 || end % 60 !== 0;
  const format = intl('DateTimeFormat', { dateStyle: 'medium', timeStyle: seconds ? 'medium' : 'short' });
  return format.formatRange(new Date(start * 1000), new Date(end * 1000));
}

/** The time of day of a moment (Unix seconds) in the reader's zone, seconds included. */
export function formatClock(seconds) {
  return intl('DateTimeFormat', { timeStyle: 'medium' }).format(new Date(seconds * 1000));
}

/** A moment (Unix seconds) as date and time, seconds only when it is not a whole minute;
 * with `sameDayAs` (seconds) on the same local day, the time alone. */
export function formatStamp(seconds, sameDayAs = null) {
  const date = new Date(seconds * 1000);
  const timeStyle = seconds % 60 ? 'medium' : 'short';
  if (sameDayAs !== null && new Date(sameDayAs * 1000).toDateString() === date.toDateString()) {
    return intl('DateTimeFormat', { timeStyle }).format(date);
  }
  return intl('DateTimeFormat', { dateStyle: 'medium', timeStyle }).format(date);
}

/** A length of time in seconds in words: `5 minutes`, `2 seconds`, `1 hour`. */
export function formatDuration(seconds) {
  const [unit, n] = seconds % 3600 === 0 ? ['hour', seconds / 3600] : seconds % 60 === 0 ? ['minute', seconds / 60] : ['second', seconds];
  return intl('NumberFormat', { style: 'unit', unit, unitDisplay: 'long' }).format(n);
}

/** This device's offset from UTC as people write it: `UTC+7`, `UTC−3:30`, `UTC`. */
export function zoneName() {
  const minutes = -new Date().getTimezoneOffset();
  if (!minutes) return 'UTC';
  const sign = minutes > 0 ? '+' : '−';
  const h = Math.floor(Math.abs(minutes) / 60);
  const m = Math.abs(minutes) % 60;
  return `UTC${sign}${h}${m ? `:${String(m).padStart(2, '0')}` : ''}`;
}

/** A calendar date written YYYY-MM-DD, shown as the reader writes dates (no time zone shift). */
export function formatDay(text) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(text));
  if (!match) return String(text);
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return intl('DateTimeFormat', { dateStyle: 'long', timeZone: 'UTC' }).format(date);
}

/** Re-translate the server-rendered text: [data-i18n] and [data-i18n-label] (aria-label). */
export function applyStatic(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.getAttribute('data-i18n'));
  for (const el of root.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.getAttribute('data-i18n-label')));
  const other = t('lang.other');
  const button = document.getElementById('lang-switch');
  if (button) button.lang = other;
  document.documentElement.lang = current;
  const heading = document.querySelector('h1');
  if (heading) document.title = `${heading.textContent} · ${t('app.name')}`;
}

/** Remember `lang` (localStorage and a cookie the server reads) and show the page in it. */
export async function switchTo(lang) {
  if (!LANGUAGES.includes(lang)) return;
  await loadCatalogue(lang);
  try {
    localStorage.setItem(STORE_KEY, lang);
  } catch {
    // Storage may be off (private mode); the cookie still remembers.
  }
  document.cookie = `${COOKIE}=${lang}; path=/; max-age=31536000; SameSite=Lax`;
  applyStatic();
}

/** Load the page's catalogue; a choice kept in localStorage but not in the cookie wins. */
export async function start() {
  /** @type {string | null} */
  let stored = null;
  try {
    stored = localStorage.getItem(STORE_KEY);
  } catch {
    stored = null;
  }
  if (stored && stored !== current && LANGUAGES.includes(stored)) {
    await switchTo(stored);
  } else {
    await loadCatalogue(current);
  }
}
