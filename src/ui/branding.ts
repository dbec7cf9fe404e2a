// A realm's branding on its pages (docs/branding.md): the theme stylesheet (colours as CSS custom
// properties, then the realm's own CSS) and the logo and favicon, served as resources of the realm so
// that the pages' CSP stays `style-src 'self'` and a large data: image is not repeated in every page.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PageError } from '../http/errors.js';
import { endpointUrl, route } from '../http/endpoint.js';
import { brandingImageUrl, contentVersion, hexColor, imageDataUrl, imageVersion, plainHttpsOrigin, readableOn, type BrandingImage } from '../realms/branding.js';
import { issuerOf, type Needs } from '../services.js';
import type { Realm, RealmBranding } from '../store/realms.js';
import { uiEndpoints } from './endpoints.js';

/** What this module uses (services.ts `Needs`). */
export type BrandingDeps = Needs<'config'>;

interface Theme { css: string; version: string }

const themes = new WeakMap<RealmBranding, Theme | null>();

/** The realm's colours as the custom properties styles.ts reads, then its own stylesheet; null when it has neither. */
export function themeOf(branding: RealmBranding): Theme | null {
  const cached = themes.get(branding);
  if (cached !== undefined) return cached;
  // Checked when set, and again here: a colour is the only setting written into CSS declarations.
  const [primary, background] = [branding.colors.primary, branding.colors.background].map((color) => (color && hexColor.test(color) ? color : null));
  const properties = [
    ...(primary ? [`--brand: ${primary};`, `--brand-hover: color-mix(in srgb, ${primary} 85%, #000000);`, `--brand-text: ${readableOn(primary)};`, `--focus: ${primary};`] : []),
    ...(background ? [`--bg: ${background};`, `--on-bg: ${readableOn(background)};`] : []),
  ];
  const parts = [
    ...(properties.length ? [`:root {\n  ${properties.join('\n  ')}\n}`] : []),
    ...(branding.stylesheet ? [`/* The realm's stylesheet */\n${branding.stylesheet}`] : []),
  ];
  const theme = parts.length ? { css: parts.join('\n\n') + '\n', version: '' } : null;
  if (theme) theme.version = contentVersion(theme.css);
  themes.set(branding, theme);
  return theme;
}

/** Where a page loads the realm's logo or favicon from: the https URL as set, a data: image from the realm. */
export function brandingImageHref(s: BrandingDeps, realm: Realm, image: BrandingImage): string | undefined {
  return brandingImageUrl(issuerOf(s.config, realm), realm.settings.branding, image);
}

export function themeHref(s: BrandingDeps, realm: Realm): string | undefined {
  const theme = themeOf(realm.settings.branding);
  return theme ? `${endpointUrl(s.config, realm, uiEndpoints.realm_theme)}?v=${theme.version}` : undefined;
}

/** The version in the address is the content's: a matching one may be cached for good, another only revalidated. */
function cacheFor(request: FastifyRequest, reply: FastifyReply, current: string): FastifyReply {
  const asked = (request.query as { v?: unknown } | undefined)?.v;
  return reply.header('cache-control', asked === current ? 'public, max-age=31536000, immutable' : 'no-cache').header('etag', `"${current}"`);
}

/**
 * Lets the page show images from these https URLs' origins (the CSP's img-src); false, and the
 * policy untouched, when one is not a plain https origin or the response has no img-src to extend.
 */
export function allowImagesFrom(reply: FastifyReply, urls: string[]): boolean {
  const origins = [...new Set(urls.map((url) => new URL(url).origin))];
  const policy = reply.getHeader('content-security-policy');
  if (!origins.every((origin) => plainHttpsOrigin.test(origin)) || typeof policy !== 'string' || !/(^|;)\s*img-src /.test(policy)) return false;
  reply.header('content-security-policy', policy.replace(/((?:^|;)\s*img-src [^;]*)/, `$1 ${origins.join(' ')}`));
  return true;
}

export function brandingRoutes(app: FastifyInstance): void {
  // After the realm is resolved (http/realm.ts registers its hook first), for every page of the realm.
  app.addHook('preHandler', (request, reply, done) => {
    const branding = request.realm?.settings.branding;
    const https = [branding?.logo_url, branding?.favicon_url].filter((url): url is string => url?.startsWith('https:') === true);
    if (https.length) allowImagesFrom(reply, https);
    done();
  });

  route(app, uiEndpoints.realm_theme, async (request, reply) => {
    const theme = themeOf(request.realm!.settings.branding);
    if (!theme) throw new PageError('Not found', 'This realm has no theme.', 404);
    return cacheFor(request, reply, theme.version).type('text/css; charset=utf-8').send(theme.css);
  });

  route(app, uiEndpoints.realm_branding_image, async (request, reply) => {
    const { image } = request.params as { image: string };
    const { branding } = request.realm!.settings;
    const url = image === 'logo' || image === 'favicon' ? branding[`${image}_url`] : null;
    const decoded = url?.startsWith('data:') ? imageDataUrl(url) : undefined;
    if (!decoded) throw new PageError('Not found', 'This realm has no such image.', 404);
    // An SVG opened on its own is a document of this origin: it may run nothing and load nothing.
    reply.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox").header('x-content-type-options', 'nosniff');
    return cacheFor(request, reply, imageVersion(branding, image as BrandingImage)).type(decoded.type).send(decoded.bytes);
  });
}
