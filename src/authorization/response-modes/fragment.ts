// response_mode=fragment (OAuth 2.0 Multiple Response Type Encoding Practices §2.1): the response's
// parameters in the redirect URI's fragment, which never reaches a server.
export function fragmentResponse(redirectUri: string, fields: Record<string, string>): string {
  const url = new URL(redirectUri);
  url.hash = new URLSearchParams(fields).toString();
  return url.href;
}
