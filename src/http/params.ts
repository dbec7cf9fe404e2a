// Request parameters as single strings: a parameter sent twice is an error (RFC 6749 §3.1, §3.2).
import { OAuthError } from './errors.js';

export type Params = Record<string, string>;

export function singleParams(...sources: unknown[]): Params {
  const out: Params = {};
  for (const source of sources) {
    if (source === null || source === undefined || typeof source !== 'object') continue;
    for (const [name, value] of Object.entries(source as Record<string, unknown>)) {
      if (Array.isArray(value) || name in out) throw new OAuthError('invalid_request', `parameter ${name} was sent more than once`);
      if (typeof value !== 'string') throw new OAuthError('invalid_request', `parameter ${name} is malformed`);
      if (value !== '') out[name] = value;   // an empty parameter is treated as omitted (RFC 6749 §3.1)
    }
  }
  return out;
}

/** Back-channel endpoints take application/x-www-form-urlencoded bodies only (RFC 6749 §3.2). */
export function isFormBody(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}
