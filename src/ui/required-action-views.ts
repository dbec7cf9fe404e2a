// The required-action pages as the page renderer and the action's own form show them.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { csrfToken } from '../http/cookies.js';
import { endpointUrl } from '../http/endpoint.js';
import type { RequiredActionView } from '../http/page-view.js';
import { profileClaims } from '../identity/required-actions.js';
import type { Needs } from '../services.js';
import { uiEndpoints } from './endpoints.js';
import { realmView, type RenderDeps } from './render.js';
import { termsActionPage, updateProfileActionPage, verifyEmailActionPage } from './required-action-pages.js';

export type RequiredActionViewDeps = Needs<'config' | 'sealer'> & RenderDeps;

/** The page of `view`'s action; `o.sent` once a verification code was sent, `o.values` the profile form as typed. */
export function requiredActionPage(
  s: RequiredActionViewDeps, request: FastifyRequest, reply: FastifyReply, view: RequiredActionView,
  o: { sent?: { verification: string }; values?: Record<string, string> } = {},
): string {
  const { realm, interaction, active } = view;
  const page = realmView(s, request, realm, view.uiLocales);
  const form = {
    action: endpointUrl(s.config, realm, uiEndpoints.login_required_action),
    fields: { csrf: csrfToken(s, request, reply, realm.name, { interaction }), interaction, action: view.action },
  };
  switch (view.action) {
    case 'verify_email': return verifyEmailActionPage({ realm: page, form, email: active.user.email ?? '', sent: o.sent, error: view.error });
    case 'update_profile': {
      const claims = active.user.claims as Record<string, unknown>;
      const fields = profileClaims(realm);
      const values = o.values ?? Object.fromEntries(fields.map((claim) => [claim, typeof claims[claim] === 'string' ? claims[claim] : '']));
      return updateProfileActionPage({ realm: page, form, fields, values, error: view.error });
    }
    case 'terms_and_conditions': return termsActionPage({ realm: page, form, termsUrl: realm.settings.terms_url ?? '' });
  }
}
