// Sign-in through an upstream OpenID Connect provider (docs/identity-providers.md): discovery, the
// code flow with PKCE, state and nonce, the ID token verified (signature by the upstream's JWKS,
// iss, aud, azp, exp, nonce, at_hash), and the account found, created just in time or — only with
// the provider's verified address, and only once the existing user proves it is them unless the
// admin trusts the provider's addresses — linked to an existing user. Every request to the upstream
// goes through the outbound module (address guard, timeouts, size caps).
import { createHash, createPrivateKey, randomUUID, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { httpsOrLoopback, keySetFetch, OutboundError, type Outbound } from '../http/outbound.js';
import { recordEvent } from '../security/audit.js';
import { signJwt } from '../tokens/jws.js';
import { randomToken, sha256 } from '../runtime.js';
import type { Needs } from '../services.js';
import { entraMultiTenant } from '../realms/identity-providers.js';
import type { IdentityProvider, Realm } from '../store/realms.js';
import type { User, UserClaims } from '../store/users.js';
import type { RequiredAction } from './required-actions.js';

export type BrokeringDeps = Needs<'clock' | 'outbound' | 'audit' | 'keystore' | 'sealer', 'users' | 'userIdentities' | 'roles' | 'groups'>;

/** Why a sign-in through a provider stopped; the page says so in plain words, the audit event in this word. */
export type BrokerFailure = 'unavailable' | 'upstream_error' | 'token_refused' | 'invalid_id_token' | 'state_mismatch' | 'expired';

export class BrokerError extends Error {
  constructor(readonly reason: BrokerFailure, message: string) {
    super(message);
    this.name = 'BrokerError';
  }
}

interface UpstreamMetadata {
  issuer: string; authorization_endpoint: string; token_endpoint: string; jwks_uri: string;
  userinfo_endpoint?: string; id_token_signing_alg_values_supported?: string[];
  /** RP-Initiated Logout 1.0 §2.1: where a sign-out at Strix also signs the user out at the provider. */
  end_session_endpoint?: string;
}

/** What the provider's token endpoint gave: kept only where the provider has store_tokens, and only sealed. */
export interface UpstreamTokens {
  access_token?: string; token_type?: string; id_token?: string; refresh_token?: string; scope?: string;
  /** When the access token expires (ms), where the provider said (expires_in). */
  expires_at?: number;
}

/** What the browser carries between leaving for the provider and coming back (sealed in a cookie). */
export interface BrokerState {
  kind: 'broker'; realm: string; alias: string; state: string; nonce: string; verifier: string; expiresAt: number;
  /** A sign-in continues this parked request; a link from the account page names the session and user instead. */
  interaction: string; linkFor?: { sessionId: string; userId: string };
}

/** The account at the provider, from its verified ID token (and userinfo where the token lacks the address). */
export interface UpstreamAccount {
  provider: string; subject: string; email?: string; emailVerified: boolean; claims: UserClaims; amr: string[];
  /** The provider's session (its ID token's sid, OIDC Back-Channel Logout §2.1), if it said. */
  sid?: string;
  /** The provider's tokens, for a logout at the provider (the ID token as its hint) and store_tokens. Never logged. */
  tokens?: UpstreamTokens;
  /** What the provider's claim mappers made of its claims: attributes to set, roles to grant, mapped roles its claims no longer grant. */
  mapped: { attributes: Record<string, string>; roles: string[]; notRoles: string[]; groups: string[]; notGroups: string[] };
}

const timeoutMs = 5_000;
const maxBytes = 256 * 1024;
const metadataTtlMs = 60 * 60_000;
const stateLifetimeMs = 10 * 60_000;
/** Asymmetric algorithms only: a symmetric one would make the client secret a signing key. */
const algorithms = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
/** The claims an upstream ID token or userinfo may give a new or synced user. */
const copiedClaims = ['name', 'given_name', 'family_name', 'middle_name', 'nickname', 'preferred_username', 'locale', 'zoneinfo', 'picture', 'website'];

const metadataCache = new Map<string, { metadata: UpstreamMetadata; fetchedAt: number }>();
const keySets = new Map<string, JWTVerifyGetKey>();

/** The client secret toward the provider, read from the server's environment now. */
function clientSecret(provider: IdentityProvider): string | undefined {
  return provider.client_secret ? process.env[provider.client_secret.env] : undefined;
}

async function getJson(outbound: Outbound, url: string, purpose: string, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const response = await outbound.request(url, { purpose, timeoutMs, maxBytes, headers: { accept: 'application/json', ...headers } });
  if (response.status !== 200) throw new BrokerError('unavailable', `${purpose} answered ${response.status}`);
  try {
    const body = JSON.parse(response.text()) as unknown;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('not an object');
    return body as Record<string, unknown>;
  } catch {
    throw new BrokerError('unavailable', `${purpose} did not answer a JSON object`);
  }
}

/** The provider's discovery document (OIDC Discovery 1.0), cached for an hour; its issuer must be the configured one (§4.3). */
export async function upstreamMetadata(s: Needs<'clock' | 'outbound'>, provider: IdentityProvider): Promise<UpstreamMetadata> {
  if (provider.type === 'oauth2') {
    // Not OpenID Connect: no discovery, no keys; the endpoints are configured (or come from a preset).
    return { issuer: '', authorization_endpoint: provider.authorization_endpoint!, token_endpoint: provider.token_endpoint!, jwks_uri: '', userinfo_endpoint: provider.user_endpoint };
  }
  const cached = metadataCache.get(provider.issuer);
  if (cached && s.clock.now() - cached.fetchedAt < metadataTtlMs) return cached.metadata;
  const body = await guarded(() => getJson(s.outbound, `${provider.issuer}/.well-known/openid-configuration`, 'identity_provider_discovery'));
  if (body.issuer !== provider.issuer && !isTenantTemplate(provider, body.issuer)) throw new BrokerError('unavailable', 'the discovery document names another issuer');
  for (const name of ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const) {
    if (!isEndpoint(body[name])) throw new BrokerError('unavailable', `the discovery document has no usable ${name}`);
  }
  if (body.userinfo_endpoint !== undefined && !isEndpoint(body.userinfo_endpoint)) throw new BrokerError('unavailable', 'the discovery document has an unusable userinfo_endpoint');
  if (body.end_session_endpoint !== undefined && !isEndpoint(body.end_session_endpoint)) delete body.end_session_endpoint;
  const metadata = body as unknown as UpstreamMetadata;
  metadataCache.set(provider.issuer, { metadata, fetchedAt: s.clock.now() });
  return metadata;
}

/**
 * A multi-tenant Entra app's discovery document names `https://login.microsoftonline.com/{tenantid}/v2.0`:
 * each ID token's `iss` carries the user's own tenant, the one its `tid` names.
 */
function isTenantTemplate(provider: IdentityProvider, issuer: unknown): boolean {
  return provider.preset === 'entra' && provider.tenant !== undefined && entraMultiTenant.includes(provider.tenant)
    && typeof issuer === 'string' && issuer.includes('{tenantid}') && issuer.replace('{tenantid}', provider.tenant) === provider.issuer;
}

const tenantIdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The issuer a token must name (OIDC Core §3.1.3.7 item 2), and the subject it signs in: with a
 * tenant-templated issuer, the token's own tenant (`tid`) makes both — the issuer with that tenant,
 * which must be one the provider allows, and a subject prefixed with it, since (iss, sub) is the account.
 */
function issuerAndSubject(provider: IdentityProvider, metadata: UpstreamMetadata, payload: JWTPayload): { subject: string } {
  if (!metadata.issuer.includes('{tenantid}')) return { subject: String(payload.sub) };
  const tid = payload.tid;
  if (typeof tid !== 'string' || !tenantIdPattern.test(tid)) throw new BrokerError('invalid_id_token', 'the token has no tenant (tid)');
  if (payload.iss !== metadata.issuer.replace('{tenantid}', tid)) throw new BrokerError('invalid_id_token', 'the token\'s issuer is not its tenant\'s');
  if (provider.allowed_tenants?.length && !provider.allowed_tenants.includes(tid)) throw new BrokerError('invalid_id_token', 'the user\'s tenant is not one this provider allows');
  return { subject: `${tid}/${String(payload.sub)}` };
}

function isEndpoint(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    return httpsOrLoopback(new URL(value));
  } catch {
    return false;
  }
}

/** Outbound failures (refused address, timeout, too large, unreachable) are the provider being unavailable. */
async function guarded<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof OutboundError) throw new BrokerError('unavailable', `the provider could not be reached (${error.reason})`);
    throw error;
  }
}

/** Where to send the browser, and what it must bring back: state, nonce and the PKCE verifier. */
export async function startUpstream(
  s: Needs<'clock' | 'outbound'>, realm: Realm, provider: IdentityProvider,
  o: { interaction: string; redirectUri: string; loginHint?: string; linkFor?: BrokerState['linkFor'] },
): Promise<{ location: string; state: BrokerState }> {
  const metadata = await upstreamMetadata(s, provider);
  const state: BrokerState = {
    kind: 'broker', realm: realm.name, alias: provider.alias, interaction: o.interaction, ...(o.linkFor ? { linkFor: o.linkFor } : {}),
    state: randomToken(), nonce: randomToken(), verifier: randomToken(), expiresAt: s.clock.now() + stateLifetimeMs,
  };
  const url = new URL(metadata.authorization_endpoint);
  const params: Record<string, string> = {
    response_type: 'code', client_id: provider.client_id, redirect_uri: o.redirectUri, scope: provider.scopes,
    state: state.state, ...(provider.type === 'oidc' ? { nonce: state.nonce } : {}), code_challenge: sha256(state.verifier), code_challenge_method: 'S256',
    ...(o.loginHint ? { login_hint: o.loginHint } : {}),
    // Apple answers with a form POST when it is asked for the user's name or address.
    ...(answersWithFormPost(provider) ? { response_mode: 'form_post' } : {}),
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return { location: url.href, state };
}

/**
 * How Strix authenticates as the provider's client (RFC 6749 §2.3.1, RFC 7523 §2.2): the secret in
 * Basic or in the form, or a client assertion signed with the realm's current key, which the provider
 * checks against the realm's JWKS. The assertion's audience is the provider's issuer (its token
 * endpoint for an OAuth 2.0 provider, which has none): the single value that cannot be confused with
 * another server's endpoint.
 */
async function authenticateClient(
  s: Needs<'clock' | 'keystore'>, realm: string, provider: IdentityProvider, metadata: UpstreamMetadata, form: Record<string, string>, headers: Record<string, string>,
): Promise<void> {
  if (provider.token_endpoint_auth_method === 'private_key_jwt') {
    const alg = provider.token_endpoint_auth_signing_alg ?? 'RS256';
    const key = await s.keystore.signingKey(realm, alg);
    const now = Math.floor(s.clock.now() / 1000);
    form.client_id = provider.client_id;
    form.client_assertion_type = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
    form.client_assertion = await signJwt({
      iss: provider.client_id, sub: provider.client_id, aud: metadata.issuer || metadata.token_endpoint, jti: randomUUID(), iat: now, exp: now + 60,
    }, { alg, kid: key.kid, typ: 'JWT' }, key.key);
    return;
  }
  const secret = provider.apple ? await appleClientSecret(s, provider) : clientSecret(provider);
  if (provider.token_endpoint_auth_method === 'client_secret_basic' && secret !== undefined) {
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(provider.client_id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  } else {
    form.client_id = provider.client_id;
    if (secret !== undefined) form.client_secret = secret;
  }
}

/** Whether the provider sends the browser back with a form POST (OAuth 2.0 Form Post Response Mode) rather than a query. */
export function answersWithFormPost(provider: IdentityProvider): boolean {
  return provider.preset === 'apple';
}

/**
 * Sign in with Apple's client secret: a JWT signed (ES256) with the team's key, `iss` the team,
 * `sub` the client (Services ID), `aud` Apple's issuer, valid five minutes — made for each exchange.
 */
async function appleClientSecret(s: Needs<'clock'>, provider: IdentityProvider): Promise<string> {
  const { team_id: teamId, key_id: keyId, private_key: { env } } = provider.apple!;
  let key: KeyObject;
  try {
    key = createPrivateKey(process.env[env] ?? '');
  } catch {
    throw new BrokerError('unavailable', `the environment variable ${env} holds no usable private key`);
  }
  const now = Math.floor(s.clock.now() / 1000);
  return signJwt({ iss: teamId, sub: provider.client_id, aud: provider.issuer, iat: now, exp: now + 300 }, { alg: 'ES256', kid: keyId, typ: 'JWT' }, key);
}

/** The code the provider sent back, exchanged and its ID token verified: the account at the provider. */
export async function finishUpstream(
  s: Needs<'clock' | 'outbound' | 'keystore'>, provider: IdentityProvider, state: BrokerState, code: string, redirectUri: string, appleUser?: string,
): Promise<UpstreamAccount> {
  const metadata = await upstreamMetadata(s, provider);
  const form: Record<string, string> = { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: state.verifier };
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  await authenticateClient(s, state.realm, provider, metadata, form, headers);
  const response = await guarded(() => s.outbound.request(metadata.token_endpoint, {
    purpose: 'identity_provider_token', method: 'POST', headers, body: new URLSearchParams(form).toString(), timeoutMs, maxBytes,
  }));
  let tokens: Record<string, unknown>;
  try {
    tokens = JSON.parse(response.text()) as Record<string, unknown>;
  } catch {
    throw new BrokerError('token_refused', `the token endpoint answered ${response.status} without JSON`);
  }
  if (response.status !== 200 || typeof tokens.error === 'string' || (provider.type === 'oidc' ? typeof tokens.id_token !== 'string' : typeof tokens.access_token !== 'string')) {
    throw new BrokerError('token_refused', `the token endpoint answered ${response.status}${typeof tokens.error === 'string' ? ` (${tokens.error.slice(0, 64)})` : ''}`);
  }
  const kept = upstreamTokens(s, tokens);
  if (provider.type === 'oauth2') return { ...(await oauth2Account(s, provider, tokens.access_token as string)), tokens: kept };
  const claims = await verifyIdToken(s, metadata, provider, tokens.id_token as string, state.nonce, typeof tokens.access_token === 'string' ? tokens.access_token : undefined);
  let profile: Record<string, unknown> = claims;
  if (typeof claims.email !== 'string' && metadata.userinfo_endpoint && typeof tokens.access_token === 'string') {
    const accessToken = tokens.access_token;
    const info = await guarded(() => getJson(s.outbound, metadata.userinfo_endpoint!, 'identity_provider_userinfo', { authorization: `Bearer ${accessToken}` }));
    // OIDC Core §5.3.2: the userinfo sub must be the ID token's, or the answer is not used.
    if (info.sub === claims.sub) profile = { ...info, ...claims };
  }
  if (provider.apple && appleUser !== undefined) profile = { ...appleNames(appleUser), ...profile };
  const account = { ...accountOf(provider, claims.sub!, profile, claims.amr), tokens: kept };
  return typeof claims.sid === 'string' && claims.sid.length <= 255 ? { ...account, sid: claims.sid } : account;
}

/**
 * The name Apple gives only at a user's first sign-in, in the form's `user` field (JSON, not signed:
 * it fills in names only, never the address, which comes from the signed ID token).
 */
function appleNames(user: string): Record<string, string> {
  try {
    const name = (JSON.parse(user) as { name?: { firstName?: unknown; lastName?: unknown } }).name;
    const part = (value: unknown) => (typeof value === 'string' && value.length <= 256 ? value : undefined);
    const given = part(name?.firstName);
    const family = part(name?.lastName);
    return {
      ...(given ? { given_name: given } : {}), ...(family ? { family_name: family } : {}),
      ...(given || family ? { name: [given, family].filter(Boolean).join(' ') } : {}),
    };
  } catch {
    return {};
  }
}

/** The token response's fields worth keeping, each a bounded string. */
function upstreamTokens(s: Needs<'clock'>, response: Record<string, unknown>): UpstreamTokens | undefined {
  const field = (name: string): string | undefined => {
    const value = response[name];
    return typeof value === 'string' && value !== '' && value.length <= 16_384 ? value : undefined;
  };
  const tokens: UpstreamTokens = {};
  for (const name of ['access_token', 'token_type', 'id_token', 'refresh_token', 'scope'] as const) {
    const value = field(name);
    if (value !== undefined) tokens[name] = value;
  }
  if (tokens.access_token === undefined && tokens.id_token === undefined) return undefined;
  const expiresIn = response.expires_in;
  if (typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0) tokens.expires_at = s.clock.now() + Math.floor(expiresIn) * 1000;
  return tokens;
}

/**
 * An OAuth 2.0 provider's user, read from its API with the access token (GitHub's shapes: `id`,
 * `login`, `name`, `avatar_url`, and the addresses with `primary` and `verified` from the emails
 * endpoint). Only an address the provider says is verified counts as verified.
 */
async function oauth2Account(s: Needs<'outbound'>, provider: IdentityProvider, accessToken: string): Promise<UpstreamAccount> {
  const headers = { authorization: `Bearer ${accessToken}`, accept: 'application/json', 'user-agent': 'Strix' };
  const user = await guarded(() => getJson(s.outbound, provider.user_endpoint!, 'identity_provider_user', headers));
  const id = typeof user.id === 'number' || typeof user.id === 'string' ? String(user.id) : '';
  if (id === '' || id.length > 255) throw new BrokerError('invalid_id_token', 'the provider\'s user has no id');
  let email: string | undefined;
  let verified = false;
  if (provider.emails_endpoint) {
    const response = await guarded(() => s.outbound.request(provider.emails_endpoint!, { purpose: 'identity_provider_emails', headers, timeoutMs, maxBytes }));
    let list: unknown;
    try {
      list = response.status === 200 ? JSON.parse(response.text()) : undefined;
    } catch {
      list = undefined;
    }
    const addresses = Array.isArray(list) ? list.filter((e): e is { email: string; primary?: boolean; verified?: boolean } => typeof e?.email === 'string') : [];
    const chosen = addresses.find((e) => e.primary === true && e.verified === true) ?? addresses.find((e) => e.verified === true);
    if (chosen) { email = chosen.email; verified = true; }
  }
  const profile: Record<string, unknown> = {
    preferred_username: user.login, name: user.name, picture: user.avatar_url,
    email: email ?? user.email, email_verified: verified,
  };
  return accountOf(provider, id, profile, undefined);
}

async function verifyIdToken(
  s: Needs<'outbound'>, metadata: UpstreamMetadata, provider: IdentityProvider, idToken: string, nonce: string, accessToken: string | undefined,
): Promise<JWTPayload> {
  try {
    const { payload, protectedHeader } = await jwtVerify(idToken, keySetOf(s.outbound, metadata.jwks_uri), {
      ...issuerOption(metadata), audience: provider.client_id, algorithms, clockTolerance: 60, requiredClaims: ['sub', 'exp', 'iat'],
    });
    if (payload.nonce !== nonce) throw new BrokerError('invalid_id_token', 'the ID token has another nonce');
    // OIDC Core §3.1.3.7 items 4–5: with several audiences, azp must be this client.
    if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== provider.client_id) throw new BrokerError('invalid_id_token', 'the ID token was issued to another party');
    if (typeof payload.at_hash === 'string' && accessToken !== undefined && payload.at_hash !== leftHalfHash(protectedHeader.alg, accessToken)) {
      throw new BrokerError('invalid_id_token', 'the ID token at_hash does not match the access token');
    }
    if (typeof payload.sub !== 'string' || payload.sub === '' || payload.sub.length > 200) throw new BrokerError('invalid_id_token', 'the ID token has no usable sub');
    return { ...payload, sub: issuerAndSubject(provider, metadata, payload).subject };
  } catch (error) {
    if (error instanceof BrokerError) throw error;
    if (error instanceof OutboundError) throw new BrokerError('unavailable', `the provider's keys could not be fetched (${error.reason})`);
    throw new BrokerError('invalid_id_token', `the ID token was refused (${(error as errors.JOSEError).code ?? 'invalid'})`);
  }
}

/** jose checks the issuer unless it is a tenant template, which issuerAndSubject checks against the token's tenant. */
function issuerOption(metadata: UpstreamMetadata): { issuer?: string } {
  return metadata.issuer.includes('{tenantid}') ? {} : { issuer: metadata.issuer };
}

/** OIDC Core §3.1.3.6: base64url of the left half of the hash the signature's algorithm uses. */
function leftHalfHash(alg: string, value: string): string {
  const bits = alg === 'EdDSA' ? 512 : Number(alg.slice(-3));
  const digest = createHash(`sha${bits}`).update(value, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

function keySetOf(outbound: Outbound, jwksUri: string): JWTVerifyGetKey {
  let keySet = keySets.get(jwksUri);
  if (!keySet) {
    keySet = createRemoteJWKSet(new URL(jwksUri), {
      timeoutDuration: timeoutMs, cacheMaxAge: 10 * 60_000, cooldownDuration: 30_000, [customFetch]: keySetFetch(outbound, { purpose: 'identity_provider_jwks', timeoutMs, maxBytes }),
    });
    keySets.set(jwksUri, keySet);
  }
  return keySet;
}

function accountOf(provider: IdentityProvider, subject: string, profile: Record<string, unknown>, amr: unknown): UpstreamAccount {
  const claims: UserClaims = {};
  for (const name of copiedClaims) {
    const value = profile[name];
    if (typeof value === 'string' && value.length <= 512) claims[name] = value;
  }
  const email = typeof profile.email === 'string' && profile.email.length <= 254 && profile.email.includes('@') ? profile.email : undefined;
  return {
    // Apple (and a few others) send email_verified as the string "true".
    provider: provider.alias, subject, email, emailVerified: email !== undefined && (profile.email_verified === true || profile.email_verified === 'true'), claims, mapped: mapClaims(provider, profile),
    amr: Array.isArray(amr) && amr.every((v) => typeof v === 'string') && amr.length > 0 ? (amr as string[]).slice(0, 8) : ['fed'],
  };
}

/** The provider's claim mappers applied to its claims (a list claim grants a role when it holds the value). */
function mapClaims(provider: IdentityProvider, profile: Record<string, unknown>): UpstreamAccount['mapped'] {
  const mapped: UpstreamAccount['mapped'] = { attributes: {}, roles: [], notRoles: [], groups: [], notGroups: [] };
  for (const mapper of provider.claim_mappers) {
    if (mapper.type === 'fixed_role') {
      mapped.roles.push(mapper.role);
      continue;
    }
    const value = profile[mapper.claim];
    if (mapper.type === 'claim_to_attribute') {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') mapped.attributes[mapper.attribute] = String(value).slice(0, 512);
      continue;
    }
    const holds = Array.isArray(value) ? value.includes(mapper.value) : value === mapper.value;
    if (mapper.type === 'claim_to_group') (holds ? mapped.groups : mapped.notGroups).push(mapper.group);
    else (holds ? mapped.roles : mapped.notRoles).push(mapper.role);
  }
  mapped.notGroups = mapped.notGroups.filter((group) => !mapped.groups.includes(group));
  mapped.notRoles = mapped.notRoles.filter((role) => !mapped.roles.includes(role));
  return mapped;
}

/** Sets the mapped attributes and roles on the user (roles the realm defines only); a mapped role the claims no longer grant is taken away. */
async function applyMapped(s: BrokeringDeps, realm: Realm, user: User, account: UpstreamAccount): Promise<void> {
  const { attributes, roles, notRoles, groups, notGroups } = account.mapped;
  if (Object.keys(attributes).length > 0) await s.store.users.updateProfile(user.id, user.email, { ...user.claims, ...attributes }, s.clock.now());
  // Groups the realm has, by path: the claims make the user a member, or (at a sync) no longer.
  for (const path of groups) {
    const group = await groupByPath(s, realm, path);
    if (group) await s.store.groups.addMember(group.id, user.id);
  }
  for (const path of notGroups) {
    const group = await groupByPath(s, realm, path);
    if (group) await s.store.groups.removeMember(group.id, user.id);
  }
  if (roles.length === 0 && notRoles.length === 0) return;
  const defined = new Set(await s.store.roles.list(realm.name));
  const next = [...new Set([...user.assignedRoles, ...roles.filter((role) => defined.has(role))])].filter((role) => !notRoles.includes(role));
  if (next.length !== user.assignedRoles.length || next.some((role) => !user.assignedRoles.includes(role))) await s.store.users.setRoles(user.id, next);
}

async function groupByPath(s: BrokeringDeps, realm: Realm, path: string): Promise<{ id: string } | undefined> {
  let parent: string | null = null;
  let found: { id: string } | undefined;
  for (const name of path.split('/').slice(1)) {
    found = (await s.store.groups.children(realm.name, parent, 0, 1000)).find((g) => g.name === name);
    if (!found) return undefined;
    parent = found.id;
  }
  return found;
}

/** What the account at the provider means here. */
export type Resolution =
  | { kind: 'user'; user: User; created: boolean }
  | { kind: 'link'; existing: User }
  | { kind: 'refused'; reason: 'account_exists' | 'disabled' };

/**
 * The user an upstream account signs in: the one it is linked to; else a new user (just in time);
 * else, when a user already has the address, a link — only with the provider's verified address,
 * where the provider's `link` is `verified_email`, and (unless `trust_email`) once that user has
 * proved it is them (`kind: 'link'`). Never silently by address alone.
 */
export async function resolveAccount(s: BrokeringDeps, realm: Realm, provider: IdentityProvider, account: UpstreamAccount, ip: string): Promise<Resolution> {
  const now = s.clock.now();
  const linked = await s.store.userIdentities.find(realm.name, provider.alias, account.subject);
  if (linked) {
    const user = await s.store.users.findById(linked.userId);
    if (!user || !user.enabled) return { kind: 'refused', reason: 'disabled' };
    await keepTokens(s, provider, user.id, account);
    if (provider.sync === 'on_every_login') {
      await s.store.users.updateProfile(user.id, user.email, { ...user.claims, ...account.claims }, now);
      await applyMapped(s, realm, (await s.store.users.findById(user.id))!, account);
      return { kind: 'user', user: (await s.store.users.findById(user.id))!, created: false };
    }
    return { kind: 'user', user, created: false };
  }
  const existing = account.email ? await s.store.users.findByEmail(realm.name, account.email) : undefined;
  if (existing) {
    if (provider.link !== 'verified_email' || !account.emailVerified) return { kind: 'refused', reason: 'account_exists' };
    if (!existing.enabled) return { kind: 'refused', reason: 'disabled' };
    if (!provider.trust_email) return { kind: 'link', existing };
    await linkAccount(s, realm, provider, account, existing, ip);
    return { kind: 'user', user: (await s.store.users.findById(existing.id))!, created: false };
  }
  const user = await createUser(s, realm, provider, account, now);
  await s.store.userIdentities.link({ realm: realm.name, provider: provider.alias, subject: account.subject, userId: user.id, email: account.email ?? null }, now);
  await keepTokens(s, provider, user.id, account);
  await applyMapped(s, realm, user, account);
  await recordEvent(s, { realm, type: 'user_registered', userId: user.id, ip, details: { username: user.username, identity_provider: provider.alias } });
  return { kind: 'user', user: (await s.store.users.findById(user.id))!, created: true };
}

/** Links the upstream account to `user` (who proved it is them, or whose address the admin trusts the provider for). */
export async function linkAccount(s: BrokeringDeps, realm: Realm, provider: IdentityProvider, account: UpstreamAccount, user: User, ip: string): Promise<void> {
  await s.store.userIdentities.link({ realm: realm.name, provider: provider.alias, subject: account.subject, userId: user.id, email: account.email ?? null }, s.clock.now());
  await keepTokens(s, provider, user.id, account);
  await applyMapped(s, realm, user, account);
  await recordEvent(s, { realm, type: 'identity_provider_linked', userId: user.id, ip, details: { username: user.username, identity_provider: provider.alias } });
}

/** A provider with store_tokens keeps its latest tokens on the user's link, sealed with the master key; others keep none. */
async function keepTokens(s: BrokeringDeps, provider: IdentityProvider, userId: string, account: UpstreamAccount): Promise<void> {
  if (provider.store_tokens && account.tokens) await s.store.userIdentities.setTokens(userId, provider.alias, s.sealer.seal(JSON.stringify(account.tokens)));
}

/** The tokens kept for the user's link with the provider (store_tokens), if any. */
export async function storedTokens(s: Needs<'sealer', 'userIdentities'>, provider: IdentityProvider, userId: string): Promise<UpstreamTokens | undefined> {
  if (!provider.store_tokens) return undefined;
  const sealed = await s.store.userIdentities.tokens(userId, provider.alias);
  return sealed === undefined ? undefined : JSON.parse(s.sealer.open(sealed)) as UpstreamTokens;
}

const usernamePattern = /^[a-z0-9._@+-]{1,64}$/;

/** A new user for the upstream account: its preferred username or address when free and valid, else one made from the provider's name. */
async function createUser(s: BrokeringDeps, realm: Realm, provider: IdentityProvider, account: UpstreamAccount, now: number): Promise<User> {
  const wanted = [account.claims.preferred_username, account.email].filter((v): v is string => typeof v === 'string').map((v) => v.toLowerCase());
  let username: string | undefined;
  for (const candidate of wanted) {
    if (usernamePattern.test(candidate) && !(await s.store.users.findByUsername(realm.name, candidate))) { username = candidate; break; }
  }
  username ??= `${provider.alias}.${randomToken(6).toLowerCase().replace(/[^a-z0-9]/g, 'x')}`;
  const id = randomUUID();
  const claims: UserClaims = { ...account.claims, email_verified: account.emailVerified && provider.trust_email };
  await s.store.users.create({ id, realm: realm.name, username, email: account.email ?? null, passwordHash: null, claims, enabled: true }, now);
  const actions = firstSignInActions(realm, provider, claims);
  if (actions.length > 0) await s.store.users.setRequiredActions(id, actions, now);
  return (await s.store.users.findById(id))!;
}

/**
 * What a user created through a provider does before its first sign-in completes, as one who signed
 * up here would: review its profile (update_profile: its names and the realm's sign-up fields) where
 * the sign-up requires a claim the provider did not give, or always with review_profile "always";
 * accept the realm's terms.
 */
function firstSignInActions(realm: Realm, provider: IdentityProvider, claims: UserClaims): RequiredAction[] {
  const missing = realm.settings.registration_fields.some((field) => !(typeof claims[field] === 'string' && claims[field] !== ''));
  const review = provider.review_profile === 'always' || (provider.review_profile === 'missing' && missing);
  return [...(review ? ['update_profile' as const] : []), ...(realm.settings.terms_url ? ['terms_and_conditions' as const] : [])];
}

const backchannelLogoutEvent = 'http://schemas.openid.net/event/backchannel-logout';

/**
 * A logout token from the provider (OIDC Back-Channel Logout 1.0 §2.6): signed by a key of its JWKS,
 * its issuer, this client in aud, iat, jti, the back-channel logout event, a sub or a sid, and no
 * nonce. Returns whom it signs out.
 */
export async function verifyLogoutToken(s: Needs<'clock' | 'outbound'>, provider: IdentityProvider, token: string): Promise<{ sub?: string; sid?: string }> {
  const metadata = await upstreamMetadata(s, provider);
  try {
    const { payload } = await jwtVerify(token, keySetOf(s.outbound, metadata.jwks_uri), {
      ...issuerOption(metadata), audience: provider.client_id, algorithms, clockTolerance: 60, requiredClaims: ['iat', 'jti'],
    });
    const events = payload.events as Record<string, unknown> | undefined;
    if (typeof events !== 'object' || events === null || typeof events[backchannelLogoutEvent] !== 'object') throw new BrokerError('invalid_id_token', 'the logout token has no back-channel logout event');
    if (payload.nonce !== undefined) throw new BrokerError('invalid_id_token', 'a logout token must not have a nonce');
    const named = issuerAndSubject(provider, metadata, payload).subject;
    const sub = typeof payload.sub === 'string' && payload.sub !== '' ? named : undefined;
    const sid = typeof payload.sid === 'string' && payload.sid !== '' ? payload.sid : undefined;
    if (!sub && !sid) throw new BrokerError('invalid_id_token', 'the logout token names neither sub nor sid');
    return { ...(sub ? { sub } : {}), ...(sid ? { sid } : {}) };
  } catch (error) {
    if (error instanceof BrokerError) throw error;
    if (error instanceof OutboundError) throw new BrokerError('unavailable', `the provider's keys could not be fetched (${error.reason})`);
    throw new BrokerError('invalid_id_token', `the logout token was refused (${(error as errors.JOSEError).code ?? 'invalid'})`);
  }
}
