// Realms: the list, creating one, and deleting one (never master).
import { useState } from 'preact/hooks';
import { api, seg } from '../api.js';
import { consoleRealm } from '../auth.js';
import type { RealmSummary } from '../app.js';
import { go, href } from '../router.js';
import { act, Badge, Card, confirmAction, Dialog, PageHead, TextField } from '../ui.js';

export function RealmsPage({ realm, realms, reload }: { realm: string; realms: RealmSummary[]; reload: () => void }) {
  const [creating, setCreating] = useState(false);
  async function remove(name: string) {
    if (!(await confirmAction(`Delete realm ${name}?`, 'Delete realm'))) return;
    if (await act(() => api('DELETE', `/realms/${seg(name)}`), `Deleted realm ${name}.`)) {
      reload();
      if (name === realm) go(consoleRealm, 'realms');
    }
  }
  return (
    <>
      <PageHead title="Realms" subtitle="Each realm has its own users, clients, roles, keys and settings.">
        <button type="button" onClick={() => setCreating(true)}>Create realm</button>
      </PageHead>
      <Card>
        <div class="table-wrap" tabIndex={0}><table>
          <thead><tr><th scope="col">Name</th><th scope="col">Display name</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>{realms.map((r) => <tr key={r.name}>
            <td><a href={href(r.name, 'users')}>{r.name}</a> {r.name === realm && <Badge tone="blue">Current</Badge>}</td>
            <td>{r.display_name ?? '—'}</td>
            <td class="row-actions">
              <a class="button secondary small" href={href(r.name, 'settings')}>Settings</a>
              {r.name !== 'master' && <button type="button" class="secondary small" aria-label={`Delete realm ${r.name}`} onClick={() => remove(r.name)}>Delete</button>}
            </td>
          </tr>)}</tbody>
        </table></div>
      </Card>
      {creating && <CreateRealm onClose={() => setCreating(false)} onCreated={(name) => { reload(); go(name, 'settings'); }} />}
    </>
  );
}

function CreateRealm({ onClose, onCreated }: { onClose: () => void; onCreated: (name: string) => void }) {
  const [name, setName] = useState('');
  const [displayName, setDisplayName] = useState('');
  async function submit(event: Event) {
    event.preventDefault();
    const body = { name: name.trim(), ...(displayName.trim() ? { display_name: displayName.trim() } : {}) };
    if (await act(() => api('POST', '/realms', body), `Created realm ${body.name}.`)) { onClose(); onCreated(body.name); }
  }
  return (
    <Dialog title="Create realm" onClose={onClose}>
      <form onSubmit={submit}>
        <TextField label="Realm name" hint="Part of the issuer URL: letters, digits, - and _." value={name} onInput={setName} required autoComplete="off" />
        <TextField label="Display name" hint="What the sign-in pages show." value={displayName} onInput={setDisplayName} />
        <div class="actions">
          <button type="button" class="secondary" onClick={onClose}>Cancel</button>
          <button type="submit">Create realm</button>
        </div>
      </form>
    </Dialog>
  );
}
