// response_mode=query (OAuth 2.0 Multiple Response Type Encoding Practices §2.1): the response's
// parameters added to the redirect URI's query, after any it already has.
export function queryResponse(redirectUri: string, fields: Record<string, string>): string {
  const url = new URL(redirectUri);
  for (const [name, value] of new URLSearchParams(fields)) url.searchParams.append(name, value);
  return url.href;
}
