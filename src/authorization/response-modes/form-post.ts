// response_mode=form_post (OAuth 2.0 Form Post Response Mode §2): the response's parameters as the
// fields of a form that the browser posts to the redirect URI; the page layer renders it.
import type { FormPostView } from '../../http/page-view.js';

export function formPostResponse(redirectUri: string, fields: Record<string, string>): FormPostView {
  return { page: 'form_post', action: redirectUri, fields };
}
