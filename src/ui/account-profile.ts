// The account console's Personal info (docs/account.md): the user changes the standard claims the
// realm lets users edit (`user_editable_claims`); the next ID token and userinfo answer carry them.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { csrfToken } from '../http/cookies.js';
import { endpointUrl, route } from '../http/endpoint.js';
import { claimLabel, getAccountMessages } from '../i18n/account-messages.js';
import { format, messages } from '../i18n/messages.js';
import { editedClaims, maxClaimLength } from '../identity/profile.js';
import type { ActiveSession } from '../identity/sso.js';
import { recordEvent } from '../security/audit.js';
import type { Needs } from '../services.js';
import type { Realm } from '../store/realms.js';
import { accountForm, accountNav, accountSession, type AccountPageDeps } from './account-page.js';
import { personalInfoPage } from './account-pages.js';
import { uiEndpoints } from './endpoints.js';
import { realmView, sendPage } from './render.js';

/** What this module uses (services.ts `Needs`). */
export type AccountProfileDeps = Needs<'audit' | 'clock', 'users'> & AccountPageDeps;

/** The languages a user may choose: those the pages are written in. */
const locales = Object.keys(messages);

export function accountProfileRoutes(app: FastifyInstance, s: AccountProfileDeps): void {
  route(app, uiEndpoints.account_personal_info, {
    GET: async (request, reply) => show(s, request, reply, request.realm!, accountSession(request)),
    POST: async (request, reply) => {
      const realm = request.realm!;
      const { active } = accountForm(s, request, realm);
      const view = realmView(s, request, realm);
      const t = getAccountMessages(view);
      const params = postedClaims(request, realm.settings.user_editable_claims);
      const edit = editedClaims(active.user.claims, realm.settings.user_editable_claims, params, locales);
      if ('problem' in edit) {
        const field = claimLabel(view, edit.claim);
        const error = edit.problem === 'too_long' ? format(t.profileTooLong, { field, max: maxClaimLength }) : format(t.profileInvalid, { field });
        return show(s, request, reply, realm, active, { error, values: params }, 400);
      }
      if (edit.changed.length > 0) {
        await s.store.users.updateProfile(active.user.id, active.user.email, edit.claims, s.clock.now());
        await recordEvent(s, { realm, type: 'profile_updated', userId: active.user.id, ip: request.ip, sessionId: active.session.id, details: { claims: edit.changed } });
      }
      const user = { ...active.user, claims: edit.claims };
      return show(s, request, reply, realm, { ...active, user }, { notice: t.profileSaved });
    },
  });
}

/**
 * The editable claims as the form sent them, emptied fields included (the shared form parser drops
 * empty parameters, as OAuth wants): an emptied field removes its claim. A field sent twice changes nothing.
 */
function postedClaims(request: FastifyRequest, editable: readonly string[]): Record<string, string> {
  const body = (request.body ?? {}) as Record<string, unknown>;
  return Object.fromEntries(editable.flatMap((claim) => (typeof body[claim] === 'string' ? [[claim, body[claim]]] : [])));
}

function show(
  s: AccountProfileDeps, request: FastifyRequest, reply: FastifyReply, realm: Realm, active: ActiveSession,
  o: { notice?: string; error?: string; values?: Record<string, string | undefined> } = {}, status = 200,
): FastifyReply {
  const fields = realm.settings.user_editable_claims;
  const claims = active.user.claims;
  const values = Object.fromEntries(fields.map((claim) => {
    const value = o.values ? o.values[claim] : claims[claim];
    return [claim, typeof value === 'string' ? value : ''];
  }));
  return sendPage(reply, personalInfoPage({
    realm: realmView(s, request, realm), nav: accountNav(s, request, realm, active, 'personal_info'),
    action: endpointUrl(s.config, realm, uiEndpoints.account_personal_info), csrf: csrfToken(s, request, reply, realm.name, { session: active.session.id }),
    username: active.user.username, email: active.user.email ?? undefined, fields, values, locales, maxLength: maxClaimLength, notice: o.notice, error: o.error,
  }), status);
}
