// How long the e-mail flows take to answer for an account that exists and for one that does not
// (docs/email.md "No user enumeration"): the forgotten-password form, the sign-up form with a taken
// and a free address, and "Email me a sign-in code". Requests alternate between the two kinds, and
// the table prints the median and 90th percentile of each; a timing difference an attacker could
// use would show as a gap between the rows of one flow. The server runs in the main thread and the
// timed client in a worker thread: SQLite's commits block the server's thread (an fsync per turn),
// and a client sharing that thread would be timed by work done after the answer, which a remote
// client never is. Run after `npm run build`:
//   node dist/bench/enumeration.js [requests per kind, default 40]
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { testRealmWith } from '../test/helpers/realm.js';
import { startServer } from '../test/helpers/server.js';
import { startSmtp } from '../test/helpers/smtp.js';
import { authorizeUrl, UserAgent, type Page } from '../test/helpers/user-agent.js';

const count = Number(process.argv[2] ?? 40);

if (isMainThread) {
  const smtp = await startSmtp();
  const server = await startServer('sqlite', testRealmWith({
    user_registration: true, email_sign_in: 'code',
    rate_limits: { password_reset_per_ip: { max: 100_000 }, user_registration_per_ip: { max: 100_000 }, email_sign_in_per_ip: { max: 100_000 }, email_per_address: { max: 100_000 }, login_per_ip: { max: 100_000 }, authorization_per_ip: { max: 100_000 } },
    brute_force: { enabled: false },
  }), { env: smtp.env });
  const worker = new Worker(new URL(import.meta.url), { workerData: { url: server.url, issuer: server.issuer(), count } });
  console.log(await new Promise<string>((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); }));
  await worker.terminate();
  await server.close();
  await smtp.close();
} else {
  parentPort!.postMessage(await measure(workerData as { url: string; issuer: string; count: number }));
}

async function measure(target: { url: string; issuer: string; count: number }): Promise<string> {
const server = { url: target.url, issuer: () => target.issuer };

const formPage = async (browser: UserAgent, path: string): Promise<Page> => browser.open(`${server.issuer()}/login-actions/${path}`);
const signInPage = (browser: UserAgent) => browser.open(authorizeUrl(server.issuer(), { client_id: 'trusted', redirect_uri: 'http://127.0.0.1:3999/callback', response_type: 'code', scope: 'openid', state: 's' }));

async function timed(send: () => Promise<Page>): Promise<number> {
  const start = performance.now();
  const page = await send();
  const ms = performance.now() - start;
  if (page.status >= 500) throw new Error(`status ${page.status}`);
  return ms;
}

const flows: { name: string; kinds: [string, string]; send: (kind: 0 | 1, i: number) => Promise<number> }[] = [
  {
    name: 'forgotten password', kinds: ['existing account', 'no such account'],
    send: async (kind, i) => {
      const browser = new UserAgent(server.url);
      const page = await formPage(browser, 'forgot-password');
      return timed(() => browser.submit(page, { identifier: kind === 0 ? 'alice' : `nobody-${i}` }));
    },
  },
  {
    name: 'sign-up', kinds: ['address has an account', 'new address'],
    send: async (kind, i) => {
      const browser = new UserAgent(server.url);
      const page = await formPage(browser, 'registration');
      const password = 'a long enough passphrase for the bench';
      return timed(() => browser.submit(page, { username: `bench-${kind}-${i}`, email: kind === 0 ? 'alice@example.com' : `new-${i}@example.com`, password, password_confirm: password }));
    },
  },
  {
    name: 'e-mail sign-in code', kinds: ['existing account', 'no such account'],
    send: async (kind, i) => {
      const browser = new UserAgent(server.url);
      const page = await signInPage(browser);
      const action = page.html.match(/formaction="([^"]*)"/)![1]!.replace(/&amp;/g, '&');
      const fields = Object.fromEntries([...page.html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
      return timed(() => browser.open(new URL(action, page.url).href, { form: { ...fields, username: kind === 0 ? 'alice' : `nobody-${i}` } }));
    },
  },
];

const quantile = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))]!;
const rows: string[] = ['| flow | account | median ms | p90 ms |', '|---|---|---|---|'];
for (const flow of flows) {
  const samples: [number[], number[]] = [[], []];
  for (let i = 0; i < 5; i++) await flow.send((i % 2) as 0 | 1, 1_000_000 + i);   // warm-up
  for (let i = 0; i < target.count * 2; i++) {
    const kind = (i % 2) as 0 | 1;
    samples[kind].push(await flow.send(kind, i));
  }
  for (const kind of [0, 1] as const) rows.push(`| ${flow.name} | ${flow.kinds[kind]} | ${quantile(samples[kind], 0.5).toFixed(1)} | ${quantile(samples[kind], 0.9).toFixed(1)} |`);
}
return rows.join('\n');
}
