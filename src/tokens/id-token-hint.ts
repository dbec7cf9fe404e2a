// id_token_hint (OIDC Core §3.1.2.1, RP-Initiated Logout §2): an ID token this realm issued,
// accepted whatever its expiry, naming the user (and session and client) the client means.
// Other tokens this realm signs (access tokens, logout tokens, signed userinfo) are not hints:
// whoever holds a user's access token must not be able to sign that user out unconfirmed.
import { compactVerify, type CompactJWSHeaderParameters } from 'jose';
import { issuerOf, type Needs } from '../services.js';
import { signingAlgs, type Realm } from '../store/realms.js';

/** What this module uses (services.ts `Needs`). */
export type IdTokenHintDeps = Needs<'config' | 'keystore', 'clients'>;

export interface IdTokenHint { sub?: string; sid?: string; clientId?: string }

/** RFC 7515 §4.1.9: typ is compared case-insensitively; ID tokens carry `JWT` or none (OIDC Core §2). */
function typedAsIdToken(header: CompactJWSHeaderParameters): boolean {
  return header.typ === undefined || header.typ.toUpperCase() === 'JWT' || header.typ.toLowerCase() === 'application/jwt';
}

/** The claims every ID token has (OIDC Core §2); a signed userinfo response, for one, has no exp. */
function shapedAsIdToken(claims: Record<string, unknown>): boolean {
  const aud = claims.aud;
  const audienceOk = typeof aud === 'string' || (Array.isArray(aud) && aud.length > 0 && aud.every((a) => typeof a === 'string'));
  return typeof claims.sub === 'string' && audienceOk && typeof claims.exp === 'number' && typeof claims.iat === 'number';
}

/** The hint's claims, or undefined unless it is an ID token this realm issued to one of its clients. */
export async function verifyIdTokenHint(s: IdTokenHintDeps, realm: Realm, token: string): Promise<IdTokenHint | undefined> {
  let header: CompactJWSHeaderParameters;
  let claims: Record<string, unknown>;
  try {
    const verified = await compactVerify(token, await s.keystore.verifier(realm.name), { algorithms: signingAlgs });
    header = verified.protectedHeader;
    claims = JSON.parse(new TextDecoder().decode(verified.payload)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (!typedAsIdToken(header) || claims === null || typeof claims !== 'object') return undefined;
  if (claims.iss !== issuerOf(s.config, realm) || !shapedAsIdToken(claims)) return undefined;
  const aud = Array.isArray(claims.aud) ? claims.aud[0] : claims.aud;
  const clientId = typeof claims.azp === 'string' ? claims.azp : aud as string;
  if (!await s.store.clients.get(realm.name, clientId)) return undefined;
  return { sub: claims.sub as string, sid: typeof claims.sid === 'string' ? claims.sid : undefined, clientId };
}
