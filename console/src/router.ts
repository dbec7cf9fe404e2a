// Hash routes, so that the server serves one page and the redirect URI stays /admin/:
// #/{realm}/{section}/{id}/{tab}.
import { useEffect, useState } from 'preact/hooks';
import { consoleRealm } from './auth.js';

export interface Route { realm: string; section: string; id?: string; tab?: string }

export const sections = ['realms', 'clients', 'users', 'roles', 'groups', 'sessions', 'events', 'keys', 'settings'] as const;
export type Section = typeof sections[number];

const lastRealmKey = 'strix-console.realm';

export function parseRoute(hash: string): Route {
  const [realm, section, id, tab] = hash.replace(/^#\/?/, '').split('/').map((part) => decodeURIComponent(part));
  return {
    // Another realm's console shows that realm alone.
    realm: consoleRealm !== 'master' ? consoleRealm : realm || localStorage.getItem(lastRealmKey) || 'master',
    section: section && (sections as readonly string[]).includes(section) ? section : 'users',
    id: id || undefined, tab: tab || undefined,
  };
}

export function href(realm: string, section: string, id?: string, tab?: string): string {
  return `#/${[realm, section, id, tab].filter((p): p is string => p !== undefined).map(encodeURIComponent).join('/')}`;
}

export function go(realm: string, section: string, id?: string, tab?: string): void {
  location.hash = href(realm, section, id, tab);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  useEffect(() => { localStorage.setItem(lastRealmKey, route.realm); }, [route.realm]);
  return route;
}
