// Request parameters as single strings: a parameter sent twice is an error (RFC 6749 §3.1, §3.2),
// except the few that the specs let repeat, whose values are joined with spaces.
import { OAuthError } from './errors.js';

export type Params = Record<string, string>;

/**
 * RFC 8707 §2 `resource` and RFC 8693 §2.1 `audience` may be sent several times. Their values are
 * URIs and client ids, which never contain whitespace, so they are kept as one space-joined list.
 */
const repeatable = new Set(['resource', 'audience']);

export const isRepeatable = (name: string): boolean => repeatable.has(name);

/**
 * A repeatable parameter's values as one Params entry, or undefined when all are empty. Whitespace
 * inside a value becomes NUL, which no target contains: the value stays one and is refused later
 * (invalid_target), where its error can be sent the right way.
 */
export function joinedValues(values: string[]): string | undefined {
  const sent = values.filter((v) => v !== '').map((v) => v.replace(/\s/g, '\u0000'));
  return sent.length > 0 ? sent.join(' ') : undefined;
}

/** The values of a repeatable parameter (see `repeatable`), in the order they were sent. */
export function paramValues(params: Params, name: string): string[] {
  return params[name] === undefined ? [] : params[name].split(' ');
}

export function singleParams(...sources: unknown[]): Params {
  const out: Params = {};
  for (const source of sources) {
    if (source === null || source === undefined || typeof source !== 'object') continue;
    for (const [name, value] of Object.entries(source as Record<string, unknown>)) {
      if (repeatable.has(name)) {
        const values = Array.isArray(value) ? value : [value];
        if (name in out || !values.every((v): v is string => typeof v === 'string')) throw new OAuthError('invalid_request', `parameter ${name} is malformed`);
        const joined = joinedValues(values);
        if (joined !== undefined) out[name] = joined;
        continue;
      }
      if (Array.isArray(value) || name in out) throw new OAuthError('invalid_request', `parameter ${name} was sent more than once`);
      if (typeof value !== 'string') throw new OAuthError('invalid_request', `parameter ${name} is malformed`);
      if (value !== '') out[name] = value;   // an empty parameter is treated as omitted (RFC 6749 §3.1)
    }
  }
  return out;
}

/**
 * An Accept header that asks for JSON and not for HTML: a script's fetch (keycloak-js sends
 * `Accept: application/json`), never a browser's navigation, which always lists text/html.
 */
export function asksForJsonOnly(accept: string | undefined): boolean {
  return accept !== undefined && !accept.includes('text/html') && accept.includes('application/json');
}

/** Back-channel endpoints take application/x-www-form-urlencoded bodies only (RFC 6749 §3.2). */
export function isFormBody(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}
