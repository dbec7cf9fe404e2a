// The response types of OpenID Connect (OAuth 2.0 Multiple Response Type Encoding Practices §5).

/** The OpenID Connect response types, each a space-separated set written in canonical order. */
export const responseTypes = ['code', 'id_token', 'id_token token', 'code id_token', 'code token', 'code id_token token'] as const;
export type ResponseType = (typeof responseTypes)[number];

/** `token id_token` and `id_token token` are the same response type: compare sets, not strings. */
export function canonicalResponseType(value: string): ResponseType | undefined {
  const parts = value.split(' ').filter(Boolean);
  const set = new Set(parts);
  if (set.size !== parts.length) return undefined;
  return responseTypes.find((type) => type.split(' ').length === set.size && type.split(' ').every((p) => set.has(p)));
}

/** Whether a response type returns a token (access or ID token) from the authorization endpoint. */
export const returnsTokens = (type: string): boolean => /(^| )(id_token|token)( |$)/.test(type);
