// The device verification page (RFC 8628 §3.3): the user types the code their device shows (or
// arrives with it in verification_uri_complete and confirms it), signs in through the usual sign-in
// form, sees which client asks for what (§5.4: always, so a code sent by a stranger is noticed),
// and allows or denies. Code entries are rate-limited per address (src/security/rate-limits.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { csrfToken, csrfValid } from '../http/cookies.js';
import { endpointUrl, route } from '../http/endpoint.js';
import { PageError } from '../http/errors.js';
import { singleParams, type Params } from '../http/params.js';
import { requiredAcr, satisfies } from '../identity/mfa.js';
import { currentSession, type ActiveSession, type SsoDeps } from '../identity/sso.js';
import { oauthEndpoints } from '../oauth/endpoints.js';
import { grantExpiry } from '../tokens/mint.js';
import { normalizeUserCode, userCodeHash } from '../authorization/user-code.js';
import type { Needs } from '../services.js';
import type { Client } from '../store/clients.js';
import type { Realm } from '../store/realms.js';
import { park, type DecisionDeps } from '../authorization/decision.js';
import { uiEndpoints } from './endpoints.js';
import { getMessages } from '../i18n/messages.js';
import { consentPage, deviceCodePage, deviceResultPage, loginPage } from './pages.js';
import { describeScope } from './page-renderer.js';
import { realmView, sendPage } from './render.js';
import { showSecondFactor, type SecondFactorDeps } from './second-factor.js';

/** What this module uses (services.ts `Needs`). */
export type DeviceVerificationDeps = Needs<'clock' | 'config' | 'sealer', 'clients' | 'deviceCodes' | 'grants' | 'sessions'>
  & DecisionDeps & SsoDeps & SecondFactorDeps;

/** A device authorization parked while the user signs in and answers; names its code by hash only. */
export interface DeviceAuthorization { kind: 'device'; clientId: string; scope: string[]; userCodeHash: string }

export function isDeviceAuthorization(request: unknown): request is DeviceAuthorization {
  return (request as { kind?: unknown }).kind === 'device';
}

const clientName = (client: Client) => client.metadata.client_name ?? client.clientId;

function showCodeForm(s: DeviceVerificationDeps, request: FastifyRequest, reply: FastifyReply, realm: Realm, userCode?: string, error?: string): FastifyReply {
  const html = deviceCodePage({
    realm: realmView(s, request, realm),
    action: endpointUrl(s.config, realm, oauthEndpoints.verification_uri),
    csrf: csrfToken(s, request, reply, realm.name, 'browser'),
    userCode, error,
  });
  return sendPage(reply, html, error ? 400 : 200);
}

export function showDeviceLogin(
  s: DeviceVerificationDeps, request: FastifyRequest, reply: FastifyReply, realm: Realm, client: Client, interaction: string,
  error?: string, username?: string, status = 200,
): FastifyReply {
  const html = loginPage({
    realm: realmView(s, request, realm),
    action: endpointUrl(s.config, realm, uiEndpoints.login_authenticate),
    csrf: csrfToken(s, request, reply, realm.name, { interaction }),
    interaction, clientName: clientName(client), username, error,
  });
  return sendPage(reply, html, status);
}

/** The authorization request behind an interaction, or undefined for a device's (which has no acr request or locales). */
export const browserRequest = <T extends object>(request: T | DeviceAuthorization): T | undefined => (isDeviceAuthorization(request) ? undefined : request);

/**
 * A signed-in user answering a device: first the second factor the user or policy needs (a device
 * must not be a way around it), then the consent page.
 */
export async function continueDevice(
  s: DeviceVerificationDeps, request: FastifyRequest, reply: FastifyReply, realm: Realm, client: Client,
  device: DeviceAuthorization, active: ActiveSession, interaction: string,
): Promise<FastifyReply> {
  const required = await requiredAcr(s, realm, client, undefined, active.user);
  if (!satisfies(active.session, required)) return showSecondFactor(s, request, reply, realm, undefined, active, interaction, required);
  return showDeviceConsent(s, request, reply, realm, client, device, active, interaction);
}

export function showDeviceConsent(
  s: DeviceVerificationDeps, request: FastifyRequest, reply: FastifyReply, realm: Realm, client: Client,
  device: DeviceAuthorization, active: ActiveSession, interaction: string,
): FastifyReply {
  const view = realmView(s, request, realm);
  const t = getMessages(view);
  const html = consentPage({
    realm: view,
    action: endpointUrl(s.config, realm, uiEndpoints.login_consent),
    csrf: csrfToken(s, request, reply, realm.name, { interaction }),
    interaction, clientName: clientName(client), username: active.user.username,
    scopes: device.scope.map((name) => ({ name, description: describeScope(realm, name, t) })),
    note: t.deviceConsentNote,
  });
  return sendPage(reply, html);
}

/**
 * The user's answer. Allowing makes the grant the device's tokens come from, bound to this SSO
 * session (so signing out revokes it); the code takes one answer only.
 */
export async function answerDevice(
  s: DeviceVerificationDeps, request: FastifyRequest, reply: FastifyReply, realm: Realm, client: Client,
  device: DeviceAuthorization, active: ActiveSession, allow: boolean,
): Promise<FastifyReply> {
  const now = s.clock.now();
  const view = realmView(s, request, realm);
  if (!allow) {
    const answered = await s.store.deviceCodes.answer(device.userCodeHash, { status: 'denied' }, now);
    return sendPage(reply, deviceResultPage({ realm: view, outcome: answered ? 'denied' : 'expired' }));
  }
  const offline = device.scope.includes('offline_access');
  const grant = await s.store.grants.create({
    realm: realm.name, clientId: client.clientId, userId: active.user.id, sessionId: active.session.id, scope: device.scope.join(' '),
    authTime: active.session.authTime, amr: active.session.amr, acr: active.session.acr, nonce: null, claims: null, ...(active.session.idp ? { idp: active.session.idp } : {}),
    offline, expiresAt: grantExpiry(realm, client, offline, now),
  }, now);
  if (!(await s.store.deviceCodes.answer(device.userCodeHash, { status: 'approved', grantId: grant.id }, now))) {
    await s.store.grants.revoke(grant.id, now);
    return sendPage(reply, deviceResultPage({ realm: view, outcome: 'expired' }));
  }
  request.log.info({ realm: realm.name, clientId: client.clientId, userId: active.user.id, event: 'device_approved' }, 'device authorized');
  return sendPage(reply, deviceResultPage({ realm: view, outcome: 'approved' }));
}

function formParams(source: unknown): Params {
  try {
    return singleParams(source);
  } catch (error) {
    throw new PageError('Invalid request', (error as Error).message);
  }
}

export function deviceVerificationRoutes(app: FastifyInstance, s: DeviceVerificationDeps): void {
  // verification_uri_complete only fills the form in: the user still confirms the code (§3.3.1).
  const show: RouteHandlerMethod = async (request, reply) => {
    const userCode = formParams(request.query).user_code;
    return showCodeForm(s, request, reply, request.realm!, userCode?.slice(0, 20));
  };

  const enter: RouteHandlerMethod = async (request, reply) => {
    const realm = request.realm!;
    const params = formParams(request.body);
    const t = getMessages(realmView(s, request, realm));
    if (!csrfValid(s, request, realm.name, params.csrf, 'browser')) throw new PageError('Page expired', t.formExpired, 403);
    const typed = (params.user_code ?? '').slice(0, 20);
    const normalized = normalizeUserCode(typed);
    const now = s.clock.now();
    const hash = normalized === undefined ? undefined : userCodeHash(s.sealer, normalized);
    const code = hash === undefined ? undefined : await s.store.deviceCodes.findPendingByUserCode(realm.name, hash, now);
    const client = code && await s.store.clients.get(realm.name, code.clientId);
    if (!code || !client?.enabled || hash === undefined) {
      request.log.info({ realm: realm.name, event: 'device_code_rejected', ip: request.ip }, 'unknown or expired user code entered');
      return showCodeForm(s, request, reply, realm, typed, t.deviceInvalidCode);
    }
    const device: DeviceAuthorization = { kind: 'device', clientId: client.clientId, scope: code.scope.split(' ').filter(Boolean), userCodeHash: hash };
    const active = await currentSession(s, request, realm);
    const interaction = await park(s, realm, client.clientId, device, active?.session.id ?? null);
    if (active) return continueDevice(s, request, reply, realm, client, device, active, interaction);
    return showDeviceLogin(s, request, reply, realm, client, interaction);
  };

  route(app, oauthEndpoints.verification_uri, { GET: show, POST: enter });
}
