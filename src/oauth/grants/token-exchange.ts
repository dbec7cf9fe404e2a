// OAuth 2.0 Token Exchange (RFC 8693).
export const tokenExchangeGrantType = 'urn:ietf:params:oauth:grant-type:token-exchange';
