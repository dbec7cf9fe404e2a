// The account console's landing page at `{issuer}/account/` (docs/account.md): the sections of the
// account, each with what it is for; `{issuer}/account` leads there, except for a JSON request, which
// gets Keycloak's account representation (ui/account-resource.ts).
import type { FastifyInstance } from 'fastify';
import { forClient } from '../http/cors.js';
import { endpointUrl, route } from '../http/endpoint.js';
import { asksForJsonOnly } from '../http/params.js';
import { accountNav, accountSession, type AccountPageDeps } from './account-page.js';
import { accountHomePage } from './account-pages.js';
import { sendAccount, type AccountResourceDeps } from './account-resource.js';
import { uiEndpoints } from './endpoints.js';
import { realmView, sendPage } from './render.js';

export function accountHomeRoutes(app: FastifyInstance, s: AccountPageDeps & AccountResourceDeps): void {
  route(app, uiEndpoints.account, async (request, reply) => {
    if (asksForJsonOnly(request.headers.accept)) return sendAccount(s, request, reply);
    // The console's pages are no other origin's to read.
    forClient(request, reply, undefined);
    return reply.redirect(endpointUrl(s.config, request.realm!, uiEndpoints.account_console), 302);
  });

  route(app, uiEndpoints.account_console, async (request, reply) => {
    const realm = request.realm!;
    const active = accountSession(request);
    return sendPage(reply, accountHomePage({ realm: realmView(s, request, realm), nav: accountNav(s, request, realm, active, 'home') }));
  });
}
