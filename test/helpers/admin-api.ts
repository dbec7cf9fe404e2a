// Driving the admin REST API as a script would: a master-realm service account gets its token by
// client_credentials, then calls /admin/… over real HTTP.
import assert from 'node:assert/strict';
import type { TestServer } from './server.js';
import { tokenRequest } from './user-agent.js';

/** A master-realm client whose client_credentials tokens carry these admin API rights (none: an ordinary client). */
export function serviceAccount(clientId: string, roles?: string[]) {
  return {
    client_id: clientId, client_secret: `${clientId}-secret`, grant_types: ['client_credentials'], scope: 'openid',
    ...(roles ? { service_account_roles: roles } : {}),
  };
}

/** The master realm with the usual service accounts: every realm, demo's administrator, demo's viewer, an ordinary client. */
export function masterWithServiceAccounts(...more: object[]) {
  return {
    name: 'master', display_name: 'Strix',
    clients: [
      serviceAccount('ops-bot', ['admin']), serviceAccount('demo-admin', ['realm-admin:demo']),
      serviceAccount('demo-viewer', ['realm-viewer:demo']), serviceAccount('plain-bot'), ...more,
    ],
  };
}

export async function serviceToken(server: TestServer, clientId: string): Promise<string> {
  const answer = await tokenRequest(server.issuer('master'), { grant_type: 'client_credentials' }, { id: clientId, secret: `${clientId}-secret` });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body.access_token as string;
}

export interface AdminAnswer { status: number; body: any; headers: Headers }

/** An admin API client for one bearer token: `call('PUT', '/realms/demo', body, { 'if-match': etag })`. */
export function adminApi(server: TestServer, token: string) {
  return async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<AdminAnswer> {
    const response = await fetch(`${server.url}/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
  };
}
export type AdminCall = ReturnType<typeof adminApi>;

/** Asserts an RFC 9457 problem with this status that names this field. */
export function assertProblem(answer: AdminAnswer, status: number, field?: string): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.match(answer.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(answer.body.status, status);
  assert.equal(typeof answer.body.title, 'string');
  assert.equal(typeof answer.body.detail, 'string');
  if (field !== undefined) assert.equal(answer.body.field, field, JSON.stringify(answer.body));
}
