// Sending server-rendered pages: the realm's look and language, no caching.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Needs } from '../services.js';
import type { ClientMetadata } from '../store/clients.js';
import type { Realm } from '../store/realms.js';
import { uiEndpoints } from './endpoints.js';
import { pickLocale } from '../i18n/messages.js';
import type { ClientBranding, RealmView } from './pages.js';
import type { LayoutRealm } from './layout.js';
import { allowImagesFrom, brandingImageHref, themeHref } from './branding.js';

/** What this module uses (services.ts `Needs`). */
export type RenderDeps = Needs<'config'>;

/** Submits the form_post page's form as soon as it is parsed. */
export const formPostScript = "document.getElementById('form-post').submit();\n";

const resource = (s: RenderDeps, path: string): string => `${new URL(s.config.publicUrl).pathname.replace(/\/$/, '')}${path}`;

export function stylesheetHref(s: RenderDeps): string {
  return resource(s, uiEndpoints.stylesheet.path);
}

export function formPostScriptHref(s: RenderDeps): string {
  return resource(s, uiEndpoints.form_post_script.path);
}

/** The WebAuthn pages' scripts: @simplewebauthn/browser's bundle, then the page script that uses it. */
export function webauthnScriptHrefs(s: RenderDeps): string[] {
  return [resource(s, uiEndpoints.webauthn_library.path), resource(s, uiEndpoints.passkey_script.path)];
}

/** The realm as its pages show it: names, language and wording, and its branding (src/ui/branding.ts). */
export function realmView(s: RenderDeps, request: FastifyRequest, realm: Realm, uiLocales?: string): RealmView {
  const acceptLanguage = request.headers['accept-language'] ?? realm.settings.default_locale;
  const locale = pickLocale(uiLocales, acceptLanguage);
  const { branding } = realm.settings;
  return {
    name: realm.name, displayName: realm.displayName, stylesheetHref: stylesheetHref(s), locale,
    overrides: branding.messages[locale],
    themeHref: themeHref(s, realm),
    logoHref: brandingImageHref(s, realm, 'logo'),
    faviconHref: brandingImageHref(s, realm, 'favicon'),
    securedBy: branding.secured_by_strix,
  };
}

/** The realm of the request as a page shows it, or only Strix's stylesheet outside any realm (errors, the form post page). */
export function pageRealm(s: RenderDeps, request: FastifyRequest): LayoutRealm {
  return request.realm ? realmView(s, request, request.realm) : { stylesheetHref: stylesheetHref(s) };
}

export function sendPage(reply: FastifyReply, html: string, status = 200): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html);
}

function httpsUri(uri: string | undefined): string | undefined {
  return uri !== undefined && URL.canParse(uri) && new URL(uri).protocol === 'https:' ? uri : undefined;
}

/**
 * The client's logo, privacy policy and terms (OIDC Registration §2) for the login and consent
 * pages: https URIs only, so that the page never loads or links anything over plain http. The
 * page's CSP then allows images from the logo's origin, and from nowhere else.
 */
export function clientBranding(reply: FastifyReply, metadata: Pick<ClientMetadata, 'logo_uri' | 'policy_uri' | 'tos_uri'>): ClientBranding {
  const logoUri = httpsUri(metadata.logo_uri);
  return { logoUri: logoUri && allowImagesFrom(reply, [logoUri]) ? logoUri : undefined, policyUri: httpsUri(metadata.policy_uri), tosUri: httpsUri(metadata.tos_uri) };
}
