// SMTP through nodemailer: the server a realm sends through (its own `smtp` setting, else the
// server's STRIX_SMTP_URL), STARTTLS when an smtp:// server offers it, implicit TLS for smtps://.
// The host comes from operator settings only, never from a request. Credentials are never logged.
import { readFileSync } from 'node:fs';
import type { Config } from '../config.js';
import type { Realm } from '../store/realms.js';

/** Where and as whom a realm's mail is sent. */
export interface SmtpTarget { url: string; from: string; password?: string; caFile?: string }

/** A message as queued: rendered in the recipient's language, links included. */
export interface MailMessage { to: string; subject: string; text: string; html: string }

/** The realm's SMTP server, or none: then the flows that need mail are off. */
export function smtpTarget(config: Pick<Config, 'smtp'>, realm: Realm, env: NodeJS.ProcessEnv = process.env): SmtpTarget | undefined {
  const own = realm.settings.smtp;
  if (own) {
    const from = own.from ?? config.smtp?.from ?? `no-reply@${new URL(own.url).hostname}`;
    return { url: own.url, from, password: own.password ? env[own.password.env] : undefined, caFile: config.smtp?.caFile };
  }
  return config.smtp && { url: config.smtp.url, from: config.smtp.from, caFile: config.smtp.caFile };
}

export function mailEnabled(config: Pick<Config, 'smtp'>, realm: Realm): boolean {
  return smtpTarget(config, realm) !== undefined;
}

/** Why a delivery failed, in words safe to log: nodemailer's error code and the server's reply code, never its text. */
export class MailDeliveryError extends Error {
  constructor(readonly reason: string) {
    super(`mail delivery failed: ${reason}`);
    this.name = 'MailDeliveryError';
  }
}

const timeouts = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

export async function sendMail(target: SmtpTarget, message: MailMessage): Promise<void> {
  const url = new URL(target.url);
  const secure = url.protocol === 'smtps:';
  const user = decodeURIComponent(url.username);
  // Loaded when the first message is sent, not at start-up (~75 ms of module loading).
  const { default: nodemailer } = await import('nodemailer');
  const transport = nodemailer.createTransport({
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    auth: user ? { user, pass: target.password ?? decodeURIComponent(url.password) } : undefined,
    tls: target.caFile ? { ca: readFileSync(target.caFile) } : undefined,
    ...timeouts,
    logger: false,
    debug: false,
  });
  try {
    await transport.sendMail({ from: target.from, to: message.to, subject: message.subject, text: message.text, html: message.html });
  } catch (error) {
    const e = error as { code?: string; responseCode?: number };
    throw new MailDeliveryError([e.code ?? 'unreachable', e.responseCode].filter((part) => part !== undefined).join(' '));
  } finally {
    transport.close();
  }
}
