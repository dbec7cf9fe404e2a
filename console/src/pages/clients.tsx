// Clients: the list, creation from a template (web app, single-page app, machine client, device)
// with the generated secret shown once, and one client's settings, secret rotation and deletion.
import { useState } from 'preact/hooks';
import { api, seg } from '../api.js';
import { go, href } from '../router.js';
import { act, Badge, Card, Check, confirmAction, Dialog, lines, PageHead, SecretOnce, Status, TextArea, TextField, useLoad } from '../ui.js';

export interface Client {
  client_id: string; client_name?: string; enabled: boolean; redirect_uris?: string[]; post_logout_redirect_uris?: string[];
  grant_types?: string[]; response_types?: string[]; token_endpoint_auth_method?: string; scope?: string;
  require_consent?: boolean; allowed_origins?: string[]; [member: string]: unknown;
}

const deviceGrant = 'urn:ietf:params:oauth:grant-type:device_code';

interface Template { id: string; label: string; description: string; redirects: boolean; metadata: (redirects: string[]) => Partial<Client> }

const templates: Template[] = [
  {
    id: 'web', label: 'Web application', description: 'A server-side app that keeps a secret: code flow, refresh tokens.', redirects: true,
    metadata: (redirect_uris) => ({ redirect_uris, grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' }),
  },
  {
    id: 'spa', label: 'Single-page app', description: 'Runs in the browser, no secret: code flow with PKCE.', redirects: true,
    metadata: (redirect_uris) => ({
      redirect_uris, grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none',
      allowed_origins: [...new Set(redirect_uris.filter((u) => URL.canParse(u)).map((u) => new URL(u).origin))],
    }),
  },
  {
    id: 'machine', label: 'Machine client', description: 'A service calling APIs on its own behalf: client credentials.', redirects: false,
    metadata: () => ({ grant_types: ['client_credentials'], response_types: [], token_endpoint_auth_method: 'client_secret_basic', scope: '' }),
  },
  {
    id: 'device', label: 'Device', description: 'A TV or CLI without a browser: the device authorization grant.', redirects: false,
    metadata: () => ({ grant_types: [deviceGrant, 'refresh_token'], response_types: [], token_endpoint_auth_method: 'none' }),
  },
];

const kindOf = (c: Client) =>
  c.grant_types?.includes(deviceGrant) ? 'Device' : c.grant_types?.includes('client_credentials') && !c.grant_types.includes('authorization_code') ? 'Machine'
    : c.token_endpoint_auth_method === 'none' ? 'Public' : 'Confidential';

export function ClientsPage({ realm }: { realm: string }) {
  const clients = useLoad(() => api<Client[]>('GET', `/realms/${seg(realm)}/clients?max=1000`), [realm]);
  const [creating, setCreating] = useState(false);
  return (
    <>
      <PageHead title="Clients" subtitle={<>Applications that sign users in through realm <strong>{realm}</strong>.</>}>
        <button type="button" onClick={() => setCreating(true)}>Create client</button>
      </PageHead>
      <Card>
        <Status loaded={clients} empty="No clients yet.">
          {(list) => <div class="table-wrap" tabIndex={0}><table>
            <thead><tr><th scope="col">Client ID</th><th scope="col" class="hide-phone">Name</th><th scope="col">Type</th><th scope="col" class="hide-phone">Redirect URIs</th><th scope="col">Status</th></tr></thead>
            <tbody>{list.map((c) => <tr key={c.client_id}>
              <td><a href={href(realm, 'clients', c.client_id)}>{c.client_id}</a></td>
              <td class="hide-phone">{c.client_name ?? '—'}</td>
              <td><Badge tone="blue">{kindOf(c)}</Badge></td>
              <td class="truncate hide-phone">{c.redirect_uris?.join(', ') || '—'}</td>
              <td>{c.enabled ? <Badge tone="green">Enabled</Badge> : <Badge tone="gray">Disabled</Badge>}</td>
            </tr>)}</tbody>
          </table></div>}
        </Status>
      </Card>
      {creating && <CreateClient realm={realm} onClose={() => { setCreating(false); clients.reload(); }} />}
    </>
  );
}

function CreateClient({ realm, onClose }: { realm: string; onClose: () => void }) {
  const [template, setTemplate] = useState(templates[0]!);
  const [clientId, setClientId] = useState('');
  const [name, setName] = useState('');
  const [redirects, setRedirects] = useState('');
  const [consent, setConsent] = useState(false);
  const [created, setCreated] = useState<Client & { client_secret?: string }>();
  async function submit(event: Event) {
    event.preventDefault();
    const redirectUris = template.redirects ? lines(redirects) : [];
    await act(async () => {
      const metadata = template.metadata(redirectUris);
      const body = { ...metadata, client_id: clientId.trim(), ...(name ? { client_name: name } : {}), ...(template.redirects ? { require_consent: consent } : {}) };
      if (body.scope === '') delete body.scope;
      setCreated(await api<Client & { client_secret?: string }>('POST', `/realms/${seg(realm)}/clients`, body));
    }, `Created client ${clientId.trim()}.`);
  }
  if (created) {
    return (
      <Dialog title={`Client ${created.client_id} created`} onClose={onClose}>
        {created.client_secret ? <SecretOnce label="Client secret" value={created.client_secret} /> : <p>This client has no secret: it is a public client.</p>}
        <div class="actions">
          <button type="button" class="secondary" onClick={onClose}>Close</button>
          <button type="button" onClick={() => { onClose(); go(realm, 'clients', created.client_id); }}>Open client</button>
        </div>
      </Dialog>
    );
  }
  return (
    <Dialog title="Create client" onClose={onClose} wide>
      <form onSubmit={submit}>
        <fieldset class="templates">
          <legend>Template</legend>
          {templates.map((t) => (
            <label key={t.id} class={`template${t === template ? ' chosen' : ''}`}>
              <input type="radio" name="template" value={t.id} checked={t === template} onChange={() => setTemplate(t)} />
              <span><strong>{t.label}</strong><span class="muted">{t.description}</span></span>
            </label>
          ))}
        </fieldset>
        <div class="two">
          <TextField label="Client ID" value={clientId} onInput={setClientId} required autoComplete="off" />
          <TextField label="Name" value={name} onInput={setName} />
        </div>
        {template.redirects && <>
          <TextArea label="Redirect URIs" hint="One per line: https, or http on a loopback address." value={redirects} onInput={setRedirects} mono />
          <Check label="Ask users for consent" checked={consent} onChange={setConsent} />
        </>}
        <div class="actions">
          <button type="button" class="secondary" onClick={onClose}>Cancel</button>
          <button type="submit">Create client</button>
        </div>
      </form>
    </Dialog>
  );
}

export function ClientPage({ realm, clientId }: { realm: string; clientId: string }) {
  const path = `/realms/${seg(realm)}/clients/${seg(clientId)}`;
  const client = useLoad(() => api<Client>('GET', path), [path]);
  const [secret, setSecret] = useState<string>();
  if (!client.data) return <><PageHead title="Client" /><p class="muted">{client.error ?? 'Loading…'}</p></>;
  const c = client.data;
  const confidential = c.token_endpoint_auth_method !== 'none' && c.token_endpoint_auth_method !== 'private_key_jwt';

  async function rotate() {
    if (!(await confirmAction(`Rotate the secret of client ${c.client_id}?`, 'Rotate secret'))) return;
    await act(async () => setSecret((await api<{ client_secret: string }>('POST', `${path}/secret`)).client_secret), 'New secret issued; the old one no longer works.');
  }
  async function remove() {
    if (!(await confirmAction(`Delete client ${c.client_id}?`, 'Delete client'))) return;
    if (await act(() => api('DELETE', path), `Deleted client ${c.client_id}.`)) go(realm, 'clients');
  }
  return (
    <>
      <p class="crumbs"><a href={href(realm, 'clients')}>Clients</a> / {c.client_id}</p>
      <PageHead title={c.client_name ?? c.client_id} subtitle={<><code>{c.client_id}</code> · <Badge tone="blue">{kindOf(c)}</Badge> {c.enabled ? <Badge tone="green">Enabled</Badge> : <Badge tone="gray">Disabled</Badge>}</>}>
        {confidential && <button type="button" class="secondary" onClick={rotate}>Rotate secret</button>}
        <button type="button" class="danger" onClick={remove}>Delete</button>
      </PageHead>
      {secret && <Card><SecretOnce label="New client secret" value={secret} /></Card>}
      <ClientSettings path={path} client={c} reload={client.reload} />
    </>
  );
}

function ClientSettings({ path, client, reload }: { path: string; client: Client; reload: () => void }) {
  const [form, setForm] = useState({
    client_name: client.client_name ?? '', redirect_uris: (client.redirect_uris ?? []).join('\n'),
    post_logout_redirect_uris: (client.post_logout_redirect_uris ?? []).join('\n'), allowed_origins: (client.allowed_origins ?? []).join('\n'),
    scope: client.scope ?? '',
  });
  const [flags, setFlags] = useState({ enabled: client.enabled, require_consent: Boolean(client.require_consent) });
  const set = (name: keyof typeof form) => (value: string) => setForm({ ...form, [name]: value });
  async function save(event: Event) {
    event.preventDefault();
    const body: Client = {
      ...client, ...flags, client_name: form.client_name || undefined, scope: form.scope.trim() || undefined,
      redirect_uris: lines(form.redirect_uris), post_logout_redirect_uris: lines(form.post_logout_redirect_uris), allowed_origins: lines(form.allowed_origins),
    };
    if (await act(() => api('PUT', path, body), `Saved client ${client.client_id}.`)) reload();
  }
  return (
    <form onSubmit={save}>
      <Card title="Settings" actions={<button type="submit">Save</button>}>
        <div class="form">
          <TextField label="Name" value={form.client_name} onInput={set('client_name')} />
          <TextField label="Scopes" hint="Space-separated scopes the client may be granted, e.g. openid profile email offline_access." value={form.scope} onInput={set('scope')} />
          <TextArea label="Redirect URIs" hint="One per line." value={form.redirect_uris} onInput={set('redirect_uris')} mono />
          <TextArea label="Post-logout redirect URIs" hint="One per line." value={form.post_logout_redirect_uris} onInput={set('post_logout_redirect_uris')} mono />
          <TextArea label="Allowed origins (CORS)" hint="One per line." value={form.allowed_origins} onInput={set('allowed_origins')} mono />
          <Check label="Enabled" hint="a disabled client is refused everywhere at once" checked={flags.enabled} onChange={(enabled) => setFlags({ ...flags, enabled })} />
          <Check label="Ask users for consent" checked={flags.require_consent} onChange={(require_consent) => setFlags({ ...flags, require_consent })} />
          <p class="hint">Grant types: <code>{client.grant_types?.join(' ') || '—'}</code> · Authentication: <code>{client.token_endpoint_auth_method ?? 'client_secret_basic'}</code></p>
        </div>
      </Card>
    </form>
  );
}
