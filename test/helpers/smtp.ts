// A real SMTP server in the test process (smtp-server): STARTTLS with a certificate made for the
// test (Strix trusts it through STRIX_SMTP_CA_FILE), AUTH required and allowed only over TLS. It
// keeps every message it receives, parsed from the wire: headers, and the text and HTML parts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { freePort } from './server.js';

export const smtpUser = 'strix';
export const smtpPassword = 'smtp-password-for-tests';

export interface ReceivedMail {
  from: string; to: string[]; subject: string; headers: Record<string, string>;
  text: string; html: string; secure: boolean; user: string | undefined;
}

export interface TestSmtp {
  /** smtp://user:password@127.0.0.1:port */
  url: string;
  caFile: string;
  received: ReceivedMail[];
  /** Settings that point a test server at it. */
  env: Record<string, string>;
  /** Stops accepting connections until `up()` (the port stays the same). */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startSmtp(): Promise<TestSmtp> {
  const dir = mkdtempSync(join(tmpdir(), 'strix-smtp-'));
  const keyFile = join(dir, 'key.pem');
  const caFile = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', caFile], { stdio: 'ignore' });
  const received: ReceivedMail[] = [];
  const port = await freePort();
  let server: SMTPServer | undefined;
  const up = () => new Promise<void>((resolve, reject) => {
    server = new SMTPServer({
      key: readFileSync(keyFile), cert: readFileSync(caFile), authMethods: ['PLAIN', 'LOGIN'], logger: false,
      onAuth(auth, _session, callback) {
        if (auth.username === smtpUser && auth.password === smtpPassword) callback(null, { user: auth.username });
        else callback(new Error('Invalid username or password'));
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const parsed = parseMessage(Buffer.concat(chunks).toString('utf8'));
          received.push({
            ...parsed, from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address), secure: session.secure, user: session.user as string | undefined,
          });
          callback();
        });
      },
    });
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const down = () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await up();
  const url = `smtp://${smtpUser}:${smtpPassword}@127.0.0.1:${port}`;
  return {
    url, caFile, received,
    env: { STRIX_SMTP_URL: url, STRIX_SMTP_FROM: 'Demo <no-reply@demo.test>', STRIX_SMTP_CA_FILE: caFile },
    down, up,
    async close() {
      await down();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The link in a message that starts with `prefix` (from the text part). */
export function linkIn(mail: ReceivedMail, prefix: string): string {
  const link = mail.text.split(/\s+/).find((word) => word.startsWith(prefix));
  if (!link) throw new Error(`no link starting with ${prefix} in:\n${mail.text}`);
  return link;
}

function parseMessage(raw: string): Omit<ReceivedMail, 'from' | 'to' | 'secure' | 'user'> {
  const { headers, body } = splitHeaders(raw);
  const parts: Record<string, string> = {};
  const boundary = /boundary="?([^";]+)"?/.exec(headers['content-type'] ?? '')?.[1];
  if (boundary) {
    for (const chunk of body.split(`--${boundary}`).slice(1)) {
      if (chunk.startsWith('--')) break;
      const part = splitHeaders(chunk.replace(/^\r?\n/, ''));
      const type = (part.headers['content-type'] ?? 'text/plain').split(';')[0]!.trim();
      parts[type] = decodeBody(part.body, part.headers['content-transfer-encoding']);
    }
  } else {
    parts[(headers['content-type'] ?? 'text/plain').split(';')[0]!.trim()] = decodeBody(body, headers['content-transfer-encoding']);
  }
  return { headers, subject: decodeWords(headers.subject ?? ''), text: parts['text/plain'] ?? '', html: parts['text/html'] ?? '' };
}

function splitHeaders(raw: string): { headers: Record<string, string>; body: string } {
  const end = raw.search(/\r?\n\r?\n/);
  const head = end < 0 ? raw : raw.slice(0, end);
  const body = end < 0 ? '' : raw.slice(end).replace(/^\r?\n\r?\n/, '');
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body };
}

function decodeBody(body: string, encoding = '7bit'): string {
  const trimmed = body.replace(/\r?\n$/, '');
  switch (encoding.toLowerCase()) {
    case 'base64': return Buffer.from(trimmed.replace(/\s+/g, ''), 'base64').toString('utf8');
    case 'quoted-printable': return quotedPrintable(trimmed.replace(/=\r?\n/g, ''));
    default: return trimmed.replace(/\r\n/g, '\n');
  }
}

function quotedPrintable(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '=' && /^[0-9A-F]{2}$/i.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(text[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8').replace(/\r\n/g, '\n');
}

/** RFC 2047 encoded words (=?UTF-8?Q?…?= and =?UTF-8?B?…?=). */
function decodeWords(value: string): string {
  return value.replace(/=\?([^?]+)\?([QBqb])\?([^?]*)\?=\s*(?==\?)?/g, (_m, _charset: string, kind: string, text: string) =>
    kind.toUpperCase() === 'B' ? Buffer.from(text, 'base64').toString('utf8') : quotedPrintable(text.replace(/_/g, ' ')));
}
