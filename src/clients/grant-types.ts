// The grant_types values a client registers (RFC 7591 §2), as the token endpoint's grants answer to them.

export const deviceCodeGrantType = 'urn:ietf:params:oauth:grant-type:device_code';   // RFC 8628 §3.4
export const tokenExchangeGrantType = 'urn:ietf:params:oauth:grant-type:token-exchange';   // RFC 8693 §2.1

/** `implicit` names no token request but is what a client registers for the implicit flow (RFC 7591 §2). */
export const supportedGrantTypes = ['authorization_code', 'implicit', 'refresh_token', 'client_credentials', 'password', deviceCodeGrantType, tokenExchangeGrantType];
