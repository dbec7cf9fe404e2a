// Benchmark child: the ceiling. A bare Fastify route that answers a client_credentials-shaped
// request by signing one JWT access token (no client authentication, no storage), with the same
// signing function Strix uses (src/tokens/jws.ts). Nothing can serve that request faster on this
// machine with this stack.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import formbody from '@fastify/formbody';
import Fastify from 'fastify';
import { signJwt } from '../src/tokens/jws.js';
import { announceReady, ccScope, exitOnSignal, freePort } from './common.js';

const keys = {
  ES256: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
  RS256: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
};
const port = await freePort();
const issuer = `http://127.0.0.1:${port}`;
const app = Fastify({ logger: false });
await app.register(formbody);
app.post<{ Params: { alg: string } }>('/token/:alg', async (request, reply) => {
  const alg = request.params.alg === 'RS256' ? 'RS256' : 'ES256';
  const now = Math.floor(Date.now() / 1000);
  const accessToken = await signJwt({
    client_id: 'cc', scope: ccScope, iss: issuer, sub: 'cc', aud: issuer, jti: randomUUID(), iat: now, exp: now + 300,
  }, { alg, kid: alg.toLowerCase(), typ: 'at+jwt' }, keys[alg]);
  reply.header('cache-control', 'no-store');
  return { access_token: accessToken, token_type: 'Bearer', expires_in: 300, scope: ccScope };
});
await app.listen({ port, host: '127.0.0.1' });
exitOnSignal(() => app.close());
announceReady({ port, issuer });
