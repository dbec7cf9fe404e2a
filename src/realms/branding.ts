// The realm setting `branding` (docs/branding.md): logo, favicon, colours, a stylesheet, the footer and
// the realm's own wording. It is data, checked here field by field, so no value can break a page.
import { createHash } from 'node:crypto';
import { isObject } from '../json.js';
import { messageKeys, supportedLocales } from '../i18n/catalogue.js';
import { defaultBranding, type RealmBranding } from '../store/realms.js';
import { ValidationError } from '../validation.js';

/** Caps that keep a realm's settings (cached in memory on every node) small. */
export const brandingLimits = { logoBytes: 256 * 1024, faviconBytes: 64 * 1024, stylesheetBytes: 64 * 1024, messageChars: 2_000 } as const;

const imageTypes = ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/svg+xml', 'image/x-icon', 'image/vnd.microsoft.icon'];
/** An https origin with nothing in it that could end a CSP source expression (the page's img-src gets it). */
export const plainHttpsOrigin = /^https:\/\/([A-Za-z0-9-]+\.)*[A-Za-z0-9-]+(:\d{1,5})?$/;
export const hexColor = /^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;

/** Where, under its issuer, a realm serves the data: images of its branding (ui/branding.ts): pages and e-mails load them from there. */
export const brandingImagesPath = '/resources/branding';

export type BrandingImage = 'logo' | 'favicon';

/** A short digest of a resource's content, put in its address so that a changed one is fetched anew. */
export const contentVersion = (data: string | Buffer): string => createHash('sha256').update(data).digest('base64url').slice(0, 16);

const imageVersions = new WeakMap<RealmBranding, Partial<Record<BrandingImage, string>>>();

/** The version of a data: image in the realm's address for it (computed once per stored branding). */
export function imageVersion(branding: RealmBranding, image: BrandingImage): string {
  const versions = imageVersions.get(branding) ?? {};
  imageVersions.set(branding, versions);
  return (versions[image] ??= contentVersion(branding[`${image}_url`] ?? ''));
}

/** Where the realm's logo or favicon is loaded from: its https URL as set, or the realm's own address for a data: image. */
export function brandingImageUrl(issuer: string, branding: RealmBranding, image: BrandingImage): string | undefined {
  const url = branding[`${image}_url`];
  if (!url?.startsWith('data:')) return url ?? undefined;
  return `${issuer}${brandingImagesPath}/${image}?v=${imageVersion(branding, image)}`;
}

/** Relative luminance (WCAG 2.x) of a `#rgb` / `#rrggbb` colour. */
function luminance(hex: string): number {
  const digits = hex.length === 4 ? [...hex.slice(1)].map((d) => d + d) : [hex.slice(1, 3), hex.slice(3, 5), hex.slice(5, 7)];
  const [r, g, b] = digits.map((d) => {
    const c = Number.parseInt(d, 16) / 255;
    return c <= 0.039_28 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

/** Text that stays readable on `hex`: near-black on light colours, white on dark ones. */
export const readableOn = (hex: string): string => (luminance(hex) > 0.4 ? '#111827' : '#ffffff');

/** A decoded `data:` URL of an image, or undefined when `url` is not one. */
export function imageDataUrl(url: string): { type: string; bytes: Buffer } | undefined {
  const match = /^data:([a-z0-9.+/-]+)(;charset=[A-Za-z0-9_-]+)?(;base64)?,(.*)$/s.exec(url);
  if (!match || !imageTypes.includes(match[1]!.toLowerCase())) return undefined;
  const body = match[4]!;
  if (match[3]) return /^[A-Za-z0-9+/]*={0,2}$/.test(body) ? { type: match[1]!.toLowerCase(), bytes: Buffer.from(body, 'base64') } : undefined;
  try {
    return { type: match[1]!.toLowerCase(), bytes: Buffer.from(decodeURIComponent(body), 'utf8') };
  } catch {
    return undefined;
  }
}

function imageUrl(value: unknown, where: string, maxBytes: number): string | null {
  if (value === null) return null;
  const problem = `must be null, an https URL or a data: URL of an image (png, jpeg, gif, webp, svg, ico) of at most ${maxBytes / 1024} KiB`;
  if (typeof value !== 'string') throw new ValidationError(where, problem);
  if (value.startsWith('data:')) {
    const image = imageDataUrl(value);
    if (!image || value.length > maxBytes * 1.4) throw new ValidationError(where, problem);
    if (image.bytes.length > maxBytes) throw new ValidationError(where, `is ${Math.ceil(image.bytes.length / 1024)} KiB: an image of at most ${maxBytes / 1024} KiB`);
    return value;
  }
  if (value.length > 2_048 || !URL.canParse(value) || /[\s"'()\\]/.test(value)) throw new ValidationError(where, problem);
  const url = new URL(value);
  if (url.protocol !== 'https:' || url.username || url.password || !plainHttpsOrigin.test(url.origin)) throw new ValidationError(where, problem);
  return url.href;
}

function color(value: unknown, where: string): string | null {
  if (value === null) return null;
  if (typeof value !== 'string' || !hexColor.test(value)) throw new ValidationError(where, 'must be a hex colour like "#1a73e8" or "#17e", or null');
  return value.toLowerCase();
}

function colors(value: unknown, where: string): RealmBranding['colors'] {
  if (!isObject(value)) throw new ValidationError(where, 'must be {"primary": "#rrggbb", "background": "#rrggbb"}');
  const result = { ...defaultBranding.colors };
  for (const [key, raw] of Object.entries(value)) {
    if (key !== 'primary' && key !== 'background') throw new ValidationError(`${where}.${key}`, 'is not a colour of the theme (known: primary, background)');
    result[key] = color(raw, `${where}.${key}`);
  }
  return result;
}

function stylesheet(value: unknown, where: string): string | null {
  if (value === null) return null;
  if (typeof value !== 'string') throw new ValidationError(where, 'must be CSS text or null');
  if (Buffer.byteLength(value) > brandingLimits.stylesheetBytes) throw new ValidationError(where, `must be at most ${brandingLimits.stylesheetBytes / 1024} KiB of CSS`);
  return value;
}

function messages(value: unknown, where: string): RealmBranding['messages'] {
  if (!isObject(value)) throw new ValidationError(where, 'must be {"<locale>": {"<message key>": "text"}}');
  const result: RealmBranding['messages'] = {};
  for (const [locale, texts] of Object.entries(value)) {
    const at = `${where}.${locale}`;
    if (!supportedLocales.includes(locale)) throw new ValidationError(at, `is not a locale of the pages (known: ${supportedLocales.join(', ')})`);
    if (!isObject(texts)) throw new ValidationError(at, 'must be {"<message key>": "text"}');
    result[locale] = {};
    for (const [key, text] of Object.entries(texts)) {
      if (!messageKeys.has(key)) throw new ValidationError(`${at}.${key}`, 'is not a message key (docs/branding.md lists where to find them)');
      if (typeof text !== 'string' || text.trim() === '' || text.length > brandingLimits.messageChars) {
        throw new ValidationError(`${at}.${key}`, `must be a text of 1 to ${brandingLimits.messageChars} characters`);
      }
      result[locale][key] = text;
    }
  }
  return result;
}

/**
 * The branding as the admin API and exports show it: overrides of messages this version no longer
 * has (renamed or removed on an upgrade) are left out, as pages ignore them, so that what GET
 * answers can be PUT back.
 */
export function currentBranding(branding: RealmBranding): RealmBranding {
  const messages = Object.fromEntries(Object.entries(branding.messages)
    .map(([locale, texts]) => [locale, Object.fromEntries(Object.entries(texts).filter(([key]) => messageKeys.has(key)))]));
  return { ...branding, messages };
}

/** A partial `branding` object merges over the defaults; unknown keys are refused. */
export function parseBranding(value: unknown, where: string): RealmBranding {
  if (!isObject(value)) throw new ValidationError(where, 'must be an object (docs/branding.md)');
  const branding: RealmBranding = { ...defaultBranding };
  for (const [key, raw] of Object.entries(value)) {
    const at = `${where}.${key}`;
    if (key === 'logo_url') branding.logo_url = imageUrl(raw, at, brandingLimits.logoBytes);
    else if (key === 'favicon_url') branding.favicon_url = imageUrl(raw, at, brandingLimits.faviconBytes);
    else if (key === 'colors') branding.colors = colors(raw, at);
    else if (key === 'stylesheet') branding.stylesheet = stylesheet(raw, at);
    else if (key === 'messages') branding.messages = messages(raw, at);
    else if (key === 'secured_by_strix') {
      if (typeof raw !== 'boolean') throw new ValidationError(at, 'must be true or false');
      branding.secured_by_strix = raw;
    } else throw new ValidationError(at, `is not a branding setting (known: ${Object.keys(defaultBranding).join(', ')})`);
  }
  return branding;
}
