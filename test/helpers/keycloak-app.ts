// A tiny single-page app for the keycloak-js tests: serves keycloak-js's own built file from
// node_modules, unchanged, and one page per way of starting it (login-required with the fragment or
// query response mode, check-sso with a silent check-sso page). The page sets its title to
// `authenticated`, `anonymous` or `error` when init() settles, and records keycloak-js's events.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { freePort } from './server.js';

export const keycloakAppPages = ['fragment', 'query', 'check-sso'] as const;
export type KeycloakAppPage = (typeof keycloakAppPages)[number];

const keycloakJs = readFileSync(createRequire(import.meta.url).resolve('keycloak-js'), 'utf8');

const appScript = (strixUrl: string, clientId: string) => `import Keycloak from '/keycloak.js';
const mode = document.documentElement.dataset.mode;
const keycloak = new Keycloak({ url: ${JSON.stringify(strixUrl)}, realm: 'demo', clientId: ${JSON.stringify(clientId)} });
window.keycloak = keycloak;
window.events = [];
keycloak.onAuthSuccess = () => window.events.push('auth_success');
keycloak.onAuthLogout = () => window.events.push('auth_logout');
keycloak.onAuthRefreshSuccess = () => window.events.push('refresh_success');
const options = mode === 'check-sso'
  ? { onLoad: 'check-sso', silentCheckSsoRedirectUri: location.origin + '/silent-check-sso.html' }
  : { onLoad: 'login-required', responseMode: mode };
keycloak.init(options).then(
  (authenticated) => { document.title = authenticated ? 'authenticated' : 'anonymous'; },
  (error) => { window.initError = JSON.stringify(error && (error.error || error.message || error)); document.title = 'error'; },
);
`;

const page = (mode: KeycloakAppPage) =>
  `<!DOCTYPE html><html data-mode="${mode}"><head><title>loading</title><script type="module" src="/app.js"></script></head><body></body></html>`;

// keycloak-js's documented silent-check-sso.html.
const silentCheckSso = '<!DOCTYPE html><html><body><script>parent.postMessage(location.href, location.origin)</script></body></html>';

export interface KeycloakApp {
  origin: string;
  clientId: string;
  url(page: KeycloakAppPage): string;
  /** The client to register for the app: public, PKCE, its pages as redirect and post-logout URIs. */
  client(): object;
  /** Starts serving, once the Strix URL is known. */
  listen(strixUrl: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The port is chosen first, so that the realm can register the app's URIs before Strix starts. By
 * default the app is at http://localhost like the test Strix, on the same site as it (as an app and
 * its identity provider usually are: app.example.com and id.example.com), so the session iframe can
 * read its cookie; `crossSite` puts it at http://127.0.0.1, another site.
 */
export async function keycloakApp(options: { clientId?: string; crossSite?: boolean } = {}): Promise<KeycloakApp> {
  const port = await freePort();
  const clientId = options.clientId ?? 'kc-app';
  const origin = `http://${options.crossSite ? '127.0.0.1' : 'localhost'}:${port}`;
  let server: Server | undefined;
  const pages = [...keycloakAppPages.map((p) => `${origin}/${p}.html`), `${origin}/silent-check-sso.html`];
  return {
    origin,
    clientId,
    url: (p) => `${origin}/${p}.html`,
    client: () => ({
      client_id: clientId, client_name: 'keycloak-js app', token_endpoint_auth_method: 'none',
      redirect_uris: pages, post_logout_redirect_uris: pages, grant_types: ['authorization_code', 'refresh_token'],
      scope: 'openid profile email', require_consent: false,
    }),
    async listen(strixUrl) {
      const script = appScript(strixUrl, clientId);
      server = createServer((request, response) => {
        const path = new URL(request.url ?? '/', origin).pathname;
        const send = (type: string, body: string) => response.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
        if (path === '/keycloak.js') return send('text/javascript', keycloakJs);
        if (path === '/app.js') return send('text/javascript', script);
        if (path === '/silent-check-sso.html') return send('text/html', silentCheckSso);
        const mode = keycloakAppPages.find((p) => path === `/${p}.html`);
        if (mode) return send('text/html', page(mode));
        response.writeHead(404).end();
      });
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    },
    async close() {
      server?.closeAllConnections();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    },
  };
}
