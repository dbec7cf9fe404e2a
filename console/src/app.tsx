// The shell: sidebar navigation with the realm picker, a top bar with the administrator, and the page
// of the current route. At a phone's width the sidebar becomes a menu behind a button.
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import { consoleRealm, signOut, type Administrator } from './auth.js';
import { ClientPage, ClientsPage } from './pages/clients.js';
import { EventsPage } from './pages/events.js';
import { GroupsPage } from './pages/groups.js';
import { KeysPage } from './pages/keys.js';
import { RealmsPage } from './pages/realms.js';
import { RolesPage } from './pages/roles.js';
import { SessionsPage } from './pages/sessions.js';
import { SettingsPage } from './pages/settings.js';
import { UserPage, UsersPage } from './pages/users.js';
import { go, href, useRoute, type Route } from './router.js';
import { ConfirmHost, NoticeHost, useLoad } from './ui.js';

export interface RealmSummary { name: string; display_name?: string }

// Icons are inline SVG paths (24×24, stroked): no icon font, nothing loaded.
const navigation: { section: string; label: string; icon: string }[] = [
  { section: 'realms', label: 'Realms', icon: 'M3 21h18M5 21V8l7-5 7 5v13M9 21v-6h6v6' },
  { section: 'clients', label: 'Clients', icon: 'M4 5h16v11H4zM8 20h8M12 16v4' },
  { section: 'users', label: 'Users', icon: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 21a8 8 0 0 1 16 0' },
  { section: 'roles', label: 'Roles', icon: 'M12 3l8 4v5c0 5-3.5 8-8 9-4.5-1-8-4-8-9V7z' },
  { section: 'groups', label: 'Groups', icon: 'M9 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7zM2 20a7 7 0 0 1 14 0M16 4.5a3.5 3.5 0 0 1 0 6.5M18 14a6 6 0 0 1 4 6' },
  { section: 'sessions', label: 'Sessions', icon: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM12 7v5l3 2' },
  { section: 'events', label: 'Events', icon: 'M3 12h4l3-8 4 16 3-8h4' },
  { section: 'keys', label: 'Keys', icon: 'M14 10a5 5 0 1 0-4.9 4H11v3h3v3h4v-4l-4.3-4.3A5 5 0 0 0 14 10zM7.5 9.5h.01' },
  { section: 'settings', label: 'Settings', icon: 'M4 6h10M18 6h2M4 12h4M12 12h8M4 18h12M20 18h0M16 4v4M10 10v4M18 16v4' },
];

const Icon = ({ d }: { d: string }) => (
  <svg class="nav-icon" viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round"><path d={d} /></svg>
);

function Page({ route, realms, reloadRealms }: { route: Route; realms: RealmSummary[]; reloadRealms: () => void }) {
  const { realm, section, id, tab } = route;
  switch (section) {
    case 'realms': return <RealmsPage realm={realm} realms={realms} reload={reloadRealms} />;
    case 'clients': return id ? <ClientPage realm={realm} clientId={id} /> : <ClientsPage realm={realm} />;
    case 'users': return id ? <UserPage realm={realm} id={id} tab={tab} /> : <UsersPage realm={realm} />;
    case 'roles': return <RolesPage realm={realm} />;
    case 'groups': return <GroupsPage realm={realm} />;
    case 'sessions': return <SessionsPage realm={realm} />;
    case 'events': return <EventsPage realm={realm} />;
    case 'keys': return <KeysPage realm={realm} />;
    default: return <SettingsPage realm={realm} reloadRealms={reloadRealms} />;
  }
}

export function App({ administrator }: { administrator: Administrator }) {
  const route = useRoute();
  const [menuOpen, setMenuOpen] = useState(false);
  const realms = useLoad(() => api<RealmSummary[]>('GET', '/realms?max=1000'), []);
  useEffect(() => { setMenuOpen(false); }, [route.realm, route.section, route.id]);
  // A realm remembered from an earlier visit may be gone since. Checked when the list arrives, not on
  // every route change: a realm just created is in the route before it is in the list being reloaded.
  useEffect(() => {
    if (realms.data && !realms.data.some((r) => r.name === route.realm)) go(consoleRealm, route.section);
  }, [realms.data]);
  const list = realms.data ?? [];
  const known = list.some((r) => r.name === route.realm) ? list : [...list, { name: route.realm }];

  return (
    <div class={`shell${menuOpen ? ' menu-open' : ''}`}>
      <a class="skip" href="#content">Skip to content</a>
      <aside class="sidebar">
        <div class="brand">
          <span class="logo" aria-hidden="true">S</span>
          <span>Strix <small>admin</small></span>
          <button type="button" class="menu-button" aria-expanded={menuOpen} aria-controls="main-nav" onClick={() => setMenuOpen(!menuOpen)}>
            {menuOpen ? 'Close' : 'Menu'}
          </button>
        </div>
        <div id="main-nav" class="nav-area">
          <div class="realm-picker">
            <label for="realm-picker">Realm</label>
            <select id="realm-picker" value={route.realm} onChange={(e) => go(e.currentTarget.value, route.section === 'realms' ? 'realms' : route.section)}>
              {known.map((r) => <option value={r.name} key={r.name}>{r.display_name && r.display_name !== r.name ? `${r.display_name} (${r.name})` : r.name}</option>)}
            </select>
          </div>
          <nav aria-label="Main">
            <ul>
              {navigation.map((item) => (
                <li key={item.section}>
                  <a href={href(route.realm, item.section)} aria-current={route.section === item.section ? 'page' : undefined}>
                    <Icon d={item.icon} />{item.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <div class="who">
            <span class="avatar" aria-hidden="true">{administrator.username.slice(0, 1).toUpperCase()}</span>
            <span class="who-name">{administrator.name ?? administrator.username}<small>{consoleRealm} realm</small></span>
            <button type="button" class="secondary small" onClick={() => void signOut()}>Sign out</button>
          </div>
        </div>
      </aside>
      <main id="content" tabIndex={-1}>
        <NoticeHost />
        <Page key={`${route.realm}/${route.section}/${route.id ?? ''}`} route={route} realms={list} reloadRealms={realms.reload} />
      </main>
      <ConfirmHost />
    </div>
  );
}
