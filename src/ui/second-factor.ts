// Asking a signed-in user for more than their password: the second-factor page, or TOTP set-up
// when policy requires a factor the user does not have yet.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { csrfToken } from '../http/cookies.js';
import { endpointUrl } from '../http/endpoint.js';
import { PageError } from '../http/errors.js';
import type { ActiveSession } from '../identity/sso.js';
import { enrolledFactors, startTotpEnrolment, type Acr, type MfaDeps } from '../identity/mfa.js';
import type { Needs } from '../services.js';
import type { Realm } from '../store/realms.js';
import { uiEndpoints } from './endpoints.js';
import { getMessages } from '../i18n/messages.js';
import { authenticationOptions, challengeKey, type WebauthnDeps } from '../identity/webauthn.js';
import { sha256 } from '../runtime.js';
import { secondFactorPage, totpSetupPage, type PasskeyForm } from './mfa-pages.js';
import { realmView, sendPage, webauthnScriptHrefs, type RenderDeps } from './render.js';

/** What this module uses (services.ts `Needs`). */
export type SecondFactorDeps = Needs<'config' | 'sealer'> & MfaDeps & WebauthnDeps & RenderDeps;

export async function showSecondFactor(
  s: SecondFactorDeps, request: FastifyRequest, reply: FastifyReply, realm: Realm, uiLocales: string | undefined,
  active: ActiveSession, interaction: string, required: Acr, error?: string, status = 200,
): Promise<FastifyReply> {
  const view = realmView(s, request, realm, uiLocales);
  const csrf = csrfToken(s, request, reply, realm.name, { interaction });
  const factors = await enrolledFactors(s, active.user);
  const t = getMessages(view);
  const passkey: PasskeyForm | undefined = factors.passkeys === 0 ? undefined : {
    action: endpointUrl(s.config, realm, uiEndpoints.login_passkey), ceremony: 'authenticate', label: t.usePasskey,
    options: await authenticationOptions(s, challengeKey.interaction(sha256(interaction)), active.user), fields: { csrf, interaction },
  };
  const codes = required !== '3' && (factors.totp || factors.recoveryCodes > 0);
  if (!codes && !passkey) {
    if (required === '3') throw new PageError('Passkey required', t.passkeyRequired, 403);
    const enrolment = await startTotpEnrolment(s, realm, active.user, active.session.id);
    return sendPage(reply, totpSetupPage({
      realm: view, action: endpointUrl(s.config, realm, uiEndpoints.login_enrol_totp), csrf, fields: { interaction },
      secret: enrolment.secret, qrSvg: enrolment.qrSvg, error,
    }), status);
  }
  return sendPage(reply, secondFactorPage({
    realm: view, scriptHrefs: webauthnScriptHrefs(s), action: endpointUrl(s.config, realm, uiEndpoints.login_second_factor),
    csrf, interaction, codes, passkey, error,
  }), status);
}
