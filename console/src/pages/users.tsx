// Users: search as you type (debounced, paged by the API's first/max), create, and one user's
// details, password, roles, groups, sessions, consents and second factors.
import { useState } from 'preact/hooks';
import { api, query, seg } from '../api.js';
import { go, href } from '../router.js';
import { act, Badge, Card, Check, confirmAction, Dialog, PageHead, Pager, Status, TextField, useDebounced, useLoad, when } from '../ui.js';
import type { Session } from './sessions.js';

export interface User {
  id: string; username: string; email?: string | null; given_name?: string; family_name?: string; name?: string;
  email_verified?: boolean; enabled: boolean; roles: string[]; required_actions: string[]; [claim: string]: unknown;
}

const pageSize = 20;
const displayName = (u: User) => u.name ?? ([u.given_name, u.family_name].filter(Boolean).join(' ') || '—');

export function UsersPage({ realm }: { realm: string }) {
  const [search, setSearch] = useState('');
  const [first, setFirst] = useState(0);
  const [creating, setCreating] = useState(false);
  const term = useDebounced(search.trim(), 250);
  // One more than a page: whether there is a next page, without counting 100,000 users.
  const users = useLoad(() => api<User[]>('GET', `/realms/${seg(realm)}/users${query({ search: term, first, max: pageSize + 1 })}`), [realm, term, first]);
  const rows = users.data?.slice(0, pageSize);

  return (
    <>
      <PageHead title="Users" subtitle={<>People who sign in to realm <strong>{realm}</strong>.</>}>
        <button type="button" onClick={() => setCreating(true)}>Create user</button>
      </PageHead>
      <Card>
        <div class="toolbar">
          <div class="search">
            <label for="user-search" class="visually-hidden">Search users</label>
            <input id="user-search" type="search" placeholder="Search by username, e-mail or name" value={search}
              onInput={(e) => { setSearch(e.currentTarget.value); setFirst(0); }} />
          </div>
          {users.loading && <span class="muted small-text" aria-live="polite">Searching…</span>}
        </div>
        <Status loaded={{ ...users, data: rows }} empty={term ? `No user matches “${term}”.` : 'No users yet.'}>
          {(list) => (
            <div class="table-wrap" tabIndex={0}>
              <table>
                <thead><tr><th scope="col">Username</th><th scope="col" class="hide-phone">E-mail</th><th scope="col">Name</th><th scope="col">Status</th></tr></thead>
                <tbody>
                  {list.map((u) => (
                    <tr key={u.id}>
                      <td><a href={href(realm, 'users', u.id)}>{u.username}</a></td>
                      <td class="hide-phone">{u.email ?? '—'}</td>
                      <td>{displayName(u)}</td>
                      <td>{u.enabled ? <Badge tone="green">Enabled</Badge> : <Badge tone="gray">Disabled</Badge>}
                        {u.required_actions.includes('update_password') && <> <Badge tone="amber">Temporary password</Badge></>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Status>
        <Pager first={first} size={pageSize} shown={rows?.length ?? 0} more={(users.data?.length ?? 0) > pageSize} onPage={setFirst} />
      </Card>
      {creating && <CreateUser realm={realm} onClose={() => setCreating(false)} />}
    </>
  );
}

function CreateUser({ realm, onClose }: { realm: string; onClose: () => void }) {
  const [form, setForm] = useState({ username: '', email: '', given_name: '', family_name: '', password: '' });
  const [temporary, setTemporary] = useState(true);
  const set = (name: keyof typeof form) => (value: string) => setForm({ ...form, [name]: value });
  async function submit(event: Event) {
    event.preventDefault();
    let created: User | undefined;
    const ok = await act(async () => {
      created = await api<User>('POST', `/realms/${seg(realm)}/users`, {
        username: form.username.trim(), ...(form.email ? { email: form.email.trim() } : {}),
        ...(form.given_name ? { given_name: form.given_name } : {}), ...(form.family_name ? { family_name: form.family_name } : {}),
      });
      if (form.password) await api('PUT', `/realms/${seg(realm)}/users/${seg(created.id)}/password`, { password: form.password, temporary });
    }, `Created user ${form.username.trim()}.`);
    if (created) go(realm, 'users', created.id);
    if (ok) onClose();
  }
  return (
    <Dialog title="Create user" onClose={onClose}>
      <form onSubmit={submit}>
        <TextField label="Username" value={form.username} onInput={set('username')} required autoComplete="off" />
        <TextField label="E-mail" type="email" value={form.email} onInput={set('email')} autoComplete="off" />
        <div class="two">
          <TextField label="Given name" value={form.given_name} onInput={set('given_name')} />
          <TextField label="Family name" value={form.family_name} onInput={set('family_name')} />
        </div>
        <TextField label="Initial password" type="password" value={form.password} onInput={set('password')} autoComplete="new-password" hint="Optional. The realm's password policy applies." />
        <Check label="Temporary: the user chooses a new one at first sign-in" checked={temporary} onChange={setTemporary} />
        <div class="actions">
          <button type="button" class="secondary" onClick={onClose}>Cancel</button>
          <button type="submit">Create user</button>
        </div>
      </form>
    </Dialog>
  );
}

const tabs = [
  { tab: 'details', label: 'Details' }, { tab: 'password', label: 'Password' }, { tab: 'roles', label: 'Roles' },
  { tab: 'groups', label: 'Groups' }, { tab: 'sessions', label: 'Sessions' }, { tab: 'consents', label: 'Consents' },
  { tab: 'factors', label: 'Second factors' },
];

export function UserPage({ realm, id, tab = 'details' }: { realm: string; id: string; tab?: string }) {
  const user = useLoad(() => api<User>('GET', `/realms/${seg(realm)}/users/${seg(id)}`), [realm, id]);
  const path = `/realms/${seg(realm)}/users/${seg(id)}`;
  if (!user.data) return <><PageHead title="User" /><p class="muted">{user.error ?? 'Loading…'}</p></>;
  const u = user.data;

  async function remove() {
    if (!(await confirmAction(`Delete user ${u.username}?`, 'Delete user'))) return;
    if (await act(() => api('DELETE', path), `Deleted user ${u.username}.`)) go(realm, 'users');
  }
  async function toggle() {
    const enabled = !u.enabled;
    if (!enabled && !(await confirmAction(`Disable user ${u.username}?`, 'Disable user'))) return;
    if (await act(() => api('PUT', path, { ...u, enabled }), `${enabled ? 'Enabled' : 'Disabled'} ${u.username}.`)) user.reload();
  }

  return (
    <>
      <p class="crumbs"><a href={href(realm, 'users')}>Users</a> / {u.username}</p>
      <PageHead title={u.username} subtitle={<>{u.email ?? 'No e-mail'} · {u.enabled ? <Badge tone="green">Enabled</Badge> : <Badge tone="gray">Disabled</Badge>}
        {u.required_actions.map((a) => <> <Badge tone="amber" key={a}>{a.replace(/_/g, ' ')}</Badge></>)}</>}>
        <button type="button" class="secondary" onClick={toggle}>{u.enabled ? 'Disable' : 'Enable'}</button>
        <button type="button" class="danger" onClick={remove}>Delete</button>
      </PageHead>
      <nav class="tabs" aria-label="User">
        {tabs.map((t) => <a key={t.tab} href={href(realm, 'users', id, t.tab)} aria-current={tab === t.tab ? 'page' : undefined}>{t.label}</a>)}
      </nav>
      {tab === 'details' && <UserDetails path={path} user={u} reload={user.reload} />}
      {tab === 'details' && <UserActionsEmail realm={realm} path={path} user={u} reload={user.reload} />}
      {tab === 'password' && <UserPassword path={path} user={u} reload={user.reload} />}
      {tab === 'roles' && <UserRoles realm={realm} path={path} user={u} reload={user.reload} />}
      {tab === 'groups' && <UserGroups realm={realm} path={path} />}
      {tab === 'sessions' && <UserSessions path={path} user={u} realm={realm} />}
      {tab === 'consents' && <UserConsents path={path} user={u} />}
      {tab === 'factors' && <UserFactors path={path} user={u} />}
    </>
  );
}

function UserDetails({ path, user, reload }: { path: string; user: User; reload: () => void }) {
  const [form, setForm] = useState({ email: user.email ?? '', given_name: user.given_name ?? '', family_name: user.family_name ?? '', phone_number: String(user.phone_number ?? '') });
  const [verified, setVerified] = useState(Boolean(user.email_verified));
  const set = (name: keyof typeof form) => (value: string) => setForm({ ...form, [name]: value });
  async function save(event: Event) {
    event.preventDefault();
    const claims = Object.fromEntries(Object.entries(form).map(([k, v]) => [k, v.trim() || undefined]));
    const body = { ...user, ...claims, email: form.email.trim() || null, email_verified: verified };
    if (await act(() => api('PUT', path, body), `Saved ${user.username}.`)) reload();
  }
  return (
    <Card title="Profile">
      <form onSubmit={save} class="form">
        <TextField label="E-mail" type="email" value={form.email} onInput={set('email')} />
        <Check label="E-mail verified" checked={verified} onChange={setVerified} />
        <div class="two">
          <TextField label="Given name" value={form.given_name} onInput={set('given_name')} />
          <TextField label="Family name" value={form.family_name} onInput={set('family_name')} />
        </div>
        <TextField label="Phone number" value={form.phone_number} onInput={set('phone_number')} />
        <p class="hint">User id (the <code>sub</code> of their tokens): <code>{user.id}</code></p>
        <div class="actions start"><button type="submit">Save</button></div>
      </form>
    </Card>
  );
}

/** Keycloak's required actions, as execute-actions-email takes them, in the order they run. */
const requiredActions: [string, string][] = [
  ['update_password', 'Update password'], ['verify_email', 'Verify e-mail'], ['update_profile', 'Update profile'],
  ['configure_totp', 'Set up an authenticator app'], ['terms_and_conditions', 'Accept the terms'],
];

/** execute-actions-email: a link that runs the chosen actions; off (and saying why) without an address or mail. */
function UserActionsEmail({ realm, path, user, reload }: { realm: string; path: string; user: User; reload: () => void }) {
  const settings = useLoad(() => api<{ mail_enabled?: boolean }>('GET', `/realms/${seg(realm)}`), [realm]);
  const [chosen, setChosen] = useState(new Set<string>());
  const flip = (name: string, on: boolean) => { const next = new Set(chosen); if (on) next.add(name); else next.delete(name); setChosen(next); };
  const why = !user.email ? 'The user has no e-mail address.'
    : settings.data?.mail_enabled === false ? 'The realm cannot send mail: set STRIX_SMTP_URL, or the realm\'s smtp setting.' : undefined;
  async function send(event: Event) {
    event.preventDefault();
    if (await act(() => api('PUT', `${path}/execute-actions-email`, requiredActions.map(([a]) => a).filter((a) => chosen.has(a))), `Sent ${user.username} an e-mail with actions.`)) {
      setChosen(new Set());
      reload();
    }
  }
  return (
    <Card title="E-mail actions">
      <form onSubmit={send} class="form">
        <fieldset disabled={why !== undefined || !settings.data}>
          <legend class="hint">The user gets a link that runs these in their browser (once, for 12 hours); until then they are asked at the next sign-in.</legend>
          {requiredActions.map(([name, label]) => <Check key={name} label={label} checked={chosen.has(name)} onChange={(on) => flip(name, on)} />)}
        </fieldset>
        {why && <p class="hint" role="note">{why}</p>}
        <div class="actions start"><button type="submit" disabled={why !== undefined || !settings.data || chosen.size === 0}>Send an e-mail with actions</button></div>
      </form>
    </Card>
  );
}

function UserPassword({ path, user, reload }: { path: string; user: User; reload: () => void }) {
  const [password, setPassword] = useState('');
  const [temporary, setTemporary] = useState(true);
  async function submit(event: Event) {
    event.preventDefault();
    if (await act(() => api('PUT', `${path}/password`, { password, temporary }), `Set a ${temporary ? 'temporary ' : ''}password for ${user.username}.`)) {
      setPassword('');
      reload();
    }
  }
  return (
    <Card title="Set password">
      <form onSubmit={submit} class="form">
        <TextField label="New password" type="password" value={password} onInput={setPassword} required autoComplete="new-password" hint="The realm's password policy applies, history included." />
        <Check label="Temporary: the user must choose a new password at the next sign-in" checked={temporary} onChange={setTemporary} />
        <div class="actions start"><button type="submit">Set password</button></div>
      </form>
    </Card>
  );
}

function UserRoles({ realm, path, user, reload }: { realm: string; path: string; user: User; reload: () => void }) {
  const roles = useLoad(() => api<{ name: string; description: string | null }[]>('GET', `/realms/${seg(realm)}/roles?max=1000`), [realm]);
  const [chosen, setChosen] = useState(new Set(user.roles));
  const flip = (name: string, on: boolean) => { const next = new Set(chosen); if (on) next.add(name); else next.delete(name); setChosen(next); };
  async function save() {
    if (await act(() => api('PUT', `${path}/roles`, [...chosen]), `Saved the roles of ${user.username}.`)) reload();
  }
  return (
    <Card title="Realm roles" actions={<button type="button" onClick={save}>Save roles</button>}>
      <Status loaded={roles} empty="The realm defines no roles yet.">
        {(list) => <fieldset class="checks"><legend class="visually-hidden">Roles of {user.username}</legend>
          {list.map((r) => <Check key={r.name} label={r.name} hint={r.description ?? undefined} checked={chosen.has(r.name)} onChange={(on) => flip(r.name, on)} />)}</fieldset>}
      </Status>
    </Card>
  );
}

interface Group { id: string; name: string; path: string }

function UserGroups({ realm, path }: { realm: string; path: string }) {
  const groups = useLoad(() => api<Group[]>('GET', `${path}/groups`), [path]);
  const all = useLoad(() => api<Group[]>('GET', `/realms/${seg(realm)}/groups?max=1000`), [realm]);
  const [join, setJoin] = useState('');
  async function leave(group: Group) {
    if (!(await confirmAction(`Remove the user from group ${group.path}?`, 'Leave group'))) return;
    if (await act(() => api('DELETE', `${path}/groups/${seg(group.id)}`), `Left ${group.path}.`)) groups.reload();
  }
  async function add(event: Event) {
    event.preventDefault();
    if (join && await act(() => api('PUT', `${path}/groups/${seg(join)}`), 'Joined the group.')) { setJoin(''); groups.reload(); }
  }
  return (
    <Card title="Groups">
      <form class="inline-form" onSubmit={add}>
        <label for="join-group">Add to group</label>
        <select id="join-group" value={join} onChange={(e) => setJoin(e.currentTarget.value)}>
          <option value="">Choose a top-level group…</option>
          {(all.data ?? []).map((g) => <option key={g.id} value={g.id}>{g.path}</option>)}
        </select>
        <button type="submit" class="secondary" disabled={!join}>Add</button>
      </form>
      <Status loaded={groups} empty="Not a member of any group.">
        {(list) => <ul class="plain-list">{list.map((g) => <li key={g.id}><span>{g.path}</span><button type="button" class="secondary small" onClick={() => leave(g)}>Leave</button></li>)}</ul>}
      </Status>
    </Card>
  );
}

function UserSessions({ realm, path, user }: { realm: string; path: string; user: User }) {
  const sessions = useLoad(() => api<Session[]>('GET', `${path}/sessions`), [path]);
  async function end(session: Session) {
    if (!(await confirmAction(`Sign ${user.username} out of the session started ${when(session.started)}?`, 'Sign out'))) return;
    if (await act(() => api('DELETE', `/realms/${seg(realm)}/sessions/${seg(session.id)}`), 'Session ended.')) sessions.reload();
  }
  async function everywhere() {
    if (!(await confirmAction(`Sign ${user.username} out everywhere?`, 'Sign out everywhere'))) return;
    if (await act(() => api('POST', `${path}/logout`), `Signed ${user.username} out everywhere.`)) sessions.reload();
  }
  return (
    <Card title="Sessions" actions={<button type="button" class="secondary" onClick={everywhere}>Sign out everywhere</button>}>
      <Status loaded={sessions} empty="No live sessions.">
        {(list) => <div class="table-wrap" tabIndex={0}><table>
          <thead><tr><th scope="col">Started</th><th scope="col">Last access</th><th scope="col">Clients</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>{list.map((s) => <tr key={s.id}><td>{when(s.started)}</td><td>{when(s.last_access)}</td><td>{s.clients.join(', ') || '—'}</td>
            <td class="row-actions"><button type="button" class="secondary small" onClick={() => end(s)}>Sign out</button></td></tr>)}</tbody>
        </table></div>}
      </Status>
    </Card>
  );
}

function UserConsents({ path, user }: { path: string; user: User }) {
  const consents = useLoad(() => api<{ client_id: string; scopes: string[] }[]>('GET', `${path}/consents`), [path]);
  async function revoke(clientId: string) {
    if (!(await confirmAction(`Revoke ${user.username}'s consent to ${clientId}?`, 'Revoke consent'))) return;
    if (await act(() => api('DELETE', `${path}/consents/${seg(clientId)}`), `Revoked the consent to ${clientId}.`)) consents.reload();
  }
  return (
    <Card title="Consents">
      <Status loaded={consents} empty="No consents given.">
        {(list) => <ul class="plain-list">{list.map((c) => <li key={c.client_id}><span><strong>{c.client_id}</strong> <span class="muted">{c.scopes.join(' ')}</span></span>
          <button type="button" class="secondary small" onClick={() => revoke(c.client_id)}>Revoke</button></li>)}</ul>}
      </Status>
    </Card>
  );
}

function UserFactors({ path, user }: { path: string; user: User }) {
  const factors = useLoad(() => api<{ id: string; type: string; device_type?: string; remaining?: number }[]>('GET', `${path}/credentials`), [path]);
  const describe = (f: { type: string; device_type?: string; remaining?: number }) =>
    f.type === 'otp' ? 'Authenticator app' : f.type === 'passkey' ? `Passkey${f.device_type ? ` (${f.device_type})` : ''}` : `Recovery codes (${f.remaining ?? 0} left)`;
  async function reset(factor: { id: string; type: string }) {
    if (!(await confirmAction(`Remove ${user.username}'s ${describe(factor).toLowerCase()}?`, 'Remove'))) return;
    if (await act(() => api('DELETE', `${path}/credentials/${seg(factor.id)}`), 'Second factor removed.')) factors.reload();
  }
  return (
    <Card title="Second factors">
      <Status loaded={factors} empty="No second factor set up.">
        {(list) => <ul class="plain-list">{list.map((f) => <li key={f.id}><span>{describe(f)}</span>
          <button type="button" class="secondary small" onClick={() => reset(f)}>Reset</button></li>)}</ul>}
      </Status>
    </Card>
  );
}
