// The pages and forms of the sign-in flow and the account pages, and the static resources they load.
// Errors are HTML pages; the account pages need a signed-in session. The protocol endpoints (including the
// device verification page) are in oauth/endpoints.ts.
import { endpointTable } from '../http/endpoint.js';
import { brandingImagesPath } from '../realms/branding.js';

const login = '/realms/:realm/login-actions';
const account = '/realms/:realm/account';
const broker = '/realms/:realm/broker/:alias';

export const uiEndpoints = endpointTable({
  login_authenticate: { path: `${login}/authenticate`, methods: ['POST'], errors: 'page', rateLimits: [{ name: 'login_per_ip', by: 'ip' }] },
  login_consent: { path: `${login}/consent`, methods: ['POST'], errors: 'page' },
  login_required_action: { path: `${login}/required-action`, methods: ['POST'], errors: 'page', rateLimits: [{ name: 'login_per_ip', by: 'ip' }] },
  login_update_password: { path: `${login}/update-password`, methods: ['POST'], errors: 'page', rateLimits: [{ name: 'login_per_ip', by: 'ip' }] },
  login_second_factor: { path: `${login}/second-factor`, methods: ['POST'], errors: 'page' },
  login_enrol_totp: { path: `${login}/enrol-totp`, methods: ['POST'], errors: 'page' },
  login_continue: { path: `${login}/continue`, methods: ['POST'], errors: 'page' },
  login_passkey: { path: `${login}/passkey`, methods: ['POST'], errors: 'page' },
  login_passkey_options: { path: `${login}/passkey-options`, methods: ['POST'], errors: 'page' },
  login_passkey_sign_in: { path: `${login}/passkey-sign-in`, methods: ['POST'], errors: 'page' },
  login_forgot_password: { path: `${login}/forgot-password`, methods: ['GET', 'POST'], errors: 'page', rateLimits: [{ name: 'password_reset_per_ip', by: 'ip', methods: ['POST'] }] },
  login_reset_password: { path: `${login}/reset-password`, methods: ['GET', 'POST'], errors: 'page', rateLimits: [{ name: 'password_reset_per_ip', by: 'ip', methods: ['POST'] }] },
  login_verify_email: { path: `${login}/verify-email`, methods: ['GET', 'POST'], errors: 'page' },
  login_verify_email_code: { path: `${login}/verify-email-code`, methods: ['POST'], errors: 'page', rateLimits: [{ name: 'user_registration_per_ip', by: 'ip' }] },
  login_email_code: { path: `${login}/email-code`, methods: ['POST'], errors: 'page', rateLimits: [{ name: 'email_sign_in_per_ip', by: 'ip' }] },
  login_email_code_verify: { path: `${login}/email-code-verify`, methods: ['POST'], errors: 'page', rateLimits: [{ name: 'email_sign_in_per_ip', by: 'ip' }] },
  login_email_link: { path: `${login}/email-link`, methods: ['GET', 'POST'], errors: 'page', rateLimits: [{ name: 'email_sign_in_per_ip', by: 'ip', methods: ['POST'] }] },
  // execute-actions-email's link (Keycloak's path): GET asks to continue, POST runs the actions one page at a time.
  login_action_token: { path: `${login}/action-token`, methods: ['GET', 'POST'], errors: 'page', rateLimits: [{ name: 'login_per_ip', by: 'ip', methods: ['POST'] }] },
  login_registration: { path: `${login}/registration`, methods: ['GET', 'POST'], errors: 'page', rateLimits: [{ name: 'user_registration_per_ip', by: 'ip', methods: ['POST'] }] },
  broker_login: { path: `${broker}/login`, methods: ['GET'], errors: 'page', rateLimits: [{ name: 'login_per_ip', by: 'ip' }] },
  // POST: a provider's form_post answer (Apple's); the state it carries is its CSRF protection.
  broker_endpoint: { path: `${broker}/endpoint`, methods: ['GET', 'POST'], errors: 'page', rateLimits: [{ name: 'login_per_ip', by: 'ip' }] },
  broker_link: { path: `${broker}/link`, methods: ['POST'], errors: 'page', rateLimits: [{ name: 'login_per_ip', by: 'ip' }] },
  // Keycloak's account resource: a browser is sent on to the console; a JSON request with a bearer token
  // (keycloak-js loadUserProfile(), from the app's origin) gets the account (ui/account-resource.ts).
  account: { path: account, methods: ['GET'], errors: 'page', cors: 'clients', corsCredentials: true },
  account_console: { path: `${account}/`, methods: ['GET'], errors: 'page', session: 'required' },
  account_personal_info: { path: `${account}/personal-info`, methods: ['GET', 'POST'], errors: 'page', session: 'required' },
  account_password: { path: `${account}/password`, methods: ['GET', 'POST'], errors: 'page', session: 'required', rateLimits: [{ name: 'login_per_ip', by: 'ip', methods: ['POST'] }] },
  account_sessions: { path: `${account}/sessions`, methods: ['GET'], errors: 'page', session: 'required' },
  account_session_sign_out: { path: `${account}/sessions/sign-out`, methods: ['POST'], errors: 'page', session: 'required' },
  account_applications: { path: `${account}/applications`, methods: ['GET'], errors: 'page', session: 'required' },
  account_application_revoke: { path: `${account}/applications/revoke`, methods: ['POST'], errors: 'page', session: 'required' },
  account_mfa: { path: `${account}/mfa`, methods: ['GET'], errors: 'page', session: 'required' },
  account_totp: { path: `${account}/mfa/totp`, methods: ['GET', 'POST'], errors: 'page', session: 'required' },
  account_totp_remove: { path: `${account}/mfa/totp/remove`, methods: ['POST'], errors: 'page', session: 'required' },
  account_passkey: { path: `${account}/mfa/passkey`, methods: ['POST'], errors: 'page', session: 'required' },
  account_passkey_remove: { path: `${account}/mfa/passkey/remove`, methods: ['POST'], errors: 'page', session: 'required' },
  account_email: { path: `${account}/email`, methods: ['GET', 'POST'], errors: 'page', session: 'required' },
  account_linked_accounts: { path: `${account}/linked-accounts`, methods: ['GET'], errors: 'page', session: 'required' },
  account_link_provider: { path: `${account}/linked-accounts/link`, methods: ['POST'], errors: 'page', session: 'required' },
  account_unlink_provider: { path: `${account}/linked-accounts/unlink`, methods: ['POST'], errors: 'page', session: 'required' },
  account_reauthenticate: { path: `${account}/reauthenticate`, methods: ['GET', 'POST'], errors: 'page', session: 'required' },
  account_recovery_codes: { path: `${account}/mfa/recovery-codes`, methods: ['POST'], errors: 'page', session: 'required' },
  stylesheet: { path: '/resources/strix.css', methods: ['GET'], errors: 'page' },
  realm_theme: { path: '/realms/:realm/resources/theme.css', methods: ['GET'], errors: 'page' },
  realm_branding_image: { path: `/realms/:realm${brandingImagesPath}/:image`, methods: ['GET'], errors: 'page' },
  form_post_script: { path: '/resources/form-post.js', methods: ['GET'], errors: 'page' },
  webauthn_library: { path: '/resources/webauthn/simplewebauthn-browser.js', methods: ['GET'], errors: 'page' },
  passkey_script: { path: '/resources/webauthn/passkeys.js', methods: ['GET'], errors: 'page' },
});
