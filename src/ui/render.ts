// Sending server-rendered pages: the realm's look and language, no caching.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../services.js';
import type { Realm } from '../store/realms.js';
import { pickLocale } from './messages.js';
import type { RealmView } from './pages.js';

export const stylesheetPath = '/resources/strix.css';
export const formPostScriptPath = '/resources/form-post.js';
/** Submits the form_post page's form as soon as it is parsed. */
export const formPostScript = "document.getElementById('form-post').submit();\n";

const resource = (s: Services, path: string): string => `${new URL(s.config.publicUrl).pathname.replace(/\/$/, '')}${path}`;

export function stylesheetHref(s: Services): string {
  return resource(s, stylesheetPath);
}

export function formPostScriptHref(s: Services): string {
  return resource(s, formPostScriptPath);
}

export const webauthnLibraryPath = '/resources/webauthn/simplewebauthn-browser.js';
export const webauthnScriptPath = '/resources/webauthn/passkeys.js';

/** The WebAuthn pages' scripts: @simplewebauthn/browser's bundle, then the page script that uses it. */
export function webauthnScriptHrefs(s: Services): string[] {
  return [resource(s, webauthnLibraryPath), resource(s, webauthnScriptPath)];
}

export function realmView(s: Services, request: FastifyRequest, realm: Realm, uiLocales?: string): RealmView {
  const acceptLanguage = request.headers['accept-language'] ?? realm.settings.default_locale;
  return { name: realm.name, displayName: realm.displayName, stylesheetHref: stylesheetHref(s), locale: pickLocale(uiLocales, acceptLanguage) };
}

export function sendPage(reply: FastifyReply, html: string, status = 200): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html);
}
