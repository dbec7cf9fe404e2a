// The admin REST API with the console's bearer token: the only server the console talks to
// besides the sign-in endpoints. Errors are RFC 9457 problems; `ApiError` carries their detail.
import { accessToken, publicUrl, redirectToSignIn, refresh } from './auth.js';

export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly field?: string) { super(message); }
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

async function send(method: Method, path: string, body?: unknown): Promise<Response> {
  return fetch(`${publicUrl}/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${accessToken()}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export async function api<T = unknown>(method: Method, path: string, body?: unknown): Promise<T> {
  let response = await send(method, path, body);
  if (response.status === 401) {
    // An access token that expired while the tab slept: one refresh, then sign in again.
    await refresh().catch(() => redirectToSignIn());
    response = await send(method, path, body);
  }
  if (response.status === 204) return undefined as T;
  const answer = await response.json().catch(() => ({})) as T & { detail?: string; title?: string; field?: string };
  if (!response.ok) throw new ApiError(response.status, answer.detail ?? answer.title ?? `The admin API answered ${response.status}.`, answer.field);
  return answer;
}

/** A path segment, encoded. */
export const seg = (value: string) => encodeURIComponent(value);

/** A query string of the defined, non-empty values. */
export function query(params: Record<string, string | number | boolean | undefined>): string {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => [k, String(v)]);
  return entries.length ? `?${new URLSearchParams(entries).toString()}` : '';
}
