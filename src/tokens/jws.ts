// Compact JWS signing (RFC 7515 §7.1) of the JWTs Strix issues. node:crypto's one-shot sign runs on
// libuv's thread pool as WebCrypto does, without WebCrypto's per-call argument normalisation and
// with one callback instead of a chain of promises: under load it costs less CPU per token than
// jose's SignJWT (docs/performance.md). Everything signed here is verified by jose and by the
// clients' own libraries in the tests.
import { sign, type KeyObject } from 'node:crypto';
import type { SigningAlg } from '../store/realms.js';

export interface JwsHeader { alg: SigningAlg; kid: string; typ: string }

/** The hash each algorithm signs with; Ed25519 hashes internally. */
const digests: Record<SigningAlg, string | null> = { RS256: 'sha256', ES256: 'sha256', EdDSA: null };

const encoded = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function signJwt(payload: Record<string, unknown>, header: JwsHeader, key: KeyObject): Promise<string> {
  const input = `${encoded(header)}.${encoded(payload)}`;
  return new Promise((resolve, reject) => {
    // ES256 signatures are the raw r ‖ s pair (RFC 7518 §3.4), not DER; the option is ignored for RSA and EdDSA.
    sign(digests[header.alg], Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }, (error, signature) => {
      if (error) reject(error);
      else resolve(`${input}.${signature.toString('base64url')}`);
    });
  });
}
