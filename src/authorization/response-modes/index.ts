// An authorization response (success or error) delivered in the request's response mode.
import type { Answer } from '../../http/page-view.js';
import type { TrustedRedirect } from '../request.js';
import { formPostResponse } from './form-post.js';
import { fragmentResponse } from './fragment.js';
import { queryResponse } from './query.js';

/** `values` left undefined are not sent. */
export function authorizationResponse(target: TrustedRedirect, values: Record<string, string | undefined>, status: 302 | 303): Answer {
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) if (value !== undefined) fields[name] = value;
  switch (target.responseMode) {
    case 'form_post': return { kind: 'page', view: formPostResponse(target.redirectUri, fields) };
    case 'fragment': return { kind: 'redirect', location: fragmentResponse(target.redirectUri, fields), status };
    default: return { kind: 'redirect', location: queryResponse(target.redirectUri, fields), status };
  }
}
