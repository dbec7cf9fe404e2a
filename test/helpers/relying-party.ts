// A stand-in relying party: a tiny HTTP server on 127.0.0.1 that answers every path (the
// redirect URI /callback and the post-logout URI /) and records what the browser brought back.
// The test reads the browser's URL; the RP itself does nothing with the response.
import { createServer, type Server } from 'node:http';
import { freePort } from './server.js';

export interface RelyingParty {
  /** e.g. http://127.0.0.1:41234 — pass it to testRealm() so the registered URIs match. */
  base: string;
  redirectUri: string;
  postLogoutRedirectUri: string;
  /** Every URL the RP was asked for, oldest first. */
  hits: URL[];
  close(): Promise<void>;
}

export async function startRelyingParty(): Promise<RelyingParty> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const hits: URL[] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', base);
    hits.push(url);
    const text = url.pathname === '/callback' ? 'signed in' : 'signed out';
    response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(text);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    base,
    redirectUri: `${base}/callback`,
    postLogoutRedirectUri: `${base}/`,
    hits,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Stands in for a client's web server: serves request objects at the paths the test puts them. */
export async function requestObjectServer(): Promise<{ base: string; objects: Map<string, string>; close: () => Promise<void> }> {
  const objects = new Map<string, string>();
  const server: Server = createServer((request, response) => {
    const jwt = objects.get(request.url ?? '');
    if (jwt === undefined) response.writeHead(404).end();
    else response.writeHead(200, { 'content-type': 'application/oauth-authz-req+jwt' }).end(jwt);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { base: `http://127.0.0.1:${port}`, objects, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
