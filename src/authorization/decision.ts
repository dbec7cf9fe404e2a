// What an authorization request needs next (OIDC Core §3.1.2.3–§3.1.2.4): sign-in, a further
// factor, consent, or nothing — a value the endpoint and the sign-in forms act on — and the parking
// of a request in an interaction while the user answers a page.
import { OAuthError, PageError } from '../http/errors.js';
import { requiredAcr, satisfies, type Acr, type MfaDeps } from '../identity/mfa.js';
import type { ActiveSession } from '../identity/sso.js';
import { pendingRequiredAction, type RequiredAction, type RequiredActionsDeps } from '../identity/required-actions.js';
import type { Needs } from '../services.js';
import type { Client } from '../store/clients.js';
import type { Realm } from '../store/realms.js';
import { subjectFor, type SubjectDeps } from '../tokens/subject.js';
import type { AuthorizationRequest } from './request.js';

/** What this module uses (services.ts `Needs`). */
export type DecisionDeps = Needs<'clock', 'consents' | 'interactions'> & MfaDeps & SubjectDeps & RequiredActionsDeps;

/** As long as an authorization request may wait for the user. */
export const interactionLifetimeMs = 30 * 60_000;

/** A parked interaction being resumed; `signedIn` is the session its sign-in form just started. */
export interface Continuation { id: string; signedIn?: ActiveSession }

export type Decision =
  | { next: 'sign_in'; interaction: string }
  | { next: 'second_factor'; interaction: string; active: ActiveSession; required: Acr }
  | { next: 'update_password'; interaction: string; active: ActiveSession }
  | { next: 'required_action'; action: Exclude<RequiredAction, 'update_password' | 'configure_totp'>; interaction: string; active: ActiveSession }
  | { next: 'consent'; interaction: string; active: ActiveSession }
  | { next: 'done'; active: ActiveSession };

/**
 * `active` is the browser's session (or the one a sign-in form just started); `continuation` the
 * parked interaction when resuming after a page. With prompt=none, anything but `done` is the
 * error the client gets instead of a page. `done` from a continuation has finished it (once only).
 */
export async function decide(
  s: DecisionDeps, realm: Realm, client: Client, authorization: AuthorizationRequest,
  active: ActiveSession | undefined, continuation?: Continuation,
): Promise<Decision> {
  // OIDC Core §3.1.2.2: never answer for a different user than the one the client named (by the
  // subject this client knows the user by, pairwise or not).
  const otherUser = active !== undefined && authorization.subject !== undefined
    && await subjectFor(s, realm.name, client, active.user.id) !== authorization.subject;
  if (otherUser && continuation?.signedIn) throw new OAuthError('login_required', 'signed in as a different user than the client asked for');
  if (!active || otherUser || (!continuation?.signedIn && reauthenticationRequired(s, authorization, active))) {
    if (authorization.prompt.includes('none')) throw new OAuthError('login_required', 'the user is not signed in');
    return { next: 'sign_in', interaction: continuation?.id ?? await park(s, realm, authorization.clientId, authorization, null) };
  }
  // A policy or the client may want more than the session has: a second factor, without the password again.
  const required = await requiredAcr(s, realm, client, authorization, active.user);
  if (!satisfies(active.session, required)) {
    if (authorization.prompt.includes('none')) throw new OAuthError('interaction_required', 'a further authentication factor is needed');
    return { next: 'second_factor', interaction: continuation?.id ?? await park(s, realm, authorization.clientId, authorization, active.session.id), active, required };
  }
  // Required actions (an administrator's temporary password, an address to verify, …) come before anything is issued.
  const action = await pendingRequiredAction(s, realm, active.user);
  if (action) {
    if (authorization.prompt.includes('none')) throw new OAuthError('interaction_required', `the user must first complete the required action ${action}`);
    const interaction = continuation?.id ?? await park(s, realm, authorization.clientId, authorization, active.session.id);
    if (action === 'update_password') return { next: 'update_password', interaction, active };
    // configure_totp: the second-factor enrolment page of a user who has none.
    if (action === 'configure_totp') return { next: 'second_factor', interaction, active, required: '2' };
    return { next: 'required_action', action, interaction, active };
  }
  const consented = await s.store.consents.grantedScopes(active.user.id, client.clientId);
  const needsConsent = client.metadata.require_consent
    && (authorization.prompt.includes('consent') || authorization.scope.some((scope) => !consented.has(scope)));
  if (needsConsent) {
    if (authorization.prompt.includes('none')) throw new OAuthError('consent_required', 'the user has not consented to this client');
    return { next: 'consent', interaction: continuation?.id ?? await park(s, realm, authorization.clientId, authorization, active.session.id), active };
  }
  if (continuation && !(await s.store.interactions.finish(continuation.id))) {
    throw new PageError('Already completed', 'This sign-in was already completed. Go back to the application.');
  }
  return { next: 'done', active };
}

function reauthenticationRequired(s: DecisionDeps, authorization: AuthorizationRequest, active: ActiveSession): boolean {
  if (authorization.prompt.includes('login') || authorization.prompt.includes('select_account')) return true;
  if (authorization.maxAge === undefined) return false;
  // max_age=0 means "authenticate now", like prompt=login (OIDC Core §3.1.2.1).
  return authorization.maxAge === 0 || s.clock.now() - active.session.authTime > authorization.maxAge * 1000;
}

/** Keeps a request (an authorization request, or a device's) while the user answers pages; returns the interaction's id. */
export function park(s: DecisionDeps, realm: Realm, clientId: string, request: object, sessionId: string | null): Promise<string> {
  const now = s.clock.now();
  return s.store.interactions.create({ realm: realm.name, clientId, request, sessionId, expiresAt: now + interactionLifetimeMs }, now);
}
