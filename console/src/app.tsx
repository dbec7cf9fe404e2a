// The shell: sidebar navigation with the realm picker, a top bar with the administrator, and the page
// of the current route. At a phone's width the sidebar becomes a menu behind a button.
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import { signOut, type Administrator } from './auth.js';
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

const navigation: { section: string; label: string; icon: string }[] = [
  { section: 'realms', label: 'Realms', icon: '◫' },
  { section: 'clients', label: 'Clients', icon: '⧉' },
  { section: 'users', label: 'Users', icon: '◉' },
  { section: 'roles', label: 'Roles', icon: '◆' },
  { section: 'groups', label: 'Groups', icon: '❖' },
  { section: 'sessions', label: 'Sessions', icon: '◷' },
  { section: 'events', label: 'Events', icon: '≡' },
  { section: 'keys', label: 'Keys', icon: '⚿' },
  { section: 'settings', label: 'Settings', icon: '⚙' },
];

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
                    <span class="nav-icon" aria-hidden="true">{item.icon}</span>{item.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <div class="who">
            <span class="avatar" aria-hidden="true">{administrator.username.slice(0, 1).toUpperCase()}</span>
            <span class="who-name">{administrator.name ?? administrator.username}<small>master realm</small></span>
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
