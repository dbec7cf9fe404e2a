// One error type for protocol failures (RFC 6749 §4.1.2.1, §5.2; RFC 6750 §3.1; OIDC Core §3.1.2.6),
// rendered in one place per channel: JSON, redirect or HTML page.
export type OAuthErrorCode =
  | 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unauthorized_client'
  | 'unsupported_grant_type' | 'invalid_scope' | 'access_denied' | 'unsupported_response_type'
  | 'server_error' | 'temporarily_unavailable' | 'invalid_token' | 'insufficient_scope'
  | 'login_required' | 'consent_required' | 'interaction_required' | 'account_selection_required'
  | 'invalid_request_uri' | 'invalid_request_object' | 'request_not_supported'
  | 'request_uri_not_supported' | 'registration_not_supported'
  | 'invalid_client_metadata' | 'invalid_redirect_uri'    // RFC 7591 §3.2.2
  | 'invalid_target'                                      // RFC 8707 §2, RFC 8693 §2.2.2
  | 'authorization_pending' | 'slow_down' | 'expired_token'   // RFC 8628 §3.5
  | 'invalid_dpop_proof' | 'use_dpop_nonce';                 // RFC 9449 §5, §7.1, §8, §9

const defaultStatus: Partial<Record<OAuthErrorCode, number>> = {
  invalid_client: 401,
  invalid_token: 401,
  insufficient_scope: 403,
  server_error: 500,
  temporarily_unavailable: 503,
};

export class OAuthError extends Error {
  readonly status: number;
  constructor(readonly code: OAuthErrorCode, readonly description: string, status?: number) {
    super(description);
    this.name = 'OAuthError';
    this.status = status ?? defaultStatus[code] ?? 400;
  }

  toJSON(): { error: string; error_description: string } {
    return { error: this.code, error_description: sanitizeDescription(this.description) };
  }
}

/**
 * A request refused by a rate limit or an overload guard: 429 (RFC 6585 §4) or 503 with Retry-After.
 * OAuth has no throttling code; `temporarily_unavailable` (RFC 6749 §4.1.2.1, "temporary
 * overloading") is the one clients treat as "retry later".
 */
export class TooManyRequests extends OAuthError {
  constructor(readonly retryAfter: number, status = 429) {
    super('temporarily_unavailable', `too many requests, retry after ${retryAfter} seconds`, status);
  }
}

/** RFC 6749 restricts error_description to %x20-21 / %x23-5B / %x5D-7E. */
export function sanitizeDescription(text: string): string {
  return text.replace(/[^\x20-\x21\x23-\x5B\x5D-\x7E]/g, ' ');
}

/**
 * An error shown as an HTML page because the client or its redirect URI cannot be trusted
 * (OIDC Core §3.1.2.6: never redirect to an unverified URI).
 */
export class PageError extends Error {
  constructor(readonly title: string, message: string, readonly status = 400) {
    super(message);
    this.name = 'PageError';
  }
}
