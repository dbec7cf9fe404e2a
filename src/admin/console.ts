// Serves the admin console: the single-page app that scripts/build-console.js builds into
// dist/console (docs/admin-console.md). It is static: index.html (never cached, so a new build is
// picked up) and content-hashed assets (cached for a year). The app signs in as the `strix-admin-console`
// client of the master realm at /admin/, or of another realm at /admin/{realm}/console/ (that realm's
// realm-admin and realm-viewer users), and uses the admin REST API like any other caller.
import { readdirSync, readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { route } from '../http/endpoint.js';
import { PageError } from '../http/errors.js';
import type { Needs } from '../services.js';
import { adminRealm } from './api-access.js';
import { ensureAdminConsoleClient } from './bootstrap.js';
import { adminEndpoints } from './endpoints.js';

/** What this module uses (services.ts `Needs`). */
export type AdminConsoleDeps = Needs<'clock' | 'config', 'clients'>;

/** dist/console, beside dist/src where this module runs from. */
const builtConsole = new URL('../../console/', import.meta.url);

interface Build { index: Buffer; assets: Map<string, Buffer> }

const contentTypes: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };

/** Read once, at the first request: a build is replaced by a new start, like the server code. */
function loadBuild(): Build | undefined {
  try {
    const assetsDir = new URL('assets/', builtConsole);
    const assets = new Map(readdirSync(assetsDir).map((name) => [name, readFileSync(new URL(name, assetsDir))]));
    return { index: readFileSync(new URL('index.html', builtConsole)), assets };
  } catch {
    return undefined;
  }
}

const notBuilt = () => new PageError('Admin console not built', 'The admin console has not been built: run npm run build.', 503);

export function adminConsoleRoutes(app: FastifyInstance, s: AdminConsoleDeps): void {
  let build: Build | undefined;
  const current = (): Build => (build ??= loadBuild()) ?? (() => { throw notBuilt(); })();
  const index = (reply: FastifyReply) => {
    // The branding preview shows a realm's logo from its https address, as the realm's pages do.
    const policy = reply.getHeader('content-security-policy');
    if (typeof policy === 'string') reply.header('content-security-policy', policy.replace(/((?:^|;)\s*img-src [^;]*)/, '$1 https:'));
    return reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(current().index);
  };
  const asset = async (request: FastifyRequest, reply: FastifyReply) => {
    const name = (request.params as { file: string }).file;
    const content = current().assets.get(name);
    const type = contentTypes[name.split('.').pop() ?? ''];
    if (!content || !type) throw new PageError('Not found', 'There is nothing at this address.', 404);
    return reply.header('cache-control', 'public, max-age=31536000, immutable').type(type).send(content);
  };

  route(app, adminEndpoints.admin_console_bare, async (_request: FastifyRequest, reply: FastifyReply) => reply.redirect('admin/', 302));
  route(app, adminEndpoints.admin_console, async (_request: FastifyRequest, reply: FastifyReply) => index(reply));
  route(app, adminEndpoints.admin_console_asset, asset);
  route(app, adminEndpoints.admin_realm_console, async (request: FastifyRequest, reply: FastifyReply) => {
    const realm = request.realm!.name;
    if (realm === adminRealm) return reply.redirect(`${s.config.publicUrl}/admin/`, 302);
    await ensureAdminConsoleClient(s, realm, s.clock.now());
    return index(reply);
  });
  route(app, adminEndpoints.admin_realm_console_asset, asset);
}
