// The account console's landing page at `{issuer}/account/` (docs/account.md): the sections of the
// account, each with what it is for; `{issuer}/account` leads there.
import type { FastifyInstance } from 'fastify';
import { endpointUrl, route } from '../http/endpoint.js';
import { accountNav, accountSession, type AccountPageDeps } from './account-page.js';
import { accountHomePage } from './account-pages.js';
import { uiEndpoints } from './endpoints.js';
import { realmView, sendPage } from './render.js';

export function accountHomeRoutes(app: FastifyInstance, s: AccountPageDeps): void {
  route(app, uiEndpoints.account_console_redirect, async (request, reply) => reply.redirect(endpointUrl(s.config, request.realm!, uiEndpoints.account_console), 302));

  route(app, uiEndpoints.account_console, async (request, reply) => {
    const realm = request.realm!;
    const active = accountSession(request);
    return sendPage(reply, accountHomePage({ realm: realmView(s, request, realm), nav: accountNav(s, request, realm, active, 'home') }));
  });
}
