// The realm's audit events, filtered by type, user, client and time, with a live tail that polls.
import { useEffect, useState } from 'preact/hooks';
import { api, query, seg } from '../api.js';
import { Badge, Card, Check, PageHead, Status, TextField, useDebounced, useLoad, when } from '../ui.js';

interface Event { id: string; time: number; type: string; clientId: string | null; userId: string | null; ipAddress: string | null; details: Record<string, unknown> }

const tailEvery = 5000;
const tone = (type: string) => (/error|fail|denied|locked/.test(type) ? 'red' : type.startsWith('admin_') ? 'blue' : 'green');

export function EventsPage({ realm }: { realm: string }) {
  const [filters, setFilters] = useState({ type: '', user: '', client: '', from: '', to: '' });
  const [tail, setTail] = useState(false);
  const [tick, setTick] = useState(0);
  const settled = useDebounced(filters, 300);
  const events = useLoad(() => api<Event[]>('GET', `/realms/${seg(realm)}/events${query({ ...settled, max: 100 })}`), [realm, settled, tick]);
  useEffect(() => {
    if (!tail) return;
    const timer = setInterval(() => setTick((t) => t + 1), tailEvery);
    return () => clearInterval(timer);
  }, [tail]);
  const set = (name: keyof typeof filters) => (value: string) => setFilters({ ...filters, [name]: value });
  return (
    <>
      <PageHead title="Events" subtitle="Sign-ins, token activity and administrative changes, newest first." />
      <Card>
        <form class="filters" onSubmit={(e) => e.preventDefault()}>
          <TextField label="Type" placeholder="login, admin_user_created…" value={filters.type} onInput={set('type')} />
          <TextField label="User" placeholder="username or id" value={filters.user} onInput={set('user')} />
          <TextField label="Client" placeholder="client_id" value={filters.client} onInput={set('client')} />
          <TextField label="From" type="date" value={filters.from} onInput={set('from')} />
          <TextField label="To" type="date" value={filters.to} onInput={set('to')} />
          <Check label={`Live tail (every ${tailEvery / 1000} s)`} checked={tail} onChange={setTail} />
        </form>
        <Status loaded={events} empty="No events match.">
          {(list) => <div class="table-wrap" tabIndex={0}><table>
            <thead><tr><th scope="col">Time</th><th scope="col">Type</th><th scope="col">User</th><th scope="col">Client</th><th scope="col">Address</th><th scope="col">Details</th></tr></thead>
            <tbody>{list.map((e) => <tr key={e.id}><td class="nowrap">{when(e.time)}</td><td><Badge tone={tone(e.type)}>{e.type}</Badge></td>
              <td class="user">{String(e.details.username ?? e.userId ?? '—')}</td><td class="nowrap">{e.clientId ?? '—'}</td><td class="nowrap">{e.ipAddress ?? '—'}</td>
              <td class="details"><code>{JSON.stringify(e.details)}</code></td></tr>)}</tbody>
          </table></div>}
        </Status>
      </Card>
    </>
  );
}
