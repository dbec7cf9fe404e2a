// A GitHub-shaped OAuth 2.0 server for the github preset's tests (shapes from GitHub's REST API
// documentation): authorize (the user has authorized the app already), token, the user, and the
// user's addresses with whether each is verified.
import { createServer } from 'node:http';
import { freePort } from './server.js';

/** A GitHub-shaped OAuth 2.0 server (shapes from GitHub's REST API documentation): token, user, and the user's addresses. */
export async function startFakeGitHub(): Promise<{ base: string; requests: { path: string; headers: Record<string, string | string[] | undefined> }[]; close(): Promise<void> }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const requests: { path: string; headers: Record<string, string | string[] | undefined> }[] = [];
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', base);
    requests.push({ path: url.pathname, headers: request.headers });
    const json = (status: number, body: unknown) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const bearer = request.headers.authorization === 'Bearer gho_test_token';
    // GitHub's own page asks the user to authorize the app; this one has, and sends the browser back with a code.
    if (url.pathname === '/login/oauth/authorize') {
      const back = new URL(url.searchParams.get('redirect_uri') ?? '');
      back.searchParams.set('code', 'gh-code');
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      return response.writeHead(302, { location: back.href }).end();
    }
    if (url.pathname === '/login/oauth/access_token') return json(200, { access_token: 'gho_test_token', token_type: 'bearer', scope: 'read:user,user:email' });
    if (url.pathname === '/user') return bearer ? json(200, { id: 4242, login: 'octocat', name: 'Octo Cat', avatar_url: 'https://avatars.example/u/4242', email: null }) : json(401, {});
    if (url.pathname === '/user/emails') {
      return bearer ? json(200, [
        { email: 'octocat@users.noreply.github.com', primary: false, verified: true, visibility: null },
        { email: 'octo@gh.example', primary: true, verified: true, visibility: 'public' },
      ]) : json(401, {});
    }
    return json(404, {});
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { base, requests, close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}
