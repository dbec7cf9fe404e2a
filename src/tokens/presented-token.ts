// What a token presented for exchange (RFC 8693 §2.1) stands for: Strix access tokens and refresh
// tokens (checked as introspection checks them) and ID tokens of this realm, by their §3 type URIs.
import { jwtVerify } from 'jose';
import { issuerOf, type Needs } from '../services.js';
import type { Grant } from '../store/grants.js';
import { signingAlgs, type Realm } from '../store/realms.js';
import type { User } from '../store/users.js';
import { inspectAccessToken, inspectRefreshToken, type InspectDeps } from './inspect.js';
import { subjectFor, type SubjectDeps } from './subject.js';
import { isObject } from '../json.js';

/** What this module uses (services.ts `Needs`). */
export type PresentedTokenDeps = Needs<'clock' | 'config' | 'keystore', 'clients' | 'sessions' | 'users'> & InspectDeps & SubjectDeps;

/** Token type identifiers (RFC 8693 §3). */
export const tokenTypes = {
  accessToken: 'urn:ietf:params:oauth:token-type:access_token',
  refreshToken: 'urn:ietf:params:oauth:token-type:refresh_token',
  idToken: 'urn:ietf:params:oauth:token-type:id_token',
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
} as const;

export interface PresentedToken {
  /** The client the token was issued to. */
  clientId: string;
  audience: string[];
  scope: string[];
  /** The subject: a user's id, or a client's id for a client's own token. */
  sub: string;
  user: User | undefined;
  /** The grant behind the token; undefined for ID tokens and client_credentials tokens. */
  grant: Grant | undefined;
  expiresAt: number;   // ms
  /** The delegation chain the token already carries (RFC 8693 §4.1). */
  act?: Record<string, unknown>;
  /** ID tokens: the session they were issued in and how the user signed in. */
  signIn?: { sessionId: string | null; authTime: number | null; amr: string[]; acr: string | null };
}

/** The token as `type` says it is, or undefined when it is not one, or no longer valid (expired, revoked, user disabled). */
export async function presentedToken(s: PresentedTokenDeps, realm: Realm, token: string, type: string): Promise<PresentedToken | undefined> {
  switch (type) {
    case tokenTypes.accessToken: return accessToken(s, realm, token);
    case tokenTypes.refreshToken: return refreshToken(s, realm, token);
    case tokenTypes.idToken: return idToken(s, realm, token);
    case tokenTypes.jwt: return await accessToken(s, realm, token) ?? await idToken(s, realm, token);
    default: return undefined;
  }
}

const audienceList = (aud: string | string[] | undefined): string[] => aud === undefined ? [] : Array.isArray(aud) ? aud : [aud];

async function accessToken(s: PresentedTokenDeps, realm: Realm, token: string): Promise<PresentedToken | undefined> {
  const found = await inspectAccessToken(s, realm, token);
  if (!found?.active || found.claims.sub === undefined || found.claims.exp === undefined) return undefined;
  if (found.grant?.userId && !found.user) return undefined;
  return {
    clientId: found.clientId, audience: audienceList(found.claims.aud), scope: found.scope, sub: found.claims.sub, user: found.user,
    grant: found.grant, expiresAt: found.claims.exp * 1000, act: isObject(found.claims.act) ? found.claims.act : undefined,
  };
}

async function refreshToken(s: PresentedTokenDeps, realm: Realm, token: string): Promise<PresentedToken | undefined> {
  const found = await inspectRefreshToken(s, realm, token);
  if (!found?.active || !found.user) return undefined;
  return {
    clientId: found.clientId, audience: [], scope: found.scope, sub: found.user.id, user: found.user,
    grant: found.grant, expiresAt: Math.min(found.expiresAt, found.grant.expiresAt),
  };
}

/** An unexpired ID token this realm signed (OIDC Core §2), for an enabled user whose session, if it names one, goes on. */
async function idToken(s: PresentedTokenDeps, realm: Realm, token: string): Promise<PresentedToken | undefined> {
  let claims;
  try {
    ({ payload: claims } = await jwtVerify(token, await s.keystore.verifier(realm.name), {
      issuer: issuerOf(s.config, realm), typ: 'JWT', algorithms: signingAlgs, currentDate: new Date(s.clock.now()),
      requiredClaims: ['sub', 'aud', 'exp', 'iat', 'azp'],
    }));
  } catch {
    return undefined;
  }
  if (typeof claims.azp !== 'string') return undefined;
  const sessionId = typeof claims.sid === 'string' ? claims.sid : null;
  const session = sessionId === null ? undefined : await s.store.sessions.findLive(sessionId, s.clock.now());
  if (sessionId !== null && !session) return undefined;
  // A pairwise sub (OIDC Core §8.1) cannot be reversed: the session says who it is, and the sub must match.
  const userId = session?.userId ?? claims.sub!;
  if (await subjectFor(s, realm.name, await s.store.clients.get(realm.name, claims.azp), userId) !== claims.sub) return undefined;
  const user = await s.store.users.findById(userId);
  if (!user || !user.enabled || user.realm !== realm.name) return undefined;
  const amr = Array.isArray(claims.amr) ? claims.amr.filter((v): v is string => typeof v === 'string') : [];
  return {
    clientId: claims.azp, audience: audienceList(claims.aud), scope: ['openid'], sub: claims.sub!, user, grant: undefined,
    expiresAt: claims.exp! * 1000,
    signIn: {
      sessionId, authTime: typeof claims.auth_time === 'number' ? claims.auth_time * 1000 : null, amr,
      acr: typeof claims.acr === 'string' ? claims.acr : null,
    },
  };
}
