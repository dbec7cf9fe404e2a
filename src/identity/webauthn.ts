// WebAuthn / passkeys (W3C Web Authentication Level 2, via @simplewebauthn/server): registering a
// credential, and checking an assertion — as a second factor after the password, or alone for a
// passwordless sign-in with a discoverable credential. User verification is always required, so a
// passkey proves possession and a PIN or biometric: RFC 8176 amr hwk (or swk when synced) + user.
// Challenges live in the database (any node may receive the answer) and are single use.
// @simplewebauthn/server is loaded on first use: it is the costliest module to load, and most
// processes never need it at start (docs/performance.md "Start-up").
import type {
  AuthenticationResponseJSON, PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON, RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Needs } from '../services.js';
import type { Realm } from '../store/realms.js';
import type { User } from '../store/users.js';

/** What this module uses (services.ts `Needs`). */
export type WebauthnDeps = Needs<'clock' | 'config', 'mfa' | 'users'>;

let loaded: Promise<typeof import('@simplewebauthn/server')> | undefined;
const webauthnServer = () => (loaded ??= import('@simplewebauthn/server'));

const challengeLifetimeMs = 5 * 60_000;

/** The relying party is Strix itself: rpID is the host name of STRIX_PUBLIC_URL, the origin its origin. */
function relyingParty(s: WebauthnDeps): { id: string; origin: string } {
  const url = new URL(s.config.publicUrl);
  return { id: url.hostname, origin: url.origin };
}

/** Where a challenge waits for its answer: the sign-in (interaction) or the account page's session. */
export const challengeKey = {
  interaction: (interactionIdHash: string) => `interaction:${interactionIdHash}`,
  session: (sessionId: string) => `session:${sessionId}`,
};

const userHandle = (user: User): string => Buffer.from(user.id, 'utf8').toString('base64url');

export async function registrationOptions(s: WebauthnDeps, realm: Realm, user: User, key: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const existing = await s.store.mfa.webauthnCredentials(user.id);
  const options = await (await webauthnServer()).generateRegistrationOptions({
    rpName: realm.displayName, rpID: relyingParty(s).id, userName: user.username, userID: Buffer.from(user.id, 'utf8'),
    attestationType: 'none',
    excludeCredentials: existing.map((c) => ({ id: c.id, transports: c.transports as never })),
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
  });
  await s.store.mfa.putChallenge(key, options.challenge, s.clock.now() + challengeLifetimeMs, s.clock.now());
  return options;
}

/** Verifies a registration response against the pending challenge and stores the credential; false if it does not verify. */
export async function register(s: WebauthnDeps, user: User, key: string, responseJson: string, name: string): Promise<boolean> {
  const response = parse<RegistrationResponseJSON>(responseJson);
  const challenge = await s.store.mfa.takeChallenge(key, s.clock.now());
  if (!response || !challenge) return false;
  const rp = relyingParty(s);
  try {
    const result = await (await webauthnServer()).verifyRegistrationResponse({
      response, expectedChallenge: challenge, expectedOrigin: rp.origin, expectedRPID: rp.id, requireUserVerification: true,
    });
    if (!result.verified) return false;
    const { credential, credentialDeviceType } = result.registrationInfo;
    if (await s.store.mfa.webauthnCredential(credential.id)) return false;
    await s.store.mfa.addWebauthnCredential({
      id: credential.id, userId: user.id, publicKey: Buffer.from(credential.publicKey).toString('base64url'),
      counter: credential.counter, transports: credential.transports ?? [], deviceType: credentialDeviceType, name,
    }, s.clock.now());
    return true;
  } catch {
    return false;
  }
}

/** Options for an assertion: limited to `user`'s credentials, or open to any discoverable one (passwordless). */
export async function authenticationOptions(s: WebauthnDeps, key: string, user?: User): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const credentials = user ? await s.store.mfa.webauthnCredentials(user.id) : [];
  const options = await (await webauthnServer()).generateAuthenticationOptions({
    rpID: relyingParty(s).id, userVerification: 'required',
    allowCredentials: credentials.map((c) => ({ id: c.id, transports: c.transports as never })),
  });
  await s.store.mfa.putChallenge(key, options.challenge, s.clock.now() + challengeLifetimeMs, s.clock.now());
  return options;
}

/**
 * Verifies an assertion against the pending challenge; with `expected`, the credential must be
 * that user's. Returns the user and the amr values proved, or undefined.
 */
export async function authenticate(
  s: WebauthnDeps, realm: Realm, key: string, responseJson: string, expected?: User,
): Promise<{ user: User; amr: string[] } | undefined> {
  const response = parse<AuthenticationResponseJSON>(responseJson);
  const challenge = await s.store.mfa.takeChallenge(key, s.clock.now());
  if (!response || typeof response.id !== 'string' || !challenge) return undefined;
  const stored = await s.store.mfa.webauthnCredential(response.id);
  if (!stored || (expected && stored.userId !== expected.id)) return undefined;
  const user = expected ?? await s.store.users.findById(stored.userId);
  if (!user || !user.enabled || user.realm !== realm.name) return undefined;
  if (response.response?.userHandle !== undefined && response.response.userHandle !== userHandle(user)) return undefined;
  const rp = relyingParty(s);
  try {
    const result = await (await webauthnServer()).verifyAuthenticationResponse({
      response, expectedChallenge: challenge, expectedOrigin: rp.origin, expectedRPID: rp.id, requireUserVerification: true,
      credential: { id: stored.id, publicKey: Buffer.from(stored.publicKey, 'base64url'), counter: stored.counter, transports: stored.transports as never },
    });
    if (!result.verified) return undefined;
    await s.store.mfa.useWebauthnCredential(stored.id, result.authenticationInfo.newCounter, s.clock.now());
    return { user, amr: [result.authenticationInfo.credentialDeviceType === 'multiDevice' ? 'swk' : 'hwk', 'user'] };
  } catch {
    return undefined;
  }
}

function parse<T>(json: string): T | undefined {
  try {
    const value = JSON.parse(json) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as T : undefined;
  } catch {
    return undefined;
  }
}
