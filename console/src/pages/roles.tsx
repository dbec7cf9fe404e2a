// Realm roles with their composites (a composite brings the roles it names to whoever holds it).
import { useState } from 'preact/hooks';
import { api, seg } from '../api.js';
import { act, Badge, Card, Check, confirmAction, Dialog, PageHead, Status, TextField, useLoad } from '../ui.js';

interface Role { name: string; description: string | null; composites: string[] }

export function RolesPage({ realm }: { realm: string }) {
  const path = `/realms/${seg(realm)}/roles`;
  const roles = useLoad(() => api<Role[]>('GET', `${path}?max=1000`), [realm]);
  const [editing, setEditing] = useState<Role | 'new'>();
  async function remove(role: Role) {
    if (!(await confirmAction(`Delete role ${role.name}?`, 'Delete role'))) return;
    if (await act(() => api('DELETE', `${path}/${seg(role.name)}`), `Deleted role ${role.name}.`)) roles.reload();
  }
  return (
    <>
      <PageHead title="Roles" subtitle="Realm roles appear in the roles claim of tokens; composites bring other roles along.">
        <button type="button" onClick={() => setEditing('new')}>Create role</button>
      </PageHead>
      <Card>
        <Status loaded={roles} empty="No roles yet.">
          {(list) => <div class="table-wrap" tabIndex={0}><table>
            <thead><tr><th scope="col">Role</th><th scope="col">Description</th><th scope="col">Composites</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
            <tbody>{list.map((r) => <tr key={r.name}><td><strong>{r.name}</strong></td><td>{r.description ?? '—'}</td>
              <td>{r.composites.length ? r.composites.map((c) => <Badge tone="blue" key={c}>{c}</Badge>) : '—'}</td>
              <td class="row-actions">
                <button type="button" class="secondary small" aria-label={`Edit role ${r.name}`} onClick={() => setEditing(r)}>Edit</button>
                <button type="button" class="secondary small" aria-label={`Delete role ${r.name}`} onClick={() => remove(r)}>Delete</button>
              </td></tr>)}</tbody>
          </table></div>}
        </Status>
      </Card>
      {editing && <RoleForm path={path} role={editing === 'new' ? undefined : editing} all={roles.data ?? []} onClose={() => { setEditing(undefined); roles.reload(); }} />}
    </>
  );
}

function RoleForm({ path, role, all, onClose }: { path: string; role?: Role; all: Role[]; onClose: () => void }) {
  const [name, setName] = useState(role?.name ?? '');
  const [description, setDescription] = useState(role?.description ?? '');
  const [composites, setComposites] = useState(new Set(role?.composites ?? []));
  const flip = (n: string, on: boolean) => { const next = new Set(composites); if (on) next.add(n); else next.delete(n); setComposites(next); };
  async function submit(event: Event) {
    event.preventDefault();
    const body = { name: name.trim(), description: description.trim() || null, composites: [...composites] };
    const ok = await act(() => (role ? api('PUT', `${path}/${seg(role.name)}`, body) : api('POST', path, body)), `Saved role ${body.name}.`);
    if (ok) onClose();
  }
  const others = all.filter((r) => r.name !== role?.name);
  return (
    <Dialog title={role ? `Edit role ${role.name}` : 'Create role'} onClose={onClose}>
      <form onSubmit={submit}>
        {!role && <TextField label="Role name" hint="No spaces or commas." value={name} onInput={setName} required autoComplete="off" />}
        <TextField label="Description" value={description} onInput={setDescription} />
        {others.length > 0 && <fieldset class="checks"><legend>Composites</legend>
          {others.map((r) => <Check key={r.name} label={r.name} checked={composites.has(r.name)} onChange={(on) => flip(r.name, on)} />)}</fieldset>}
        <div class="actions">
          <button type="button" class="secondary" onClick={onClose}>Cancel</button>
          <button type="submit">{role ? 'Save role' : 'Create role'}</button>
        </div>
      </form>
    </Dialog>
  );
}
