// The realm's signing keys (public parts) and their rotation: next keys become current.
import { api, seg } from '../api.js';
import { act, Badge, Card, confirmAction, PageHead, Status, useLoad, when } from '../ui.js';

interface Key { kid: string; alg: string; status: string; created_at: number; retired_at: number | null }

const tone = (status: string) => (status === 'current' ? 'green' : status === 'next' ? 'blue' : 'gray');

export function KeysPage({ realm }: { realm: string }) {
  const keys = useLoad(() => api<Key[]>('GET', `/realms/${seg(realm)}/keys`), [realm]);
  async function rotate() {
    if (!(await confirmAction(`Rotate the signing keys of realm ${realm}?`, 'Rotate keys'))) return;
    if (await act(() => api('POST', `/realms/${seg(realm)}/keys/rotate`), 'Keys rotated: the next keys sign from now on.')) keys.reload();
  }
  return (
    <>
      <PageHead title="Keys" subtitle="Tokens are signed with the current keys; the JWKS also publishes the next and recently retired ones.">
        <button type="button" onClick={rotate}>Rotate keys</button>
      </PageHead>
      <Card>
        <Status loaded={keys} empty="No keys.">
          {(list) => <div class="table-wrap" tabIndex={0}><table>
            <thead><tr><th scope="col">Key ID</th><th scope="col">Algorithm</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col">Retired</th></tr></thead>
            <tbody>{list.map((k) => <tr key={k.kid}><td><code>{k.kid}</code></td><td>{k.alg}</td><td><Badge tone={tone(k.status)}>{k.status}</Badge></td>
              <td>{when(k.created_at)}</td><td>{when(k.retired_at)}</td></tr>)}</tbody>
          </table></div>}
        </Status>
      </Card>
    </>
  );
}
