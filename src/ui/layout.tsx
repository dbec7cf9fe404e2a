import type { ComponentChildren, VNode } from 'preact';
import { render } from 'preact-render-to-string';
import { getMessages, isLocale, type Locale, type MessageOverrides } from '../i18n/messages.js';

/** The realm a page belongs to: its names, look and language (src/ui/render.ts `realmView`). */
export interface RealmView {
  name: string;
  displayName: string;
  stylesheetHref: string;
  /** One of the keys of `messages`; unknown values fall back to English. */
  locale: string;
  /** The realm's wording for `locale` (branding.messages): a RealmView is the `Wording` the message lookups take. */
  overrides?: MessageOverrides;
  /** The realm's theme, loaded after Strix's stylesheet (src/ui/branding.ts). */
  themeHref?: string;
  logoHref?: string;
  faviconHref?: string;
  /** false: no "Secured by Strix" footer. */
  securedBy?: boolean;
}

/** What the shell shows of the realm: pages without one (a server error) have only the stylesheet. */
export type LayoutRealm = Partial<RealmView> & Pick<RealmView, 'stylesheetHref'>;

export interface LayoutProps {
  /** Page title, shown in the browser tab as "{title} · {displayName}". */
  title: string;
  /** Its display name is shown in the header ("Strix" without one). */
  realm: LayoutRealm;
  /** An external script (the CSP allows no inline ones), loaded after the document is parsed. */
  scriptHref?: string;
  /** Further external scripts, in order (the WebAuthn pages: the browser library, then the page's own). */
  scriptHrefs?: string[];
  /** Moves on to `url` after `seconds`, without JavaScript. */
  refresh?: { seconds: number; url: string };
  /** A wider card, for the account pages (their navigation and lists need the room). */
  wide?: boolean;
  children?: ComponentChildren;
}

export const PRODUCT_NAME = 'Strix';

export function resolveLocale(locale: string | undefined): Locale {
  return isLocale(locale) ? locale : 'en';
}

/** The shared document shell: head, realm header, main card and footer. */
export function Layout(props: LayoutProps) {
  const { realm } = props;
  const locale = resolveLocale(realm.locale);
  const t = getMessages(realm);
  const displayName = realm.displayName?.trim() || PRODUCT_NAME;
  const initial = Array.from(displayName)[0]?.toUpperCase() ?? 'S';

  return (
    <html lang={locale}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <meta name="robots" content="noindex, nofollow" />
        <title>{`${props.title} · ${displayName}`}</title>
        <link rel="stylesheet" href={realm.stylesheetHref} />
        {realm.themeHref && <link rel="stylesheet" href={realm.themeHref} />}
        {realm.faviconHref && <link rel="icon" href={realm.faviconHref} />}
        {props.scriptHref && <script src={props.scriptHref} defer />}
        {props.scriptHrefs?.map((src) => <script key={src} src={src} defer />)}
        {props.refresh && <meta http-equiv="refresh" content={`${props.refresh.seconds};url=${props.refresh.url}`} />}
      </head>
      <body>
        <header class="site-header">
          {realm.logoHref ? (
            <img class="realm-logo" src={realm.logoHref} alt={displayName} />
          ) : (
            <span class="realm-name">
              <span class="realm-mark" aria-hidden="true">
                {initial}
              </span>
              <span class="realm-title">{displayName}</span>
            </span>
          )}
        </header>
        <main class={props.wide ? 'card card-wide' : 'card'}>{props.children}</main>
        {realm.securedBy !== false && <footer class="site-footer">{t.securedBy}</footer>}
      </body>
    </html>
  );
}

/** Renders a full HTML document. All text content is escaped by preact. */
export function renderDocument(node: VNode): string {
  return '<!doctype html>' + render(node);
}
