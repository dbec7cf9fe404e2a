// Groups as a tree: top-level groups, subgroups loaded when a branch opens, members and roles.
import { useState } from 'preact/hooks';
import { api, seg } from '../api.js';
import { act, Badge, Card, confirmAction, Dialog, PageHead, Status, TextField, useLoad } from '../ui.js';

interface Group { id: string; name: string; path: string; parent_id: string | null; roles: string[] }

export function GroupsPage({ realm }: { realm: string }) {
  const base = `/realms/${seg(realm)}/groups`;
  const top = useLoad(() => api<Group[]>('GET', `${base}?max=1000`), [realm]);
  const [adding, setAdding] = useState<{ parent?: Group }>();
  const [version, setVersion] = useState(0);
  const changed = () => { top.reload(); setVersion((v) => v + 1); };
  return (
    <>
      <PageHead title="Groups" subtitle="Members of a group hold its roles, and those of the groups above it.">
        <button type="button" onClick={() => setAdding({})}>Create group</button>
      </PageHead>
      <Card>
        <Status loaded={top} empty="No groups yet.">
          {(list) => <ul class="tree" aria-label="Groups">{list.map((g) => <GroupNode key={`${g.id}-${version}`} base={base} group={g} onAdd={(parent) => setAdding({ parent })} onChange={changed} />)}</ul>}
        </Status>
      </Card>
      {adding && <CreateGroup base={base} parent={adding.parent} onClose={() => { setAdding(undefined); changed(); }} />}
    </>
  );
}

function GroupNode({ base, group, onAdd, onChange }: { base: string; group: Group; onAdd: (parent: Group) => void; onChange: () => void }) {
  const [open, setOpen] = useState(false);
  const children = useLoad(() => (open ? api<Group[]>('GET', `${base}/${seg(group.id)}/children?max=1000`) : Promise.resolve([] as Group[])), [open]);
  async function remove() {
    if (!(await confirmAction(`Delete group ${group.path} and its subgroups?`, 'Delete group'))) return;
    if (await act(() => api('DELETE', `${base}/${seg(group.id)}`), `Deleted group ${group.path}.`)) onChange();
  }
  return (
    <li>
      <div class="tree-row">
        <button type="button" class="icon" aria-expanded={open} aria-label={`Subgroups of ${group.name}`} onClick={() => setOpen(!open)}>{open ? '▾' : '▸'}</button>
        <span class="tree-name">{group.name}</span>
        {group.roles.map((r) => <Badge tone="blue" key={r}>{r}</Badge>)}
        <span class="row-actions">
          <button type="button" class="secondary small" aria-label={`Add subgroup to ${group.path}`} onClick={() => onAdd(group)}>Add subgroup</button>
          <button type="button" class="secondary small" aria-label={`Delete group ${group.path}`} onClick={remove}>Delete</button>
        </span>
      </div>
      {open && children.data && children.data.length > 0 && (
        <ul>{children.data.map((c) => <GroupNode key={c.id} base={base} group={c} onAdd={onAdd} onChange={onChange} />)}</ul>
      )}
    </li>
  );
}

function CreateGroup({ base, parent, onClose }: { base: string; parent?: Group; onClose: () => void }) {
  const [name, setName] = useState('');
  async function submit(event: Event) {
    event.preventDefault();
    const path = parent ? `${base}/${seg(parent.id)}/children` : base;
    if (await act(() => api('POST', path, { name: name.trim() }), `Created group ${name.trim()}.`)) onClose();
  }
  return (
    <Dialog title={parent ? `Add a subgroup to ${parent.path}` : 'Create group'} onClose={onClose}>
      <form onSubmit={submit}>
        <TextField label="Group name" hint="No slashes." value={name} onInput={setName} required autoComplete="off" />
        <div class="actions">
          <button type="button" class="secondary" onClick={onClose}>Cancel</button>
          <button type="submit">Create group</button>
        </div>
      </form>
    </Dialog>
  );
}
