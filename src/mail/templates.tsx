// The messages Strix sends, as text and HTML alternatives of one multipart message, in the
// recipient's language and under the realm's display name, logo, primary colour and wording
// (docs/branding.md). HTML is rendered by preact, so every value is escaped; styles are inline, as
// mail readers ignore style sheets.
import { render } from 'preact-render-to-string';
import { format, type MessageOverrides } from '../i18n/messages.js';
import { getEmailMessages, type EmailMessages } from '../i18n/email-messages.js';
import { brandingImageUrl, hexColor, readableOn } from '../realms/branding.js';
import { issuerOf, type Needs } from '../services.js';
import type { Realm } from '../store/realms.js';
import type { MailMessage } from './transport.js';

export type MailTemplate = 'reset_password' | 'verify_email' | 'already_registered' | 'sign_in_code' | 'change_email' | 'email_change_notice' | 'address_in_use' | 'execute_actions' | 'password_changed';

interface Mail {
  subject: string;
  paragraphs: string[];
  action?: { label: string; url: string };
  code?: string;
  /** How the code is introduced (default: as the alternative to the link). */
  codeText?: string;
  closing: string[];
}

export interface MailContext {
  to: string; realmName: string; username: string; locale: string;
  /** The realm's branding: its wording for `locale`, an absolute logo URL, the primary colour. */
  overrides?: MessageOverrides; logoUrl?: string; primaryColor?: string;
}

/** Who a message goes to, in which language, and the realm's look for it. */
export function mailContext(s: Needs<'config'>, realm: Realm, to: { email: string; username: string }, locale: string): MailContext {
  const { branding } = realm.settings;
  return {
    to: to.email, realmName: realm.displayName, username: to.username, locale, overrides: branding.messages[locale],
    logoUrl: brandingImageUrl(issuerOf(s.config, realm), branding, 'logo'), // Checked when set; checked again here, as it goes into a style attribute.
    primaryColor: hexColor.test(branding.colors.primary ?? '') ? branding.colors.primary! : undefined,
  };
}

export function resetPasswordMail(c: MailContext, link: string, minutes: number): MailMessage {
  const t = getEmailMessages(c);
  const v = { realm: c.realmName, minutes };
  return compose(c, t, {
    subject: format(t.resetSubject, v),
    paragraphs: [format(t.resetIntro, v)],
    action: { label: t.resetAction, url: link },
    closing: [format(t.resetExpiry, v), t.mailIgnore],
  });
}

export function verifyEmailMail(c: MailContext, link: string, code: string, hours: number): MailMessage {
  const t = getEmailMessages(c);
  const v = { realm: c.realmName, email: c.to, code, hours };
  return compose(c, t, {
    subject: format(t.verifySubject, v),
    paragraphs: [format(t.verifyIntro, v)],
    action: { label: t.verifyAction, url: link },
    code,
    closing: [format(t.verifyExpiry, v), t.mailIgnore],
  });
}

/** The sign-in code, and the link where the realm sends one (it works only in the browser that asked). */
export function signInCodeMail(c: MailContext, code: string, link: string | undefined, minutes: number): MailMessage {
  const t = getEmailMessages(c);
  const v = { realm: c.realmName, code, minutes };
  return compose(c, t, {
    subject: format(t.signInSubject, v),
    paragraphs: [format(t.signInIntro, v)],
    action: link ? { label: t.signInAction, url: link } : undefined,
    code,
    codeText: format(t.signInCode, v),
    closing: [format(t.signInExpiry, v), t.mailIgnore],
  });
}

/** To the new address of an account: the change takes effect once this link or code is used. */
export function changeEmailMail(c: MailContext, link: string, code: string, hours: number): MailMessage {
  const t = getEmailMessages(c);
  const v = { realm: c.realmName, email: c.to, code, hours };
  return compose(c, t, {
    subject: format(t.changeSubject, v),
    paragraphs: [format(t.changeIntro, v)],
    action: { label: t.verifyAction, url: link },
    code,
    closing: [format(t.verifyExpiry, v), t.mailIgnore],
  });
}

/** To the old address of an account whose address is being changed to `newEmail`. */
export function emailChangeNoticeMail(c: MailContext, newEmail: string): MailMessage {
  const t = getEmailMessages(c);
  const v = { realm: c.realmName, email: newEmail };
  return compose(c, t, { subject: format(t.changeNoticeSubject, v), paragraphs: [format(t.changeNoticeIntro, v), t.changeNoticeHint], closing: [] });
}

/** To an account whose password was changed on the account console: a change the owner did not make is their cue to act. */
export function passwordChangedMail(c: MailContext): MailMessage {
  const t = getEmailMessages(c.locale);
  const v = { realm: c.realmName };
  return compose(c, t, { subject: format(t.passwordChangedSubject, v), paragraphs: [format(t.passwordChangedIntro, v), t.passwordChangedHint], closing: [] });
}

/**
 * An administrator's execute-actions e-mail: what to do, a password link when a new password is one
 * of the actions, and where to sign in for the rest.
 */
/** execute-actions-email: the actions an administrator asks for, and the link that runs them (src/identity/execute-actions.ts). */
export function executeActionsMail(c: MailContext, actions: string[], o: { link: string; hours: number }): MailMessage {
  const t = getEmailMessages(c);
  const named = actions.map((a) => (t as Record<string, string>)[`action_${a}`] ?? a).join(', ');
  const v = { realm: c.realmName, actions: named, hours: o.hours };
  return compose(c, t, {
    subject: format(t.actionsSubject, v),
    paragraphs: [format(t.actionsIntro, v), format(t.actionsExpiry, v)],
    action: { label: t.actionsButton, url: o.link },
    closing: [t.mailIgnore],
  });
}

/** To an address another account tried to take. */
export function addressInUseMail(c: MailContext): MailMessage {
  const t = getEmailMessages(c);
  const v = { realm: c.realmName, email: c.to };
  return compose(c, t, { subject: format(t.inUseSubject, v), paragraphs: [format(t.inUseIntro, v)], closing: [] });
}

export function alreadyRegisteredMail(c: MailContext): MailMessage {
  const t = getEmailMessages(c);
  const v = { realm: c.realmName, email: c.to };
  return compose(c, t, { subject: format(t.registeredSubject, v), paragraphs: [format(t.registeredIntro, v), t.registeredHint], closing: [] });
}

function compose(c: MailContext, t: EmailMessages, mail: Mail): MailMessage {
  const greeting = format(t.mailGreeting, { username: c.username });
  const footer = format(t.mailFooter, { realm: c.realmName });
  const codeLine = mail.code ? [mail.codeText ?? format(t.verifyCode, { code: mail.code })] : [];
  const text = [
    greeting, ...mail.paragraphs, ...(mail.action ? [`${mail.action.label}:\n${mail.action.url}`] : []), ...codeLine, ...mail.closing, '--', footer,
  ].join('\n\n') + '\n';
  return { to: c.to, subject: mail.subject, text, html: '<!doctype html>' + render(<Html context={c} greeting={greeting} mail={mail} codeLine={codeLine[0]} footer={footer} />) };
}

const box = 'max-width:480px;margin:0 auto;padding:32px;background:#ffffff;border:1px solid #e2e8f0;border-radius:12px;overflow-wrap:anywhere;word-break:break-word;';
const font = 'font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;font-size:15px;line-height:1.5;color:#0f172a;';

function Html(p: { context: MailContext; greeting: string; mail: Mail; codeLine?: string; footer: string }) {
  const { realmName, logoUrl, primaryColor = '#4f46e5' } = p.context;
  const buttonText = readableOn(primaryColor);
  return (
    <html>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{p.mail.subject}</title>
      </head>
      <body style={`margin:0;padding:24px 12px;background:#f1f5f9;${font}`}>
        <div style={box}>
          {logoUrl
            ? <p style="margin:0 0 24px;"><img src={logoUrl} alt={realmName} height="48" style="display:block;height:48px;width:auto;max-width:100%;border:0;" /></p>
            : <p style="margin:0 0 24px;font-size:17px;font-weight:600;">{realmName}</p>}
          <p style="margin:0 0 12px;">{p.greeting}</p>
          {p.mail.paragraphs.map((text) => <p style="margin:0 0 12px;">{text}</p>)}
          {p.mail.action && (
            <p style="margin:24px 0;">
              <a href={p.mail.action.url} style={`display:inline-block;padding:12px 20px;background:${primaryColor};color:${buttonText};border-radius:8px;font-weight:600;text-decoration:none;`}>
                {p.mail.action.label}
              </a>
            </p>
          )}
          {p.codeLine && <p style="margin:0 0 12px;">{p.codeLine}</p>}
          {p.mail.closing.map((text) => <p style="margin:0 0 12px;color:#475569;font-size:14px;">{text}</p>)}
          {p.mail.action && <p style="margin:16px 0 0;color:#475569;font-size:13px;word-break:break-all;">{p.mail.action.url}</p>}
        </div>
        <p style="max-width:480px;margin:16px auto 0;color:#64748b;font-size:12px;text-align:center;">{p.footer}</p>
      </body>
    </html>
  );
}
