// OpenID Connect Session Management 1.0 at Keycloak's paths and in Keycloak's protocol, so that
// keycloak-js notices a sign-out elsewhere: the check_session_iframe (`login-status-iframe.html`, §3.3)
// with its `/init` origin check, and the third-party cookie probe keycloak-js loads first
// (`3p-cookies/step1.html` → `step2.html`). A client posts "client_id session_state" to the iframe
// (keycloak-js posts its access token's `sid`); the iframe compares it with the browser's
// session-state cookie (identity/sso.ts) and answers "unchanged", "changed" or "error". The pages run
// no inline script, and only the origins of the realm's clients may frame them.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clientOrigins, isPlainOrigin } from '../clients/web-origins.js';
import { endpointUrl, route } from '../http/endpoint.js';
import { sessionStateCookie } from '../http/cookies.js';
import { singleParams } from '../http/params.js';
import type { Needs } from '../services.js';
import type { Realm } from '../store/realms.js';
import { oauthEndpoints } from './endpoints.js';

/** What this module uses (services.ts `Needs`). */
export type SessionManagementDeps = Needs<'config', 'clients'>;

/** The origins any enabled client of a realm allows (http/cors.ts keeps them cached). */
export type RealmOrigins = (realm: string) => Promise<Set<string>>;

/** The iframe's script: answers keycloak-js's "client_id session_state" messages. */
export const loginStatusIframeScript = `// Strix check_session_iframe (OpenID Connect Session Management 1.0 §3.3, keycloak-js's protocol).
(function () {
  'use strict';
  var allowed = {};
  var initUrl = window.location.href.split(/[?#]/)[0] + '/init';
  function sessionState() {
    var match = document.cookie.match(/(?:^|;\\s*)${sessionStateCookie}=([^;]*)/);
    return match ? decodeURIComponent(match[1]) : '';
  }
  function answer(event, state) {
    event.source.postMessage(sessionState() === state ? 'unchanged' : 'changed', event.origin);
  }
  window.addEventListener('message', function (event) {
    if (typeof event.data !== 'string' || !event.source) return;
    var parts = event.data.split(' ');
    if (parts.length !== 2) return;
    var key = parts[0] + ' ' + event.origin;
    if (allowed[key]) return answer(event, parts[1]);
    fetch(initUrl + '?client_id=' + encodeURIComponent(parts[0]) + '&origin=' + encodeURIComponent(event.origin), { credentials: 'omit' })
      .then(function (response) {
        if (response.status !== 204) throw new Error('this origin may not ask about this client');
        allowed[key] = true;
        answer(event, parts[1]);
      })
      .catch(function () { event.source.postMessage('error', event.origin); });
  });
})();
`;

const probeCookie = 'strix_3p_cookie';

/** Step 1 of the third-party cookie probe: sets a cookie, then lets step 2 look for it. */
export const thirdPartyCookiesStep1Script = `// Strix third-party cookie probe, step 1 (keycloak-js's 3p-cookies/step1.html).
document.cookie = '${probeCookie}_samesite=supported; Max-Age=60; SameSite=None; Secure';
document.cookie = '${probeCookie}=supported; Max-Age=60';
window.location.replace('step2.html');
`;

/** Step 2: tells the embedding page whether the cookie came back (the answer is no secret). */
export const thirdPartyCookiesStep2Script = `// Strix third-party cookie probe, step 2 (keycloak-js's 3p-cookies/step2.html).
var supported = document.cookie.indexOf('${probeCookie}') !== -1;
document.cookie = '${probeCookie}_samesite=; Max-Age=0; SameSite=None; Secure';
document.cookie = '${probeCookie}=; Max-Age=0';
window.parent.postMessage(supported ? 'supported' : 'unsupported', '*');
`;

const page = (title: string, scriptUrl: string) =>
  `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${title}</title><script src="${scriptUrl}"></script></head><body></body></html>\n`;

/**
 * The realm's CSP with frame-ancestors widened from 'none' to the realm's client origins (those a
 * source expression can hold as they are); X-Frame-Options, which cannot name them, goes.
 */
async function framableByClients(origins: RealmOrigins, realm: Realm, reply: FastifyReply): Promise<void> {
  const ancestors = [...await origins(realm.name)].filter(isPlainOrigin);
  const policy = reply.getHeader('content-security-policy');
  if (typeof policy === 'string' && ancestors.length > 0) {
    reply.header('content-security-policy', policy.replace(/frame-ancestors [^;]*/, `frame-ancestors ${ancestors.join(' ')}`));
  }
  reply.removeHeader('x-frame-options');
}

export function sessionManagementRoutes(app: FastifyInstance, s: SessionManagementDeps, origins: RealmOrigins): void {
  const framePage = (title: string, script: keyof typeof scripts) => async (request: FastifyRequest, reply: FastifyReply) => {
    const realm = request.realm!;
    await framableByClients(origins, realm, reply);
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store')
      .send(page(title, endpointUrl(s.config, realm, oauthEndpoints[script])));
  };
  const scripts = {
    check_session_iframe_script: loginStatusIframeScript,
    third_party_cookies_step1_script: thirdPartyCookiesStep1Script,
    third_party_cookies_step2_script: thirdPartyCookiesStep2Script,
  } as const;
  for (const [name, body] of Object.entries(scripts)) {
    route(app, oauthEndpoints[name as keyof typeof scripts], async (_request, reply) =>
      reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(body));
  }
  route(app, oauthEndpoints.check_session_iframe, framePage('Session status', 'check_session_iframe_script'));
  route(app, oauthEndpoints.third_party_cookies_step1, framePage('Cookie check', 'third_party_cookies_step1_script'));
  route(app, oauthEndpoints.third_party_cookies_step2, framePage('Cookie check', 'third_party_cookies_step2_script'));
  // Keycloak's check: may a page of this origin ask the iframe about this client? 204 yes, 403 no.
  route(app, oauthEndpoints.check_session_iframe_init, async (request, reply) => {
    let params;
    try {
      params = singleParams(request.query);
    } catch {
      return reply.code(403).send();
    }
    const client = params.client_id === undefined ? undefined : await s.store.clients.get(request.realm!.name, params.client_id);
    const allowed = client?.enabled === true && params.origin !== undefined && clientOrigins(client).has(params.origin);
    return reply.code(allowed ? 204 : 403).header('cache-control', 'no-store').send();
  });
}
