// Proof Key for Code Exchange (RFC 7636): the code_challenge an authorization request carries
// (§4.2–4.4) and the code_verifier the token request proves it with (§4.5–4.6).
import { createHash } from 'node:crypto';
import { OAuthError } from '../http/errors.js';
import { safeEqual } from '../runtime.js';
import type { Client } from '../store/clients.js';
import type { Realm } from '../store/realms.js';

export type CodeChallengeMethod = 'S256' | 'plain';

export interface CodeChallenge { codeChallenge?: string; codeChallengeMethod?: CodeChallengeMethod }

/** code_verifier = 43*128unreserved (§4.1); a plain challenge is a verifier, an S256 one is 43 base64url characters. */
const unreserved43to128 = /^[A-Za-z0-9\-._~]{43,128}$/;

/**
 * The authorization request's code_challenge (§4.3). Public clients must send one (RFC 9700 §2.1.1);
 * `plain` is taken only where the client or realm allows it.
 */
export function requestedCodeChallenge(
  realm: Realm, client: Client, params: { code_challenge?: string; code_challenge_method?: string },
): CodeChallenge {
  const challenge = params.code_challenge;
  if (challenge === undefined) {
    if (params.code_challenge_method !== undefined) throw new OAuthError('invalid_request', 'code_challenge_method without code_challenge');
    if (!client.confidential) throw new OAuthError('invalid_request', 'PKCE is required for public clients: send code_challenge with code_challenge_method=S256');
    return {};
  }
  const method = params.code_challenge_method ?? 'plain';   // §4.3 default
  const plainAllowed = client.metadata.pkce_plain_allowed ?? realm.settings.pkce_plain_allowed;
  if (method !== 'S256' && !(method === 'plain' && plainAllowed)) {
    throw new OAuthError('invalid_request', 'code_challenge_method must be S256');
  }
  if (!unreserved43to128.test(challenge)) throw new OAuthError('invalid_request', 'code_challenge is malformed');
  return { codeChallenge: challenge, codeChallengeMethod: method };
}

/** The token request's code_verifier against the challenge stored with the code (§4.6). */
export function verifyCodeVerifier(
  stored: { codeChallenge: string | null; codeChallengeMethod: string | null }, verifier: string | undefined,
): void {
  if (!stored.codeChallenge) {
    // RFC 9700 §2.1.1: a verifier without a challenge is a downgrade attempt.
    if (verifier !== undefined) throw new OAuthError('invalid_grant', 'code_verifier sent but no code_challenge was');
    return;
  }
  if (verifier === undefined) throw new OAuthError('invalid_grant', 'code_verifier is required');
  if (!unreserved43to128.test(verifier)) throw new OAuthError('invalid_grant', 'code_verifier is malformed');
  const computed = stored.codeChallengeMethod === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
  if (!safeEqual(computed, stored.codeChallenge)) throw new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge');
}
