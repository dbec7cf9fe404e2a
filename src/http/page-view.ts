// What a browser-facing endpoint answers, as a value: a page for the page layer to render, or a
// redirect. Protocol code (oauth/, authorization/) builds these and never imports ui/; ui/ registers
// the renderer of pages as `reply.page` when the app starts (src/ui/page-renderer.ts).
import type { FastifyReply } from 'fastify';
import type { Acr } from '../identity/mfa.js';
import type { ActiveSession } from '../identity/sso.js';
import type { Client } from '../store/clients.js';
import type { Realm } from '../store/realms.js';

/** The sign-in form, for a parked authorization request. */
export interface SignInView {
  page: 'sign_in'; realm: Realm; client: Client; interaction: string;
  uiLocales?: string; username?: string; error?: string;
  /** The upstream provider the request asked to go straight to (kc_idp_hint / idp_hint). */
  idpHint?: string;
}

/** A further factor (or its enrolment) for a signed-in user whose session is not strong enough. */
export interface SecondFactorView {
  page: 'second_factor'; realm: Realm; interaction: string; active: ActiveSession; required: Acr;
  uiLocales?: string; error?: string;
}

/** The consent page: which client asks for which scopes. */
export interface ConsentView {
  page: 'consent'; realm: Realm; client: Client; interaction: string; active: ActiveSession; scope: string[];
  uiLocales?: string;
}

/** A required action: the user must choose a new password before the sign-in goes on (set by an administrator). */
export interface UpdatePasswordView {
  page: 'update_password'; realm: Realm; interaction: string; active: ActiveSession; uiLocales?: string; error?: string;
}

/** A required action other than update_password: verify the address, complete the profile, accept the terms. */
export interface RequiredActionView {
  page: 'required_action'; action: 'verify_email' | 'update_profile' | 'terms_and_conditions'; realm: Realm; interaction: string; active: ActiveSession;
  uiLocales?: string; error?: string;
}

/** OAuth 2.0 Form Post Response Mode: a form the browser posts to the client at once. */
export interface FormPostView { page: 'form_post'; action: string; fields: Record<string, string> }

/** RP-Initiated Logout §2: asks before ending a session the request did not prove it may end. */
export interface LogoutConfirmView {
  page: 'logout_confirm'; realm: Realm; action: string; session: string; fields: Record<string, string>;
  clientName?: string; uiLocales?: string;
}

/** Signed out: the plain page, or (Front-Channel Logout §3) one whose iframes tell clients, then moves on to `next`. */
export interface SignedOutView { page: 'signed_out'; realm: Realm; frames: string[]; next?: string; uiLocales?: string }

export type PageView = SignInView | SecondFactorView | RequiredActionView | ConsentView | UpdatePasswordView | FormPostView | LogoutConfirmView | SignedOutView;

/** A front-channel answer: a page (with its status), or a redirect that is never cached. */
export type Answer =
  | { kind: 'page'; view: PageView; status?: number }
  | { kind: 'redirect'; location: string; status: 302 | 303 };

declare module 'fastify' {
  interface FastifyReply {
    /** Renders a page view (registered by the page layer at start). */
    page(view: PageView, status?: number): Promise<FastifyReply>;
  }
}

export function sendAnswer(reply: FastifyReply, answer: Answer): FastifyReply | Promise<FastifyReply> {
  if (answer.kind === 'page') return reply.page(answer.view, answer.status);
  return reply.header('cache-control', 'no-store').redirect(answer.location, answer.status);
}
