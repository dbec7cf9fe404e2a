// Input the stores can hold: PostgreSQL refuses a NUL byte in text ("invalid byte sequence for
// encoding UTF8: 0x00") and both stores expect well-formed UTF-8. One hook checks every path
// segment, query and body parameter, header value and cookie before any route reaches the store,
// and answers with the endpoint's own malformed-request error (invalid_request or an error page).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { OAuthError, PageError } from './errors.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
/** A NUL, or a UTF-16 surrogate without its pair (what ill-formed input decodes to in a JS string). */
const illFormed = /\u0000|\p{Cs}/u;

/** Text without NUL or lone surrogates. */
export function wellFormedText(text: string): boolean {
  return !illFormed.test(text);
}

/** Bytes that are UTF-8 without NUL, as text; undefined otherwise. */
export function wellFormedUtf8(bytes: Uint8Array): string | undefined {
  try {
    const text = strictUtf8.decode(bytes);
    return text.includes('\u0000') ? undefined : text;
  } catch {
    return undefined;
  }
}

/**
 * A NUL escape, an escape of a byte beyond ASCII, or a raw byte beyond ASCII: a target without any
 * (nearly every request, whose escapes are `%3A`, `%2F`, `%20`…) is well formed as it stands.
 */
const mayBeIllFormed = /%(?:00|[89a-f])|[\u0080-\u00ff]/i;

/** The request target as sent (Node hands it over byte for byte), with its percent-escapes decoded. */
function wellFormedTarget(url: string): boolean {
  if (!mayBeIllFormed.test(url)) return true;
  const decoded = url.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return wellFormedUtf8(Buffer.from(decoded, 'latin1')) !== undefined;
}

/** Header values arrive as latin1 strings: beyond ASCII, their bytes must be UTF-8. */
function wellFormedHeader(value: string): boolean {
  if (!/[^\t\x20-\x7e]/.test(value)) return true;
  return wellFormedUtf8(Buffer.from(value, 'latin1')) !== undefined;
}

/** Strings, object keys and array items of a parsed body, at any depth. */
function wellFormedValue(value: unknown): boolean {
  if (typeof value === 'string') return wellFormedText(value);
  if (Buffer.isBuffer(value)) return wellFormedUtf8(value) !== undefined;
  if (Array.isArray(value)) return value.every(wellFormedValue);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).every(([key, item]) => wellFormedText(key) && wellFormedValue(item));
  }
  return true;
}

/** What arrives before the body: path, query, headers and cookies. */
function wellFormedHead(request: FastifyRequest): boolean {
  if (!wellFormedTarget(request.url)) return false;
  for (const value of Object.values(request.headers)) {
    if (typeof value === 'string' ? !wellFormedHeader(value) : value?.some((v) => !wellFormedHeader(v))) return false;
  }
  return Object.values(request.cookies ?? {}).every((v) => v === undefined || wellFormedText(v));
}

/** `json` says which requests get a JSON error (back-channel endpoints, the admin API) rather than a page. */
export function wellFormedInput(app: FastifyInstance, json: (request: FastifyRequest) => boolean): void {
  const refusal = (request: FastifyRequest) => json(request)
    ? new OAuthError('invalid_request', 'the request holds a NUL byte or ill-formed UTF-8')
    : new PageError('Invalid request', 'The request contains characters that are not allowed.');
  // The head is checked on arrival, before other onRequest hooks (CORS reads the realm's clients);
  // the body once parsed, before any preHandler (realm, rate limits) or route reaches the store.
  app.addHook('onRequest', (request, _reply, done) => done(wellFormedHead(request) ? undefined : refusal(request)));
  app.addHook('preValidation', (request, _reply, done) => done(wellFormedValue(request.body) ? undefined : refusal(request)));
}
