// Request ids: every log line of a request carries `reqId`, and every response echoes it as
// X-Request-Id, so a report from a user or a proxy log can be matched to Strix's logs.
import type { IncomingMessage } from 'node:http';
import { randomToken } from '../runtime.js';

/** A proxy's id is kept only when it is short and plain: it lands in logs and a response header. */
const acceptable = /^[A-Za-z0-9._-]{1,64}$/;

// Strix's own ids: a random prefix per process, then a counter. Unique across nodes and restarts
// for log correlation; they are not secrets, so no fresh randomness per request is needed.
const prefix = randomToken(9);
let counter = 0;

export function requestId(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && acceptable.test(incoming) ? incoming : `${prefix}-${(++counter).toString(36)}`;
}
