// Sign-in through an upstream provider, the browser's side (docs/identity-providers.md): leaving for
// the provider from the sign-in page (or straight away with kc_idp_hint), coming back to Keycloak's
// `/broker/{alias}/endpoint`, and the page that links the upstream account to an existing user once
// that user gives its password. What the browser must bring back (state, nonce, PKCE verifier, the
// parked request) travels sealed in a cookie of the realm's path, so a code sent to another browser,
// or a replayed state, finds nothing to continue.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clearRealmCookie, cookieScope, csrfToken, csrfValid, openSealedCookie, setCrossSiteRealmCookie, setRealmCookie } from '../http/cookies.js';
import { endpointUrl, route } from '../http/endpoint.js';
import { PageError } from '../http/errors.js';
import { getBrokerMessages } from '../i18n/broker-messages.js';
import { format, getMessages } from '../i18n/messages.js';
import {
  answersWithFormPost, BrokerError, finishUpstream, linkAccount, resolveAccount, startUpstream, type BrokerFailure, type BrokerState, type BrokeringDeps, type UpstreamAccount,
} from '../identity/brokering.js';
import { verifyPassword } from '../identity/passwords.js';
import { currentLock, recordFailure, type SignInAttempt } from '../security/brute-force.js';
import { recordEvent } from '../security/audit.js';
import { safeEqual } from '../runtime.js';
import type { IdentityProvider, Realm } from '../store/realms.js';
import type { AuthorizationRequest } from '../authorization/request.js';
import { linkAccountPage, linkedAccountsPage } from './broker-pages.js';
import { accountForm, accountNav, accountSession, signedInRecently, type AccountPageDeps } from './account-page.js';
import { currentSession, type ActiveSession } from '../identity/sso.js';
import { enrolledFactors } from '../identity/mfa.js';
import { emailSignInOffered, mayReceiveSignInCode } from '../identity/email-sign-in.js';
import type { User } from '../store/users.js';
import { isDeviceAuthorization, type DeviceAuthorization } from './device-verification.js';
import { noticePage } from './email-pages.js';
import { uiEndpoints } from './endpoints.js';
import { firstFactorGiven, resume, tooManyAttempts, type LoginActionsDeps } from './login-actions.js';
import { realmView, sendPage } from './render.js';

/** What this module uses (services.ts `Needs`). */
export type BrokerPageDeps = LoginActionsDeps & BrokeringDeps;
/** What the account page's Linked accounts add. */
export type LinkedAccountsDeps = AccountPageDeps;

const stateCookie = 'strix_broker';
const linkCookie = 'strix_broker_link';
const cookieSeconds = 600;

/** An upstream account waiting for the existing user's password before it is linked (sealed in a cookie). */
interface PendingLink { kind: 'broker_link'; realm: string; alias: string; interaction: string; userId: string; account: UpstreamAccount; expiresAt: number }

export function brokerRoutes(app: FastifyInstance, s: BrokerPageDeps & LinkedAccountsDeps): void {
  route(app, uiEndpoints.broker_login, async (request, reply) => {
    const realm = request.realm!;
    const provider = providerOf(s, request, realm);
    const query = request.query as Record<string, unknown>;
    const interaction = typeof query.interaction === 'string' ? query.interaction : '';
    const parked = interaction === '' ? undefined : await s.store.interactions.get<AuthorizationRequest | DeviceAuthorization>(interaction, s.clock.now());
    const t = getMessages(realmView(s, request, realm));
    if (!parked || parked.realm !== realm.name || isDeviceAuthorization(parked.request)) throw new PageError('Sign-in expired', t.interactionExpired);
    if (!csrfValid(s, request, realm.name, typeof query.csrf === 'string' ? query.csrf : undefined, { interaction })) throw new PageError('Page expired', t.formExpired, 403);
    try {
      const { location, state } = await startUpstream(s, realm, provider, {
        interaction, redirectUri: redirectUriOf(s, realm, provider), loginHint: parked.request.loginHint,
      });
      const setStateCookie = answersWithFormPost(provider) ? setCrossSiteRealmCookie : setRealmCookie;
      setStateCookie(reply, cookieScope(s.config.publicUrl, realm.name), stateCookie, s.sealer.seal(JSON.stringify(state)), cookieSeconds);
      return reply.redirect(location, 303);
    } catch (error) {
      return failed(s, request, reply, realm, provider, error);
    }
  });

  route(app, uiEndpoints.broker_endpoint, async (request, reply) => {
    const realm = request.realm!;
    const provider = providerOf(s, request, realm);
    // The answer comes in the query, or — from a provider that answers with form_post — in the form.
    const query = (request.method === 'POST' ? request.body ?? {} : request.query) as Record<string, unknown>;
    const scope = cookieScope(s.config.publicUrl, realm.name);
    const state = openSealedCookie<BrokerState>(s.sealer, request.cookies[stateCookie], 'broker');
    clearRealmCookie(reply, scope, stateCookie, answersWithFormPost(provider));
    try {
      // The state proves this browser started this sign-in (RFC 6749 §10.12): a code meant for another
      // browser, or a state used once already (its cookie is gone), continues nothing.
      if (!state || state.realm !== realm.name || state.alias !== provider.alias || typeof query.state !== 'string' || !safeEqual(query.state, state.state)) {
        throw new BrokerError('state_mismatch', 'the state does not match this browser\'s sign-in');
      }
      if (state.expiresAt < s.clock.now()) throw new BrokerError('expired', 'the sign-in took too long');
      if (typeof query.error === 'string') throw new BrokerError('upstream_error', `the provider answered ${query.error.slice(0, 64)}`);
      if (typeof query.code !== 'string' || query.code === '') throw new BrokerError('upstream_error', 'the provider sent no code');
      if (request.method === 'POST' && !answersWithFormPost(provider)) throw new BrokerError('upstream_error', 'the provider answered with a form it was not asked for');
      const account = await finishUpstream(s, provider, state, query.code, redirectUriOf(s, realm, provider), typeof query.user === 'string' ? query.user : undefined);
      if (state.linkFor) return linkedFromAccount(s, request, reply, realm, provider, account, state.linkFor);
      const parked = await parkedRequest(s, realm, state.interaction);
      const resolution = await resolveAccount(s, realm, provider, account, request.ip);
      const tb = getBrokerMessages(realmView(s, request, realm));
      if (resolution.kind === 'refused') {
        await recordEvent(s, { realm, type: 'login_failure', ip: request.ip, details: { identity_provider: provider.alias, reason: resolution.reason } });
        return notice(s, request, reply, realm, format(tb.errorTitle, { provider: provider.display_name }),
          resolution.reason === 'disabled' ? tb.disabledText : format(tb.existsText, { provider: provider.display_name }), 403);
      }
      if (resolution.kind === 'link') {
        // Without the provider's tokens: a cookie has room for the profile, not for tokens too.
        const pending: PendingLink = {
          kind: 'broker_link', realm: realm.name, alias: provider.alias, interaction: state.interaction, userId: resolution.existing.id,
          account: { ...account, tokens: undefined }, expiresAt: s.clock.now() + cookieSeconds * 1000,
        };
        setRealmCookie(reply, scope, linkCookie, s.sealer.seal(JSON.stringify(pending)), cookieSeconds);
        return showLink(s, request, reply, realm, provider, pending, resolution.existing.username);
      }
      return firstFactorGiven(s, request, reply, {
        ...parked, realm, id: state.interaction, user: resolution.user, amr: account.amr, upstream: upstreamOf(s, provider, account), acr: acrOf(provider, account.amr),
        attempt: { realm, username: resolution.user.username, ip: request.ip, log: request.log },
      });
    } catch (error) {
      return failed(s, request, reply, realm, provider, error);
    }
  });

  route(app, uiEndpoints.broker_link, async (request, reply) => {
    const realm = request.realm!;
    const provider = providerOf(s, request, realm);
    const { id, params, client, authorization, t } = await resume(s, request, realm);
    const pending = openSealedCookie<PendingLink>(s.sealer, request.cookies[linkCookie], 'broker_link');
    if (!pending || pending.realm !== realm.name || pending.alias !== provider.alias || pending.interaction !== id || pending.expiresAt < s.clock.now()) {
      return failed(s, request, reply, realm, provider, new BrokerError('expired', 'no link is waiting in this browser'));
    }
    const user = await s.store.users.findById(pending.userId);
    if (!user || !user.enabled) return failed(s, request, reply, realm, provider, new BrokerError('expired', 'the account is gone or disabled'));
    const attempt: SignInAttempt = { realm, username: user.username, ip: request.ip, log: request.log };
    const again = (error: string, status: number) => showLink(s, request, reply, realm, provider, pending, user.username, error, status);
    const locked = await currentLock(s, attempt);
    if (locked) return again(t.accountLocked, tooManyAttempts(reply, locked));
    if (!(await verifyPassword(user.passwordHash, params.password ?? ''))) {
      await recordEvent(s, { realm, type: 'login_failure', userId: user.id, clientId: client.clientId, ip: request.ip, details: { username: user.username, reason: 'bad_password', identity_provider: provider.alias } });
      const lock = await recordFailure(s, attempt, user);
      return lock ? again(t.accountLocked, tooManyAttempts(reply, lock)) : again(t.invalidCredentials, 401);
    }
    clearRealmCookie(reply, cookieScope(s.config.publicUrl, realm.name), linkCookie);
    await linkAccount(s, realm, provider, pending.account, user, request.ip);
    if (isDeviceAuthorization(authorization)) throw new PageError('Sign-in expired', t.interactionExpired);
    const amr = [...new Set([...pending.account.amr, 'pwd'])];
    return firstFactorGiven(s, request, reply, { realm, client, authorization, id, attempt, user, amr, upstream: upstreamOf(s, provider, pending.account), acr: acrOf(provider, amr) });
  });
}

/**
 * The account page's Linked accounts: each provider of the realm with Link (a recent sign-in first,
 * then the provider's own sign-in) or Unlink (refused when it would leave no way to sign in).
 */
export function linkedAccountRoutes(app: FastifyInstance, s: BrokerPageDeps & LinkedAccountsDeps): void {
  route(app, uiEndpoints.account_linked_accounts, async (request, reply) => sendLinkedAccounts(s, request, reply, request.realm!, accountSession(request)));

  route(app, uiEndpoints.account_link_provider, async (request, reply) => {
    const realm = request.realm!;
    const { active, params } = accountForm(s, request, realm);
    const provider = realm.settings.identity_providers.find((p) => p.alias === params.alias);
    const t = getBrokerMessages(realmView(s, request, realm));
    if (!provider) return sendLinkedAccounts(s, request, reply, realm, active, { error: t.unknownProviderText }, 404);
    if (!signedInRecently(s, realm, active)) {
      return sendLinkedAccounts(s, request, reply, realm, active, {
        error: t.linkReauthText, reauthenticate: { href: endpointUrl(s.config, realm, uiEndpoints.account_reauthenticate), label: t.linkReauthLink },
      }, 403);
    }
    try {
      const { location, state } = await startUpstream(s, realm, provider, {
        interaction: '', redirectUri: redirectUriOf(s, realm, provider), linkFor: { sessionId: active.session.id, userId: active.user.id },
      });
      setRealmCookie(reply, cookieScope(s.config.publicUrl, realm.name), stateCookie, s.sealer.seal(JSON.stringify(state)), cookieSeconds);
      return reply.redirect(location, 303);
    } catch (error) {
      return failed(s, request, reply, realm, provider, error);
    }
  });

  route(app, uiEndpoints.account_unlink_provider, async (request, reply) => {
    const realm = request.realm!;
    const { active, params } = accountForm(s, request, realm);
    const t = getBrokerMessages(realmView(s, request, realm));
    const provider = realm.settings.identity_providers.find((p) => p.alias === params.alias);
    const links = await s.store.userIdentities.forUser(active.user.id);
    if (!provider || !links.some((l) => l.provider === provider.alias)) return sendLinkedAccounts(s, request, reply, realm, active);
    const v = { provider: provider.display_name };
    if (links.length === 1 && !(await hasOtherWayIn(s, realm, active.user))) return sendLinkedAccounts(s, request, reply, realm, active, { error: format(t.lastWayText, v) }, 409);
    await s.store.userIdentities.unlink(active.user.id, provider.alias);
    await recordEvent(s, { realm, type: 'identity_provider_unlinked', userId: active.user.id, ip: request.ip, sessionId: active.session.id, details: { identity_provider: provider.alias } });
    return sendLinkedAccounts(s, request, reply, realm, active, { notice: format(t.unlinkedNotice, v) });
  });
}

/** A password, a passkey (they sign in without one), or e-mail codes to a verified address. */
async function hasOtherWayIn(s: BrokerPageDeps & LinkedAccountsDeps, realm: Realm, user: User): Promise<boolean> {
  if (user.passwordHash) return true;
  if ((await enrolledFactors(s, user)).passkeys > 0) return true;
  return emailSignInOffered(s, realm) && mayReceiveSignInCode(user);
}

/** The provider's account, signed in to from the account page, is linked to the session's user. */
async function linkedFromAccount(
  s: BrokerPageDeps & LinkedAccountsDeps, request: FastifyRequest, reply: FastifyReply, realm: Realm, provider: IdentityProvider,
  account: UpstreamAccount, linkFor: NonNullable<BrokerState['linkFor']>,
): Promise<FastifyReply> {
  const active = await currentSession(s, request, realm);
  if (!active || active.session.id !== linkFor.sessionId || active.user.id !== linkFor.userId) throw new BrokerError('expired', 'the session that asked for the link is gone');
  const t = getBrokerMessages(realmView(s, request, realm));
  const v = { provider: provider.display_name };
  const existing = await s.store.userIdentities.find(realm.name, provider.alias, account.subject);
  if (existing && existing.userId !== active.user.id) {
    await recordEvent(s, { realm, type: 'identity_provider_error', userId: active.user.id, ip: request.ip, details: { identity_provider: provider.alias, reason: 'linked_elsewhere' } });
    return sendLinkedAccounts(s, request, reply, realm, active, { error: format(t.linkedElsewhereText, v) }, 409);
  }
  if (!existing) await linkAccount(s, realm, provider, account, active.user, request.ip);
  return sendLinkedAccounts(s, request, reply, realm, active, { notice: format(t.linkedNotice, v) });
}

async function sendLinkedAccounts(
  s: BrokerPageDeps & LinkedAccountsDeps, request: FastifyRequest, reply: FastifyReply, realm: Realm, active: ActiveSession,
  o: { notice?: string; error?: string; reauthenticate?: { href: string; label: string } } = {}, status = 200,
): Promise<FastifyReply> {
  const view = realmView(s, request, realm);
  const t = getBrokerMessages(view);
  const csrf = csrfToken(s, request, reply, realm.name, { session: active.session.id });
  const linked = new Set((await s.store.userIdentities.forUser(active.user.id)).map((l) => l.provider));
  return sendPage(reply, linkedAccountsPage({
    realm: view, nav: accountNav(s, request, realm, active, 'linked_accounts'), ...o,
    providers: realm.settings.identity_providers.map((provider) => {
      const isLinked = linked.has(provider.alias);
      return {
        name: provider.display_name, linked: isLinked,
        form: {
          action: endpointUrl(s.config, realm, isLinked ? uiEndpoints.account_unlink_provider : uiEndpoints.account_link_provider),
          fields: { csrf, alias: provider.alias }, label: isLinked ? t.unlinkAction : t.linkAction,
        },
      };
    }),
  }), status);
}

/** The provider's multi-factor sign-in counts as two factors where the admin accepts it (`accept_mfa`); one otherwise. */
const acrOf = (provider: IdentityProvider, amr: string[]): string => (provider.accept_mfa && amr.includes('mfa') ? '2' : '1');

/** What the session keeps of the provider's sign-in: its alias, its session (sid), and — for a logout there — its ID token, sealed. */
const upstreamOf = (s: BrokerPageDeps, provider: IdentityProvider, account: UpstreamAccount) => ({
  idp: provider.alias, ...(account.sid ? { idpSid: account.sid } : {}),
  ...(provider.upstream_logout && account.tokens?.id_token ? { idpIdToken: s.sealer.seal(account.tokens.id_token) } : {}),
});

/** Keycloak's redirect URI for a provider: `{issuer}/broker/{alias}/endpoint` (register it at the provider). */
export function redirectUriOf(s: BrokerPageDeps, realm: Realm, provider: IdentityProvider): string {
  return endpointUrl(s.config, realm, uiEndpoints.broker_endpoint, { alias: provider.alias });
}

function providerOf(s: BrokerPageDeps, request: FastifyRequest, realm: Realm): IdentityProvider {
  const alias = (request.params as Record<string, string>).alias;
  const provider = realm.settings.identity_providers.find((p) => p.alias === alias);
  if (!provider) throw new PageError('Not found', getBrokerMessages(realmView(s, request, realm)).unknownProviderText, 404);
  return provider;
}

/** The browser sign-in the provider's answer continues. */
async function parkedRequest(s: BrokerPageDeps, realm: Realm, interaction: string) {
  const parked = await s.store.interactions.get<AuthorizationRequest | DeviceAuthorization>(interaction, s.clock.now());
  if (!parked || parked.realm !== realm.name || isDeviceAuthorization(parked.request)) throw new BrokerError('expired', 'the sign-in request is gone');
  const client = await s.store.clients.get(realm.name, parked.clientId);
  if (!client || !client.enabled) throw new BrokerError('expired', 'the application is gone or disabled');
  return { client, authorization: parked.request };
}

function showLink(
  s: BrokerPageDeps, request: FastifyRequest, reply: FastifyReply, realm: Realm, provider: IdentityProvider, pending: PendingLink, username: string, error?: string, status = 200,
): FastifyReply {
  return sendPage(reply, linkAccountPage({
    realm: realmView(s, request, realm), provider: provider.display_name, email: pending.account.email ?? '', username, error,
    action: endpointUrl(s.config, realm, uiEndpoints.broker_link, { alias: provider.alias }),
    fields: { csrf: csrfToken(s, request, reply, realm.name, { interaction: pending.interaction }), interaction: pending.interaction },
  }), status);
}

const pageTexts: Record<BrokerFailure, 'unavailableText' | 'upstreamErrorText' | 'invalidText' | 'expiredText'> = {
  unavailable: 'unavailableText', upstream_error: 'upstreamErrorText', token_refused: 'invalidText', invalid_id_token: 'invalidText',
  state_mismatch: 'expiredText', expired: 'expiredText',
};

/** Every failure ends on a page that says what happened in plain words, with an audit event; nothing is created. */
async function failed(
  s: BrokerPageDeps, request: FastifyRequest, reply: FastifyReply, realm: Realm, provider: IdentityProvider, error: unknown,
): Promise<FastifyReply> {
  if (!(error instanceof BrokerError)) throw error;
  request.log.warn({ event: 'identity_provider_error', realm: realm.name, provider: provider.alias, reason: error.reason, detail: error.message }, 'sign-in through a provider failed');
  await recordEvent(s, { realm, type: 'identity_provider_error', ip: request.ip, details: { identity_provider: provider.alias, reason: error.reason, detail: error.message } });
  const t = getBrokerMessages(realmView(s, request, realm));
  const v = { provider: provider.display_name };
  return notice(s, request, reply, realm, format(t.errorTitle, v), format(t[pageTexts[error.reason]], v), error.reason === 'unavailable' ? 502 : 400);
}

function notice(s: BrokerPageDeps, request: FastifyRequest, reply: FastifyReply, realm: Realm, title: string, text: string, status: number): FastifyReply {
  return sendPage(reply, noticePage({ realm: realmView(s, request, realm), title, text }), status);
}
