// The realm's live sessions, newest first; ending one revokes its grants (their refresh tokens stop working).
import { useState } from 'preact/hooks';
import { api, query, seg } from '../api.js';
import { href } from '../router.js';
import { act, Badge, Card, confirmAction, PageHead, Pager, Status, useLoad, when } from '../ui.js';

export interface Session {
  id: string; user_id: string; username: string | null; started: number; last_access: number; auth_time: number;
  expires_at: number; amr: string[]; acr: string; clients: string[];
}

const pageSize = 50;

export function SessionsPage({ realm }: { realm: string }) {
  const [first, setFirst] = useState(0);
  const sessions = useLoad(() => api<Session[]>('GET', `/realms/${seg(realm)}/sessions${query({ first, max: pageSize + 1 })}`), [realm, first]);
  const rows = sessions.data?.slice(0, pageSize);
  async function end(session: Session) {
    const who = session.username ?? session.user_id;
    if (!(await confirmAction(`End ${who}'s session?`, 'End session'))) return;
    if (await act(() => api('DELETE', `/realms/${seg(realm)}/sessions/${seg(session.id)}`), `Ended ${who}'s session.`)) sessions.reload();
  }
  return (
    <>
      <PageHead title="Sessions" subtitle={<>Browsers signed in to realm <strong>{realm}</strong>. Ending a session revokes the tokens issued in it.</>}>
        <button type="button" class="secondary" onClick={sessions.reload}>Refresh</button>
      </PageHead>
      <Card>
        <Status loaded={{ ...sessions, data: rows }} empty="No one is signed in.">
          {(list) => <div class="table-wrap" tabIndex={0}><table>
            <thead><tr><th scope="col">User</th><th scope="col">Started</th><th scope="col">Last access</th><th scope="col">Expires</th><th scope="col">Methods</th><th scope="col">Clients</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
            <tbody>{list.map((s) => <tr key={s.id}>
              <td><a href={href(realm, 'users', s.user_id)}>{s.username ?? s.user_id}</a></td>
              <td class="nowrap">{when(s.started)}</td><td class="nowrap">{when(s.last_access)}</td><td class="nowrap">{when(s.expires_at)}</td>
              <td>{s.amr.map((m) => <Badge tone="gray" key={m}>{m}</Badge>)}</td>
              <td class="nowrap">{s.clients.join(', ') || '—'}</td>
              <td class="row-actions"><button type="button" class="secondary small" aria-label={`End session of ${s.username ?? s.user_id}`} onClick={() => end(s)}>End session</button></td>
            </tr>)}</tbody>
          </table></div>}
        </Status>
        <Pager first={first} size={pageSize} shown={rows?.length ?? 0} more={(sessions.data?.length ?? 0) > pageSize} onPage={setFirst} />
      </Card>
    </>
  );
}
