// A relying party's keys: key pairs made for a test, and a tiny key server on 127.0.0.1 standing in
// for a client's jwks_uri. The server answers with whatever `jwks` holds at the time, so a test can
// publish a new key by changing `jwks.keys`.
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';

export interface Signer { key: CryptoKey | Uint8Array; alg: string; kid?: string }

export async function keyPair(alg: string, kid: string): Promise<{ signer: Signer; jwk: JWK; privateKey: CryptoKey }> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { signer: { key: privateKey, alg, kid }, jwk: { ...(await exportJWK(publicKey)), kid, use: 'sig' }, privateKey };
}

export interface KeyServer { url: string; hits: () => number; close: () => Promise<void> }

export async function jwksServer(jwks: { keys: JWK[] }): Promise<KeyServer> {
  let hits = 0;
  const server: Server = createServer((_request, response) => {
    hits += 1;
    response.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    hits: () => hits,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
