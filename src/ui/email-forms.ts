// What the pages of the e-mail flows share: they exist only where the realm can send mail, and their
// forms belong to no session or interaction, so their CSRF tokens are bound to the browser.
import type { FastifyRequest } from 'fastify';
import { csrfValid } from '../http/cookies.js';
import { PageError } from '../http/errors.js';
import { singleParams, type Params } from '../http/params.js';
import { getMessages } from '../i18n/messages.js';
import { mailEnabled } from '../mail/transport.js';
import type { Needs } from '../services.js';
import type { Realm } from '../store/realms.js';
import { realmView } from './render.js';

/** What this module uses (services.ts `Needs`). */
export type EmailFormsDeps = Needs<'config' | 'sealer'>;

/** The realm of the request, if it can send mail; the pages do not exist otherwise. */
export function mailRealm(s: EmailFormsDeps, request: FastifyRequest): Realm {
  const realm = request.realm!;
  if (!mailEnabled(s.config, realm)) throw new PageError('Not found', 'This page does not exist.', 404);
  return realm;
}

/** The posted form, once its CSRF token (bound to the browser: these forms belong to no session) is checked. */
export function postedForm(s: EmailFormsDeps, request: FastifyRequest, realm: Realm): Params {
  let params: Params;
  try {
    params = singleParams(request.body);
  } catch (error) {
    throw new PageError('Invalid request', (error as Error).message);
  }
  if (!csrfValid(s, request, realm.name, params.csrf, 'browser')) {
    throw new PageError('Page expired', getMessages(realmView(s, request, realm)).formExpired, 403);
  }
  return params;
}

