// Multi-factor authentication: which authentication context a request needs (policy, acr_values,
// an essential acr claim), what a session has reached, and the second factors themselves —
// TOTP (RFC 6238) and single-use recovery codes. Methods are named with RFC 8176 amr values.
import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { PageError } from '../http/errors.js';
import type { ClaimsRequest } from '../tokens/claims.js';
import type { Needs } from '../services.js';
import type { Client } from '../store/clients.js';
import type { MfaPolicy, Realm } from '../store/realms.js';
import type { Session } from '../store/sessions.js';
import type { User } from '../store/users.js';

/** What this module uses (services.ts `Needs`). */
export type MfaDeps = Needs<'clock' | 'sealer', 'mfa' | 'sessions'>;

/**
 * Authentication context classes, weakest first: '1' one factor (a password), '2' two factors,
 * '3' two factors of which one is a phishing-resistant WebAuthn credential (a passkey).
 */
export const acrLevels = ['1', '2', '3'] as const;
export type Acr = typeof acrLevels[number];

const levelOf = (acr: string): number => acrLevels.indexOf(acr as Acr) + 1;

/** The context class that a session's methods (RFC 8176 amr values) reach. */
export function acrFor(amr: string[]): Acr {
  if (!amr.includes('mfa')) return '1';
  return amr.includes('hwk') || amr.includes('swk') ? '3' : '2';
}

function policyRequires(policy: MfaPolicy | undefined, user: User): boolean {
  if (policy === undefined || policy === 'optional') return false;
  if (policy === 'required') return true;
  return policy.required_for_roles.some((role) => user.roles.includes(role));
}

/** Whether the realm's policy requires this user to use a second factor (whatever the client). */
export function realmRequiresMfa(realm: Realm, user: User): boolean {
  return policyRequires(realm.settings.mfa, user);
}

/**
 * The context class the user needs whatever the client or request: '2' for a user who set up a
 * second factor or whom the realm requires to use one, else '1'.
 */
export async function userRequiredAcr(s: MfaDeps, realm: Realm, user: User): Promise<Acr> {
  if (realmRequiresMfa(realm, user)) return '2';
  const factors = await enrolledFactors(s, user);
  return factors.totp || factors.passkeys > 0 ? '2' : '1';
}

/** Whether realm or client policy requires this user to use a second factor. */
export function mfaRequired(realm: Realm, client: Client, user: User): boolean {
  return policyRequires(realm.settings.mfa, user) || policyRequires(client.metadata.mfa, user);
}

/** What of an authorization request decides the acr it needs. */
export interface AcrRequest { acrValues?: string[]; claims?: ClaimsRequest }

/** acr values the client asked for that Strix knows, from acr_values and an acr claim request. */
function requestedAcrs(authorization: AcrRequest): { values: Acr[]; essential: boolean } {
  const claim = authorization.claims?.id_token?.acr;
  const claimed = claim ? [...(claim.value !== undefined ? [claim.value] : []), ...(Array.isArray(claim.values) ? claim.values : [])] : [];
  const known = (v: unknown): v is Acr => acrLevels.includes(String(v) as Acr);
  const fromClaim = claimed.map(String).filter(known);
  if (claim?.essential && fromClaim.length > 0) return { values: fromClaim, essential: true };
  return { values: [...(authorization.acrValues ?? []), ...fromClaim].filter(known), essential: false };
}

/**
 * The weakest context class that satisfies the request: a user who set up a second factor, or
 * whom policy requires to, needs '2'; requested values (acr_values, or an acr claim request) are
 * alternatives, so the weakest of them is enough. A device authorization (RFC 8628) requests none.
 */
export async function requiredAcr(
  s: MfaDeps, realm: Realm, client: Client, authorization: AcrRequest | undefined, user: User,
): Promise<Acr> {
  const requested = authorization ? requestedAcrs(authorization).values : [];
  const byRequest = requested.length > 0 ? Math.min(...requested.map(levelOf)) : 1;
  const factors = await enrolledFactors(s, user);
  const byUser = mfaRequired(realm, client, user) || factors.totp || factors.passkeys > 0 ? 2 : 1;
  return acrLevels[Math.max(byRequest, byUser) - 1]!;
}

export function satisfies(session: Pick<Session, 'acr'>, required: Acr): boolean {
  return levelOf(session.acr) >= levelOf(required);
}

/**
 * The acr asserted in the ID token: when the client named values, the strongest of them that the
 * session reaches (a true statement, and one the client recognises, OIDC Core §5.5.1.1); else the session's own.
 */
export function assertedAcr(authorization: AcrRequest, session: Pick<Session, 'acr'>): string {
  const reached = requestedAcrs(authorization).values.filter((v) => levelOf(v) <= levelOf(session.acr));
  return reached.length > 0 ? reached.reduce((a, b) => (levelOf(a) >= levelOf(b) ? a : b)) : session.acr;
}

/** The methods of a session after a further factor: the union, plus 'mfa' once there are two. */
export function withFactor(amr: string[], added: string[]): string[] {
  const methods = [...new Set([...amr.filter((m) => m !== 'mfa'), ...added])];
  return methods.length >= 2 ? [...methods, 'mfa'] : methods;
}

/** Records a further factor on the session (step-up); returns the upgraded session. */
export async function upgradeSession(s: MfaDeps, session: Session, added: string[]): Promise<Session> {
  const amr = withFactor(session.amr, added);
  const acr = acrFor(amr);
  await s.store.sessions.upgrade(session.id, amr, acr);
  return { ...session, amr, acr };
}

/** What second factors a user has set up. */
export function enrolledFactors(s: MfaDeps, user: User): Promise<{ totp: boolean; passkeys: number; recoveryCodes: number }> {
  return s.store.mfa.enrolledFactors(user.id);
}

const period = 30;

function totpFor(realm: Realm, user: User, secret: string): TOTP {
  return new TOTP({ issuer: realm.displayName, label: user.username, algorithm: 'SHA1', digits: 6, period, secret: Secret.fromBase32(secret) });
}

export interface TotpEnrolment { secret: string; uri: string; qrSvg: string }

/** How long a secret shown on a set-up page can be confirmed: long enough to scan it and type one code. */
const enrolmentLifetimeMs = 10 * 60_000;

/**
 * A fresh TOTP secret (160 random bits, sealed at rest) for a set-up page, bound to the session that
 * shows it and short-lived: whoever else saw a set-up page (another session of the user) holds a
 * different secret, which confirming this one throws away.
 */
export async function startTotpEnrolment(s: MfaDeps, realm: Realm, user: User, sessionId: string): Promise<TotpEnrolment> {
  if (await s.store.mfa.totp(user.id)) throw new PageError('Already set up', 'Your authenticator app is already set up.', 409);
  const secret = new Secret({ size: 20 }).base32;
  const now = s.clock.now();
  await s.store.mfa.putTotpEnrolment(sessionId, user.id, s.sealer.seal(secret), now + enrolmentLifetimeMs, now);
  return enrolmentView(realm, user, secret);
}

/** The secret this session is setting up (the page again after a wrong code), or a fresh one once it expired. */
export async function currentTotpEnrolment(s: MfaDeps, realm: Realm, user: User, sessionId: string): Promise<TotpEnrolment> {
  const sealed = await s.store.mfa.totpEnrolment(sessionId, user.id, s.clock.now());
  return sealed ? enrolmentView(realm, user, s.sealer.open(sealed)) : startTotpEnrolment(s, realm, user, sessionId);
}

async function enrolmentView(realm: Realm, user: User, secret: string): Promise<TotpEnrolment> {
  const uri = totpFor(realm, user, secret).toString();
  // qrcode is loaded when first needed, not at start.
  const { default: QRCode } = await import('qrcode');
  const qrSvg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return { secret, uri, qrSvg };
}

/**
 * Checks a TOTP code against the user's secret, one step either side (clock drift), and spends
 * its time step: the same code, or an older one, is never accepted again.
 */
export async function verifyTotp(s: MfaDeps, realm: Realm, user: User, code: string): Promise<boolean> {
  const stored = await s.store.mfa.totp(user.id);
  if (!stored) return false;
  const counter = matchingStep(s, realm, user, stored.sealedSecret, code);
  return counter !== undefined && s.store.mfa.useTotpCounter(user.id, counter);
}

/** The time step whose code `code` is, one step either side of now (clock drift); undefined if none. */
function matchingStep(s: MfaDeps, realm: Realm, user: User, sealedSecret: string, code: string): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const totp = totpFor(realm, user, s.sealer.open(sealedSecret));
  const now = s.clock.now();
  const delta = totp.validate({ token: code, timestamp: now, window: 1 });
  return delta === null ? undefined : totp.counter({ timestamp: now }) + delta;
}

/**
 * Confirms the secret this session is setting up with its first code (which is spent): it becomes
 * the user's authenticator app and every other pending secret of the user is dropped. Returns fresh
 * recovery codes, or undefined (wrong code, expired secret, or another session confirmed first).
 */
export async function confirmTotp(s: MfaDeps, realm: Realm, user: User, sessionId: string, code: string): Promise<string[] | undefined> {
  const sealed = await s.store.mfa.totpEnrolment(sessionId, user.id, s.clock.now());
  const counter = sealed === undefined ? undefined : matchingStep(s, realm, user, sealed, code);
  if (sealed === undefined || counter === undefined) return undefined;
  if (!(await s.store.mfa.addTotp(user.id, sealed, counter, s.clock.now()))) return undefined;
  return newRecoveryCodes(s, user);
}

const recoveryCodeCount = 10;
const normaliseRecoveryCode = (code: string): string => code.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Ten new recovery codes (shown once; stored as keyed hashes), replacing any previous ones. */
export async function newRecoveryCodes(s: MfaDeps, user: User): Promise<string[]> {
  const codes = Array.from({ length: recoveryCodeCount }, () => {
    const text = randomBytes(8).toString('hex').slice(0, 10);
    return `${text.slice(0, 5)}-${text.slice(5)}`;
  });
  await s.store.mfa.replaceRecoveryCodes(user.id, codes.map((c) => s.sealer.digest(normaliseRecoveryCode(c))), s.clock.now());
  return codes;
}

export async function useRecoveryCode(s: MfaDeps, user: User, code: string): Promise<boolean> {
  const normalised = normaliseRecoveryCode(code);
  if (normalised.length !== 10) return false;
  return s.store.mfa.useRecoveryCode(user.id, s.sealer.digest(normalised), s.clock.now());
}

/**
 * A code typed on the second-factor form: six digits are a TOTP code, anything else is tried as
 * a recovery code. Returns the amr values it proves, or undefined.
 */
export async function verifyCode(s: MfaDeps, realm: Realm, user: User, code: string): Promise<string[] | undefined> {
  const trimmed = code.trim().slice(0, 64);
  if (/^\d{6}$/.test(trimmed)) return (await verifyTotp(s, realm, user, trimmed)) ? ['otp'] : undefined;
  return (await useRecoveryCode(s, user, trimmed)) ? ['otp'] : undefined;
}
