// Second-factor helpers for tests: a confirmed TOTP authenticator put straight in the store, and the
// code it shows at the test server's (movable) time.
import { Secret, TOTP } from 'otpauth';
import type { TestServer } from './server.js';

/** Gives `username` of realm `demo` a confirmed authenticator app, as if set up elsewhere; returns its secret. */
export async function withTotp(server: TestServer, username: string): Promise<string> {
  const { store, sealer } = server.services;
  const user = (await store.users.findByUsername('demo', username))!;
  const secret = new Secret({ size: 20 }).base32;
  await store.mfa.addTotp(user.id, sealer.seal(secret), null, server.clock.now());
  return secret;
}

/** The code the authenticator shows now, on the server's clock. */
export const codeAt = (server: TestServer, secret: string): string =>
  new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30 }).generate({ timestamp: server.clock.now() });
