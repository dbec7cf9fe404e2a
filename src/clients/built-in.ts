// Clients Strix makes itself in a realm when first needed (like Keycloak's account-console): realm
// files and `apply --prune` leave them alone.

/** The account console's public client in each realm (src/ui/account-page.ts signs browsers in with it). */
export const accountConsoleClientId = 'strix-account-console';
