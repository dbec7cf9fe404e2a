// Benchmark child: the ceiling. A bare Fastify route that answers a client_credentials-shaped
// request by signing one JWT access token with jose (no client authentication, no storage).
// Nothing can serve that request faster on this machine with this stack.
import { randomUUID } from 'node:crypto';
import formbody from '@fastify/formbody';
import Fastify from 'fastify';
import { generateKeyPair, SignJWT } from 'jose';
import { announceReady, ccScope, exitOnSignal, freePort } from './common.js';

const keys = {
  ES256: (await generateKeyPair('ES256')).privateKey,
  RS256: (await generateKeyPair('RS256')).privateKey,
};
const port = await freePort();
const issuer = `http://127.0.0.1:${port}`;
const app = Fastify({ logger: false });
await app.register(formbody);
app.post<{ Params: { alg: string } }>('/token/:alg', async (request, reply) => {
  const alg = request.params.alg === 'RS256' ? 'RS256' : 'ES256';
  const now = Math.floor(Date.now() / 1000);
  const accessToken = await new SignJWT({ client_id: 'cc', scope: ccScope })
    .setProtectedHeader({ alg, kid: alg.toLowerCase(), typ: 'at+jwt' })
    .setIssuer(issuer).setSubject('cc').setAudience(issuer).setJti(randomUUID()).setIssuedAt(now).setExpirationTime(now + 300)
    .sign(keys[alg]);
  reply.header('cache-control', 'no-store');
  return { access_token: accessToken, token_type: 'Bearer', expires_in: 300, scope: ccScope };
});
await app.listen({ port, host: '127.0.0.1' });
exitOnSignal(() => app.close());
announceReady({ port, issuer });
