// The token hook (docs/security.md "Token hook"): an HTTPS webhook a realm may configure, called
// before tokens are issued, that can add claims or deny. Requests are signed with HMAC-SHA256
// (`Strix-Signature: t=<unix time>,v1=<hex>` over `t + "." + body`); redirects are never followed;
// a hook that fails (timeout, non-2xx, unreadable answer) is handled by the realm's on_failure policy.
import { OAuthError, type OAuthErrorCode } from '../http/errors.js';
import { httpsOrLoopback, OutboundError, signature } from '../http/outbound.js';
import { seconds } from '../runtime.js';
import type { Needs } from '../services.js';
import type { Client } from '../store/clients.js';
import { tokenHookFailurePolicies, type TokenHookSettings } from '../store/custom-rules.js';
import type { Realm } from '../store/realms.js';
import type { User } from '../store/users.js';
import { groupsOf, protectedClaims } from './mappers.js';
import { isObject } from '../json.js';
import { ValidationError } from '../validation.js';

/** What this module uses (services.ts `Needs`). */
export type TokenHookDeps = Needs<'clock' | 'log' | 'outbound' | 'sealer'>;

/** As written in a realm file: the secret in clear (omitted on re-import keeps the stored one). */
export type TokenHookInput = Omit<TokenHookSettings, 'secret_sealed'> & { secret?: string };

export const tokenHookDefaults = { timeout_ms: 2000, max_timeout_ms: 10_000, max_response_bytes: 64 * 1024 };

export function parseTokenHook(value: unknown, where: string): TokenHookInput | null {
  if (value === undefined || value === null) return null;
  if (!isObject(value)) throw new ValidationError(where, 'must be an object: {"url", "secret", "timeout_ms", "on_failure"}');
  const known = ['url', 'secret', 'timeout_ms', 'on_failure'];
  for (const field of Object.keys(value)) if (!known.includes(field)) throw new ValidationError(`${where}.${field}`, `is not a token_hook setting (known: ${known.join(', ')})`);
  const { url, secret, timeout_ms = tokenHookDefaults.timeout_ms, on_failure = 'deny' } = value;
  // https only; http for loopback hosts, so that a hook can run beside Strix in development and tests.
  if (typeof url !== 'string' || !URL.canParse(url) || !httpsOrLoopback(new URL(url))) {
    throw new ValidationError(`${where}.url`, 'must be an https URL (http only for loopback hosts)');
  }
  if (secret !== undefined && (typeof secret !== 'string' || secret.length < 16)) throw new ValidationError(`${where}.secret`, 'must be a string of at least 16 characters');
  if (typeof timeout_ms !== 'number' || !Number.isInteger(timeout_ms) || timeout_ms <= 0 || timeout_ms > tokenHookDefaults.max_timeout_ms) {
    throw new ValidationError(`${where}.timeout_ms`, `must be a whole number of milliseconds from 1 to ${tokenHookDefaults.max_timeout_ms}`);
  }
  if (!tokenHookFailurePolicies.includes(on_failure as never)) throw new ValidationError(`${where}.on_failure`, `must be one of ${tokenHookFailurePolicies.join(', ')}`);
  return { url, ...(secret === undefined ? {} : { secret }), timeout_ms, on_failure: on_failure as TokenHookSettings['on_failure'] };
}

export interface TokenHookRequest {
  realm: Realm;
  client: Client;
  grantType: string;
  user: User | undefined;
  scope: string[];
  /** The claims Strix proposes for each token it is about to issue (registered JWT claims aside). */
  claims: { access_token?: Record<string, unknown>; id_token?: Record<string, unknown> };
}

export interface HookClaims { access_token: Record<string, unknown>; id_token: Record<string, unknown> }

class HookFailure extends Error {}

/**
 * Calls the realm's hook, if any, and returns the claims it adds. A denial throws `refusal` (the
 * error code the calling endpoint uses); so does a failure under on_failure "deny".
 */
export async function callTokenHook(s: TokenHookDeps, r: TokenHookRequest, refusal: OAuthErrorCode): Promise<HookClaims> {
  const none: HookClaims = { access_token: {}, id_token: {} };
  const hook = r.realm.settings.token_hook;
  if (!hook) return none;
  const body = JSON.stringify({
    realm: r.realm.name,
    client_id: r.client.clientId,
    grant_type: r.grantType,
    user: r.user ? { sub: r.user.id, username: r.user.username, email: r.user.email, roles: r.user.roles, client_roles: r.user.clientRoles, groups: groupsOf(r.user) } : null,
    scope: r.scope.join(' '),
    claims: r.claims,
  });
  let answer: Record<string, unknown>;
  try {
    answer = await post(s, hook, hookSecret(s, hook), body, seconds(s.clock.now()));
  } catch (error) {
    const reason = error instanceof HookFailure ? error.message : 'unreachable';
    s.log.warn({ realm: r.realm.name, clientId: r.client.clientId, event: 'token_hook_failed', reason, onFailure: hook.on_failure }, 'token hook failed');
    if (hook.on_failure === 'continue') return none;
    throw new OAuthError(refusal, 'tokens cannot be issued: the token hook did not answer');
  }
  if (answer.deny === true) {
    const description = typeof answer.error_description === 'string' ? answer.error_description.slice(0, 200) : 'denied by the token hook';
    s.log.info({ realm: r.realm.name, clientId: r.client.clientId, event: 'token_hook_denied' }, 'token hook denied the request');
    throw new OAuthError(refusal, description);
  }
  return hookClaims(answer, (reason) => {
    s.log.warn({ realm: r.realm.name, clientId: r.client.clientId, event: 'token_hook_failed', reason, onFailure: hook.on_failure }, 'token hook failed');
    if (hook.on_failure === 'deny') throw new OAuthError(refusal, 'tokens cannot be issued: the token hook gave an invalid answer');
  });
}

function hookSecret(s: TokenHookDeps, hook: TokenHookSettings): string {
  try {
    return s.sealer.open(hook.secret_sealed);
  } catch {
    throw new HookFailure('the secret cannot be decrypted (STRIX_MASTER_KEY changed?)');
  }
}

async function post(s: Needs<'outbound'>, hook: TokenHookSettings, secret: string, body: string, time: number): Promise<Record<string, unknown>> {
  let response;
  try {
    response = await s.outbound.request(hook.url, {
      purpose: 'token_hook',
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', accept: 'application/json', 'strix-signature': signature(secret, time, body) },
      timeoutMs: hook.timeout_ms,
      maxBytes: tokenHookDefaults.max_response_bytes,
    });
  } catch (error) {
    const reason = error instanceof OutboundError && error.reason === 'timeout' ? 'timed out'
      : error instanceof OutboundError && error.reason === 'too_large' ? `the answer exceeds ${tokenHookDefaults.max_response_bytes} bytes`
        : error instanceof OutboundError && error.reason === 'refused' ? 'the address is not one Strix may connect to' : 'unreachable';
    throw new HookFailure(reason);
  }
  if (response.status < 200 || response.status > 299) throw new HookFailure(`status ${response.status}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(response.text());
  } catch {
    throw new HookFailure('the answer is not JSON');
  }
  if (!isObject(parsed)) throw new HookFailure('the answer is not a JSON object');
  return parsed;
}

/** `{"claims": {"access_token": {…}, "id_token": {…}}}`; a protected claim makes the whole answer invalid. */
function hookClaims(answer: Record<string, unknown>, invalid: (reason: string) => void): HookClaims {
  const out: HookClaims = { access_token: {}, id_token: {} };
  if (answer.claims === undefined) return out;
  const problem = claimsProblem(answer.claims);
  if (problem) {
    invalid(problem);
    return out;
  }
  const claims = answer.claims as Record<string, Record<string, unknown> | undefined>;
  return { access_token: claims.access_token ?? {}, id_token: claims.id_token ?? {} };
}

function claimsProblem(claims: unknown): string | undefined {
  if (!isObject(claims)) return 'claims is not an object';
  for (const [target, members] of Object.entries(claims)) {
    if (target !== 'access_token' && target !== 'id_token') return `claims.${target} is not a token`;
    if (!isObject(members)) return `claims.${target} is not an object`;
    const reserved = Object.keys(members).find((name) => protectedClaims.has(name) || name === '__proto__');
    if (reserved) return `claims.${target}.${reserved} is a protected claim`;
  }
  return undefined;
}

export { tokenHookFailurePolicies, type TokenHookSettings };
