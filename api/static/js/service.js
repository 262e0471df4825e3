// POST /v1/verify, with its RFC 9457 problems sorted into what the reader is told.

export class ServiceError extends Error {
  /** kind: network | rateLimited | unavailable | notFound | input */
  constructor(kind, status, problem) {
    super((problem && (problem.detail || problem.title)) || kind);
    this.kind = kind;
    this.status = status;
    this.problem = problem || {};
  }
}

function kindOf(status) {
  if (status === 429) return 'rateLimited';
  if (status === 404) return 'notFound';
  if (status >= 400 && status < 500) return 'input';
  return 'unavailable';
}

/** The service's answer to `body` (a VerificationOut or VerificationListOut). */
export async function verify(body) {
  let reply;
  try {
    reply = await fetch('/v1/verify', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      credentials: 'omit',
    });
  } catch {
    throw new ServiceError('network', 0, null);
  }
  let parsed = null;
  try {
    parsed = await reply.json();
  } catch {
    parsed = null;
  }
  if (!reply.ok) throw new ServiceError(kindOf(reply.status), reply.status, parsed);
  if (parsed === null) throw new ServiceError('unavailable', reply.status, null);
  return parsed;
}

/** The registered issuers (GET /v1/issuers). */
export async function issuers() {
  let reply;
  try {
    reply = await fetch('/v1/issuers', { headers: { accept: 'application/json' }, credentials: 'omit' });
  } catch {
    throw new ServiceError('network', 0, null);
  }
  if (!reply.ok) throw new ServiceError(kindOf(reply.status), reply.status, null);
  return (await reply.json()).issuers;
}

/**
 * The answer the server put in a link's page (`<script type="application/json"
 * id="service-answer">`, what POST /v1/verify would answer for its leaf), as verify()
 * gives it; null when the page has none. Taken once.
 */
export function embedded() {
  const block = document.getElementById('service-answer');
  if (!block) return null;
  block.remove();
  let parsed;
  try {
    parsed = JSON.parse(block.textContent);
  } catch {
    return null;
  }
  if (!parsed || typeof parsed.status !== 'number' || !parsed.body) return null;
  if (parsed.status === 200) return Promise.resolve(parsed.body);
  return Promise.reject(new ServiceError(kindOf(parsed.status), parsed.status, parsed.body));
}
