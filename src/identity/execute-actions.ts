// execute-actions-email (Keycloak's name; docs/email.md "Required actions"): an administrator e-mails
// a user a link that runs the listed required actions in the browser that opens it, then shows a done
// page or goes to a client's redirect URI. The link works once, for `lifespan` seconds, is stored only
// as a hash and ended by a newer one. It signs the user in to nothing; since it came to the address,
// following it verifies the address (verify_email needs no page).
import { queueMail } from '../mail/outbox.js';
import { executeActionsMail, mailContext } from '../mail/templates.js';
import { recordEvent } from '../security/audit.js';
import type { Needs } from '../services.js';
import type { Realm } from '../store/realms.js';
import type { User } from '../store/users.js';
import { enrolledFactors, type MfaDeps } from './mfa.js';
import { completeRequiredAction, requiredActionNames, type RequiredAction } from './required-actions.js';

export type ExecuteActionsDeps = Needs<'config' | 'clock' | 'sealer' | 'log' | 'audit', 'users' | 'emailActions' | 'mailOutbox'> & MfaDeps;

/** Keycloak's default `lifespan`: 12 hours. */
export const defaultActionsLifespan = 43_200;

/** What the administrator asked for: the actions, and where the browser goes once they are done. */
export interface ActionsRequest { actions: RequiredAction[]; lifespan: number; clientId?: string; redirectUri?: string }

/**
 * An opened link while its actions run: sealed into the browser that opened it (src/ui/execute-actions.ts),
 * so that only that browser continues, for at most `flowLifetimeMs`.
 */
export interface ActionsFlow {
  kind: 'execute_actions';
  /** The link's id: names the authenticator-app secret being set up. */
  id: string;
  realm: string; userId: string; email: string;
  /** Still to do, in the order they run. */
  actions: LinkAction[];
  clientId?: string; redirectUri?: string;
  expiresAt: number;
}

/** The actions a link runs on pages: verify_email is done by opening it. */
export type LinkAction = Exclude<RequiredAction, 'verify_email'>;

/** How long the actions of an opened link may take. */
export const flowLifetimeMs = 30 * 60_000;

/** Issues the link (ending the user's earlier one) and queues the message that carries it. */
export async function sendActionsEmail(
  s: ExecuteActionsDeps, realm: Realm, user: User & { email: string }, r: ActionsRequest, o: { link: (key: string) => string; locale: string },
): Promise<boolean> {
  const now = s.clock.now();
  const { token } = await s.store.emailActions.issue({
    realm: realm.name, userId: user.id, purpose: 'execute_actions', email: user.email, expiresAt: now + r.lifespan * 1000,
    details: { actions: r.actions, client_id: r.clientId, redirect_uri: r.redirectUri },
  }, now);
  const message = executeActionsMail(mailContext(s, realm, { email: user.email, username: user.username }, o.locale), r.actions, {
    link: o.link(token), hours: Math.max(1, Math.round(r.lifespan / 3600)),
  });
  return queueMail(s, realm, 'execute_actions', message);
}

const actionsOf = (details: Record<string, unknown> | undefined): RequiredAction[] => {
  const listed = Array.isArray(details?.actions) ? details.actions : [];
  return requiredActionNames.filter((a) => listed.includes(a));
};
const optional = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** The account and actions of an unused link, without using it (the page that asks to continue). */
export async function pendingActionsLink(s: ExecuteActionsDeps, realm: Realm, key: string): Promise<{ user: User; actions: RequiredAction[] } | undefined> {
  if (key === '') return undefined;
  const link = await s.store.emailActions.find(realm.name, 'execute_actions', key, s.clock.now());
  const user = link && await s.store.users.findById(link.userId);
  return link && user && stillAddressed(user, link.email) ? { user, actions: actionsOf(link.details) } : undefined;
}

/** The link went to an address: it acts only while the account is enabled and still has that address. */
const stillAddressed = (user: User, email: string): boolean => user.enabled && user.email?.toLowerCase() === email.toLowerCase();

/** Uses the link (only one caller gets it) and starts its actions; verify_email is done by opening it. */
export async function openActionsLink(s: ExecuteActionsDeps, realm: Realm, key: string, ip: string): Promise<ActionsFlow | undefined> {
  if (key === '') return undefined;
  const now = s.clock.now();
  const link = await s.store.emailActions.consume(realm.name, 'execute_actions', key, now);
  const user = link && await s.store.users.findById(link.userId);
  if (!link || !user || !stillAddressed(user, link.email)) return undefined;
  const actions = actionsOf(link.details);
  if (actions.includes('verify_email')) {
    if (user.claims.email_verified !== true) {
      await s.store.users.updateProfile(user.id, user.email, { ...user.claims, email_verified: true }, now);
      await recordEvent(s, { realm, type: 'email_verified', userId: user.id, ip, details: { username: user.username } });
    }
    await finishAction(s, realm, (await s.store.users.findById(user.id))!, 'verify_email', ip);
  }
  return {
    kind: 'execute_actions', id: link.id, realm: realm.name, userId: user.id, email: link.email,
    actions: actions.filter((a): a is LinkAction => a !== 'verify_email'),
    clientId: optional(link.details?.client_id), redirectUri: optional(link.details?.redirect_uri),
    expiresAt: now + flowLifetimeMs,
  };
}

/** The flow of this browser, if it is still running for an account that may use it. */
export async function runningFlow(s: ExecuteActionsDeps, realm: Realm, flow: ActionsFlow | undefined): Promise<{ flow: ActionsFlow; user: User } | undefined> {
  if (!flow || flow.realm !== realm.name || flow.expiresAt <= s.clock.now()) return undefined;
  const user = await s.store.users.findById(flow.userId);
  return user && stillAddressed(user, flow.email) ? { flow, user } : undefined;
}

/**
 * The action the flow asks for now. One done meanwhile drops out (a second factor set up elsewhere);
 * terms_and_conditions waits for the next sign-in while the realm has no `terms_url`.
 */
export async function nextFlowAction(s: ExecuteActionsDeps, realm: Realm, flow: ActionsFlow, user: User): Promise<LinkAction | undefined> {
  for (const action of flow.actions) {
    if (action === 'configure_totp') {
      const factors = await enrolledFactors(s, user);
      if (factors.totp || factors.passkeys > 0) continue;
    }
    if (action === 'terms_and_conditions' && !realm.settings.terms_url) continue;
    return action;
  }
  return undefined;
}

/** `action` is done: it leaves the user's required actions (and the flow, for the caller to keep). */
export async function finishAction(s: ExecuteActionsDeps, realm: Realm, user: User, action: RequiredAction, ip: string): Promise<void> {
  await completeRequiredAction(s, user, action);
  await recordEvent(s, { realm, type: 'required_action_completed', userId: user.id, ip, details: { action, via: 'execute_actions_email' } });
}
