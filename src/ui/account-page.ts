// The account page's shared parts: its session (complete, recent enough to change factors), its
// posted forms, and the page itself with the user's factors.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { csrfToken, csrfValid } from '../http/cookies.js';
import { endpointUrl, matchedEndpoint } from '../http/endpoint.js';
import { PageError } from '../http/errors.js';
import { singleParams } from '../http/params.js';
import { format, getMessages } from '../i18n/messages.js';
import { enrolledFactors, satisfies } from '../identity/mfa.js';
import { currentSession, isPending, type ActiveSession, type SsoDeps } from '../identity/sso.js';
import { challengeKey, registrationOptions, type WebauthnDeps } from '../identity/webauthn.js';
import { accountConsoleClientId } from '../clients/built-in.js';
import { randomToken, sha256 } from '../runtime.js';
import type { Needs } from '../services.js';
import type { Realm } from '../store/realms.js';
import type { User } from '../store/users.js';
import { getAccountMessages } from '../i18n/account-messages.js';
import { mailEnabled } from '../mail/transport.js';
import type { AccountNav, AccountSection } from './account-nav.js';
import { uiEndpoints } from './endpoints.js';
import { oauthEndpoints } from '../oauth/endpoints.js';
import { accountMfaPage } from './mfa-pages.js';
import { realmView, sendPage, webauthnScriptHrefs, type RenderDeps } from './render.js';

/** What this module uses (services.ts `Needs`). */
export type AccountPageDeps = Needs<'clock' | 'config' | 'sealer', 'mfa' | 'clients'> & SsoDeps & WebauthnDeps & RenderDeps;

/** A user who has a factor changes factors only from a session that used one (else a password alone would do). */
export function mayChangeFactors(factors: { totp: boolean; passkeys: number }, active: ActiveSession): boolean {
  return (!factors.totp && factors.passkeys === 0) || satisfies(active.session, '2');
}

declare module 'fastify' {
  interface FastifyRequest { activeSession?: ActiveSession }
}

/**
 * The session policy of the endpoint tables: an endpoint with `session: 'required'` (the account
 * pages) gets the signed-in session attached before its handler runs, or answers as signedIn() does.
 * Route-level, so it runs after the app-wide hooks have resolved the realm and spent the rate limits.
 */
export function sessionPolicy(app: FastifyInstance, s: AccountPageDeps): void {
  app.decorateRequest('activeSession', undefined);
  const attachSession = async (request: FastifyRequest, reply: FastifyReply) => {
    const realm = request.realm!;
    const active = await currentSession(s, request, realm);
    // Opened without a session (a bookmark, a link in an e-mail): sign in first, as the realm's account console client.
    if (request.method === 'GET' && !active) return reply.redirect(await accountSignIn(s, realm), 303);
    request.activeSession = await signedIn(s, request, realm, active);
    return undefined;
  };
  // A route-level hook, added only to the routes that declare the policy: the other routes pay nothing.
  app.addHook('onRoute', (options) => {
    if ((options.config as { endpoint?: { session?: string } } | undefined)?.endpoint?.session !== 'required') return;
    const own = options.preHandler === undefined ? [] : Array.isArray(options.preHandler) ? options.preHandler : [options.preHandler];
    options.preHandler = [...own, attachSession];
  });
}

/** The session the session policy attached: for the handlers of endpoints that declare `session: 'required'`. */
export function accountSession(request: FastifyRequest): ActiveSession {
  if (!request.activeSession) throw new Error(`${matchedEndpoint(request)?.name ?? request.url}: the endpoint declares no session: 'required'`);
  return request.activeSession;
}

/**
 * Where a browser without a session goes: the realm's sign-in, through the authorization endpoint as
 * the account console's public client (code flow, PKCE), whose redirect URI is the console itself.
 * The console reads the SSO session the sign-in leaves, not the code: the code is never redeemed and
 * expires unused, so its verifier is not kept.
 */
async function accountSignIn(s: AccountPageDeps, realm: Realm): Promise<string> {
  const redirectUri = endpointUrl(s.config, realm, uiEndpoints.account_console);
  if (!(await s.store.clients.get(realm.name, accountConsoleClientId))) {
    await s.store.clients.upsert(realm.name, {
      client_id: accountConsoleClientId, client_name: 'Account console', redirect_uris: [redirectUri], post_logout_redirect_uris: [],
      grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'none', scope: 'openid', require_consent: false,
    }, null, s.clock.now());
  }
  const url = new URL(endpointUrl(s.config, realm, oauthEndpoints.authorization_endpoint));
  url.search = new URLSearchParams({
    client_id: accountConsoleClientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid', state: randomToken(),
    code_challenge: sha256(randomToken()), code_challenge_method: 'S256',
  }).toString();
  return url.href;
}

/** The account pages' session: a complete one (a half-signed-in session, second factor still owed, opens nothing here). */
async function signedIn(s: AccountPageDeps, request: FastifyRequest, realm: Realm, active: ActiveSession | undefined): Promise<ActiveSession> {
  const t = getMessages(realmView(s, request, realm));
  if (!active) throw new PageError('Not signed in', t.notSignedIn, 401);
  if (await isPending(s, realm, active)) throw new PageError('Sign-in not finished', t.signInUnfinished, 403);
  return active;
}

/** Whether the sign-in is recent enough to register or remove a second factor; an older session signs in again first. */
export function signedInRecently(s: AccountPageDeps, realm: Realm, active: ActiveSession): boolean {
  return s.clock.now() - active.session.authTime <= realm.settings.reauthentication_max_age * 1000;
}

/** A form posted on an account page: the signed-in user, the fields, and the page's messages; CSRF checked. */
export function accountForm(s: AccountPageDeps, request: FastifyRequest, realm: Realm) {
  const active = accountSession(request);
  const params = formParams(request);
  const t = getMessages(realmView(s, request, realm));
  if (!csrfValid(s, request, realm.name, params.csrf, { session: active.session.id })) throw new PageError('Page expired', t.formExpired, 403);
  return { active, params, t };
}

const sectionEndpoints = {
  home: uiEndpoints.account_console,
  personal_info: uiEndpoints.account_personal_info,
  password: uiEndpoints.account_password,
  signing_in: uiEndpoints.account_mfa,
  sessions: uiEndpoints.account_sessions,
  applications: uiEndpoints.account_applications,
  linked_accounts: uiEndpoints.account_linked_accounts,
  email: uiEndpoints.account_email,
} satisfies Record<AccountSection, unknown>;

/**
 * The account console's navigation as `current` shows it: every section, but Linked accounts only
 * where the realm has upstream providers and Email only where it sends mail.
 */
export function accountNav(s: RenderDeps, request: FastifyRequest, realm: Realm, active: ActiveSession, current: AccountSection): AccountNav {
  const offered = (section: AccountSection) => (section !== 'linked_accounts' || realm.settings.identity_providers.length > 0)
    && (section !== 'email' || mailEnabled(s.config, realm));
  const items = (Object.keys(sectionEndpoints) as AccountSection[]).filter(offered)
    .map((section) => ({ section, href: endpointUrl(s.config, realm, sectionEndpoints[section]) }));
  const t = getMessages(realmView(s, request, realm));
  return {
    current, items, signedInAs: format(t.consentSignedInAs, { username: active.user.username }),
    signOutHref: endpointUrl(s.config, realm, oauthEndpoints.end_session_endpoint),
  };
}

/** A time as the user reads it: in their time zone (the zoneinfo claim) when they set one, else in UTC, said so. */
export function accountTimeFormat(locale: string, user: User): Intl.DateTimeFormat {
  const zoneinfo = user.claims.zoneinfo;
  const options: Intl.DateTimeFormatOptions = { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' };
  try {
    return new Intl.DateTimeFormat(locale, { ...options, timeZone: typeof zoneinfo === 'string' ? zoneinfo : 'UTC' });
  } catch {
    return new Intl.DateTimeFormat(locale, { ...options, timeZone: 'UTC' });
  }
}

export function formParams(request: FastifyRequest) {
  try {
    return singleParams(request.body);
  } catch (error) {
    throw new PageError('Invalid request', (error as Error).message);
  }
}

export function retryAfter(reply: FastifyReply, seconds: number): number {
  reply.header('retry-after', String(seconds));
  return 429;
}

/**
 * The account page: the user's factors, with set-up, removal and new-recovery-code buttons when the
 * session may change them, and a link to the applications the user allowed.
 */
export async function sendAccountPage(
  s: AccountPageDeps, request: FastifyRequest, reply: FastifyReply, realm: Realm, active: ActiveSession, notice?: string, status = 200, error?: string,
): Promise<FastifyReply> {
  const factors = await enrolledFactors(s, active.user);
  const canChange = mayChangeFactors(factors, active);
  const csrf = csrfToken(s, request, reply, realm.name, { session: active.session.id });
  const view = realmView(s, request, realm);
  const t = getMessages(view);
  const passkeys = await s.store.mfa.webauthnCredentials(active.user.id);
  const when = accountTimeFormat(view.locale, active.user);
  const ta = getAccountMessages(view);
  return sendPage(reply, accountMfaPage({
    realm: view, scriptHrefs: webauthnScriptHrefs(s), nav: accountNav(s, request, realm, active, 'signing_in'), ...factors, canChange, notice, error,
    reauthenticateHref: canChange && !signedInRecently(s, realm, active) ? endpointUrl(s.config, realm, uiEndpoints.account_reauthenticate) : undefined,
    totpSetup: canChange && !factors.totp ? { href: endpointUrl(s.config, realm, uiEndpoints.account_totp) } : undefined,
    totpRemove: canChange && factors.totp ? { action: endpointUrl(s.config, realm, uiEndpoints.account_totp_remove), fields: { csrf }, label: t.removeFactor } : undefined,
    passkeyItems: passkeys.map((c, i) => ({
      id: c.id, name: c.name ?? format(t.passkeyItem, { n: i + 1 }),
      about: `${format(ta.passkeyAdded, { date: when.format(c.createdAt) })} · ${c.lastUsedAt === null ? ta.passkeyNeverUsed : format(ta.passkeyLastUsed, { date: when.format(c.lastUsedAt) })}`,
      remove: canChange ? { action: endpointUrl(s.config, realm, uiEndpoints.account_passkey_remove), fields: { csrf, credential_id: c.id }, label: t.removeFactor } : undefined,
    })),
    newRecoveryCodes: canChange && (factors.totp || factors.passkeys > 0)
      ? { action: endpointUrl(s.config, realm, uiEndpoints.account_recovery_codes), fields: { csrf }, label: t.newRecoveryCodes } : undefined,
    passkey: canChange ? {
      action: endpointUrl(s.config, realm, uiEndpoints.account_passkey), ceremony: 'register', label: t.registerPasskey, fields: { csrf },
      options: await registrationOptions(s, realm, active.user, challengeKey.session(active.session.id)),
    } : undefined,
  }), status);
}
