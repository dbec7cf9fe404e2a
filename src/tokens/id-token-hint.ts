// id_token_hint (OIDC Core §3.1.2.1, RP-Initiated Logout §2): an ID token this realm issued,
// accepted whatever its expiry, naming the user (and session and client) the client means.
import { compactVerify } from 'jose';
import { issuerOf, type Services } from '../services.js';
import { signingAlgs, type Realm } from '../store/realms.js';

export interface IdTokenHint { sub?: string; sid?: string; clientId?: string }

/** The hint's claims, or undefined when its signature or issuer is not this realm's. */
export async function verifyIdTokenHint(s: Services, realm: Realm, token: string): Promise<IdTokenHint | undefined> {
  try {
    const { payload } = await compactVerify(token, await s.keystore.verifier(realm.name), { algorithms: signingAlgs });
    const claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
    if (claims.iss !== issuerOf(s.config, realm)) return undefined;
    const aud = Array.isArray(claims.aud) ? claims.aud[0] : claims.aud;
    return {
      sub: typeof claims.sub === 'string' ? claims.sub : undefined,
      sid: typeof claims.sid === 'string' ? claims.sid : undefined,
      clientId: typeof claims.azp === 'string' ? claims.azp : typeof aud === 'string' ? aud : undefined,
    };
  } catch {
    return undefined;
  }
}
