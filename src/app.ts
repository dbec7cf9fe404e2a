// Builds the Fastify app from Services: plugins, security headers, routes, and the one place
// where errors are rendered (JSON for back-channel endpoints, an HTML page for the browser).
import formbody from '@fastify/formbody';
import cookie from '@fastify/cookie';
import { createOutbound } from './http/outbound.js';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import pino, { type Logger } from 'pino';
import { trustProxyOption, type Config } from './config.js';
import { InvalidClient } from './http/client-auth.js';
import { corsPolicy } from './http/cors.js';
import { endpointShapedLike, matchedEndpoint, route } from './http/endpoint.js';
import { OAuthError, PageError, TooManyRequests } from './http/errors.js';
import { HashingBusy } from './identity/passwords.js';
import { httpsOnly } from './http/https-only.js';
import { asksForJsonOnly } from './http/params.js';
import { wellFormedInput } from './http/well-formed-input.js';
import { securityHeaders } from './http/security-headers.js';
import { realmResolver } from './http/realm.js';
import { healthRoutes } from './ops/health.js';
import { metrics } from './ops/metrics.js';
import { requestSerializer } from './ops/log-redaction.js';
import { requestId } from './ops/request-id.js';
import { authorizeRoutes } from './oauth/authorize.js';
import { deviceRoutes } from './oauth/device.js';
import { discoveryRoutes } from './oauth/discovery.js';
import { introspectRoutes } from './oauth/introspect.js';
import { logoutRoutes } from './oauth/logout.js';
import { parRoutes } from './oauth/par.js';
import { registerRoutes } from './oauth/register.js';
import { revokeRoutes } from './oauth/revoke.js';
import { sessionManagementRoutes } from './oauth/session-management.js';
import { adminApiRoutes } from './admin/api.js';
import { adminConsoleRoutes } from './admin/console.js';
import { createAuditLog } from './security/audit.js';
import { realmIpRules } from './security/ip-rules.js';
import { startWebhookDelivery } from './security/webhooks.js';
import { startMailDelivery } from './mail/outbox.js';
import { rateLimits } from './security/rate-limits.js';
import { tokenRoutes } from './oauth/token.js';
import { userinfoRoutes } from './oauth/userinfo.js';
import { systemClock, type Clock } from './runtime.js';
import type { Services } from './services.js';
import { isDatabaseUnavailable } from './store/db.js';
import { openStore } from './store/index.js';
import { Keystore } from './tokens/keystore.js';
import { createSealer, loadMasterKey } from './tokens/master-key.js';
import { deviceVerificationRoutes } from './ui/device-verification.js';
import { loginActionRoutes } from './ui/login-actions.js';
import { updatePasswordRoutes } from './ui/update-password.js';
import { passwordResetRoutes } from './ui/password-reset.js';
import { executeActionsRoutes } from './ui/execute-actions.js';
import { emailVerificationRoutes } from './ui/email-verification.js';
import { registrationRoutes } from './ui/registration.js';
import { emailSignInRoutes } from './ui/email-sign-in.js';
import { accountEmailRoutes } from './ui/account-email.js';
import { accountHomeRoutes } from './ui/account-home.js';
import { accountPasswordRoutes } from './ui/account-password.js';
import { accountProfileRoutes } from './ui/account-profile.js';
import { accountSessionRoutes } from './ui/account-sessions.js';
import { brokerRoutes, linkedAccountRoutes } from './ui/broker.js';
import { brokerLogoutRoutes } from './oauth/broker-logout.js';
import { brokerTokenRoutes } from './oauth/broker-token.js';
import { requiredActionRoutes } from './ui/required-actions.js';
import { mfaActionRoutes } from './ui/mfa-actions.js';
import { passkeyActionRoutes } from './ui/passkey-actions.js';
import { registerPageRenderer } from './ui/page-renderer.js';
import { sessionPolicy } from './ui/account-page.js';
import { errorPage } from './ui/pages.js';
import { uiEndpoints } from './ui/endpoints.js';
import { formPostScript, pageRealm, sendPage, type RenderDeps } from './ui/render.js';
import { brandingRoutes } from './ui/branding.js';
import { stylesheet } from './ui/styles.js';

/** `destination` (stdout by default) lets tests read what would be logged. */
export function createLogger(level: Config['logLevel'], destination?: pino.DestinationStream): Logger {
  return pino({
    level,
    // Nothing secret in logs: credentials travel in these headers and form fields.
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', 'password', 'client_secret', 'code', 'refresh_token', 'device_code', 'user_code'],
      censor: '[redacted]',
    },
    serializers: { req: requestSerializer },
  }, destination);
}

/** `migrate: false` for cluster workers: the primary has already migrated the database. */
export async function createServices(config: Config, log: Logger, clock: Clock = systemClock, options: { migrate?: boolean } = {}): Promise<Services> {
  const store = await openStore(config.databaseUrl, {
    ...options, cachedClients: config.cache.clients, onChangesError: (error) => log.warn({ event: 'cache_channel_error', err: error.message }, 'cache invalidation channel: retrying (caches expire by themselves meanwhile)'),
  });
  const sealer = createSealer(loadMasterKey(config.masterKey, config.dataDir, (m) => log.warn(m)));
  return {
    config, store, sealer, clock, log, keystore: new Keystore(store.signingKeys, sealer, clock, store.changes, config.cache.realms),
    audit: createAuditLog(store.events, clock, log),
    outbound: createOutbound(config.outboundAllow, log),
  };
}

/** The wiring: all of Services, from which each route module takes the part its `…Deps` type names. */
export async function buildApp(s: Services): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: s.log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: s.config.logLevel !== 'debug' && s.config.logLevel !== 'trace' }),
    bodyLimit: 64 * 1024,
    trustProxy: trustProxyOption(s.config.trustProxy),
    routerOptions: { maxParamLength: 200 },
    requestIdHeader: false,
    genReqId: requestId,
    // A path the router cannot decode (`%FF` in a segment) is answered like any other malformed request.
    frameworkErrors: (error, request, reply) => renderError(s, error, request, reply),
  });
  // Hooks that wait for nothing take a callback: every request runs them, and a promise per hook costs.
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    done(null, payload);
  });
  await app.register(formbody);
  await app.register(cookie);
  const https = s.config.publicUrl.startsWith('https:');
  securityHeaders(app, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"], baseUri: ["'none'"], frameAncestors: ["'none'"],
        // No form-action: browsers apply it to the redirect that follows a form post, and that
        // redirect goes to the client's registered redirect URI.
      },
    },
    hsts: https ? { maxAge: 31_536_000 } : false,
    crossOriginResourcePolicy: false,
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: 'no-referrer' },
    xFrameOptions: { action: 'deny' },
  });

  // Before anything else a request does: one that came over plain http gets no further (OAUTH-17).
  httpsOnly(app, s.config);
  // Nothing with a NUL byte or ill-formed UTF-8 reaches the store (PostgreSQL would answer 500).
  wellFormedInput(app, wantsJson);

  const cors = corsPolicy(s);
  app.addHook('onRequest', (request, reply, done) => {
    if (matchedEndpoint(request)?.cors !== 'clients') return done();
    cors.apply(request, reply).then(() => {
      if (request.method === 'OPTIONS') reply.code(204).send();
      else done();
    }, done);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => renderError(s, error, request, reply));
  // Protocol code answers with page views (src/http/page-view.ts); the page layer renders them.
  registerPageRenderer(app, s);
  app.setNotFoundHandler((request, reply) => renderError(s, new PageError('Not found', 'There is nothing at this address.', 404), request, reply));

  route(app, uiEndpoints.stylesheet, async (_request, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(stylesheet));
  route(app, uiEndpoints.form_post_script, async (_request, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(formPostScript));
  healthRoutes(app, s);
  metrics(app, s.store.poolStats);
  // A node that serves must hear other nodes' changes to the clients, realms and keys it caches.
  await s.store.changes.listen();

  realmResolver(app, s);
  brandingRoutes(app);
  realmIpRules(app);
  await rateLimits(app, s);
  // After the realm and the rate limits, before the handler: endpoints with `session: 'required'`.
  sessionPolicy(app, s);
  discoveryRoutes(app, s);
  authorizeRoutes(app, s);
  loginActionRoutes(app, s);
  updatePasswordRoutes(app, s);
  passwordResetRoutes(app, s);
  executeActionsRoutes(app, s);
  emailVerificationRoutes(app, s);
  registrationRoutes(app, s);
  emailSignInRoutes(app, s);
  accountHomeRoutes(app, s);
  accountProfileRoutes(app, s);
  accountPasswordRoutes(app, s);
  accountSessionRoutes(app, s);
  accountEmailRoutes(app, s);
  brokerRoutes(app, s);
  linkedAccountRoutes(app, s);
  brokerLogoutRoutes(app, s);
  brokerTokenRoutes(app, s);
  requiredActionRoutes(app, s);
  mfaActionRoutes(app, s);
  passkeyActionRoutes(app, s);
  tokenRoutes(app, s);
  introspectRoutes(app, s);
  revokeRoutes(app, s);
  userinfoRoutes(app, s);
  logoutRoutes(app, s);
  sessionManagementRoutes(app, s, cors.realmOrigins);
  registerRoutes(app, s);
  deviceRoutes(app, s);
  deviceVerificationRoutes(app, s);
  parRoutes(app, s);
  await adminApiRoutes(app, s);
  adminConsoleRoutes(app, s);
  const webhooks = startWebhookDelivery(s);
  const mail = startMailDelivery(s);
  // Queued events are written, and the webhook and mail loops stopped, before the store is closed.
  app.addHook('onClose', async () => {
    await mail.stop();
    await s.audit.flush();
    await webhooks.stop();
  });
  return app;
}

function wantsJson(request: FastifyRequest): boolean {
  if ((matchedEndpoint(request) ?? endpointShapedLike(request.url))?.errors === 'json') return true;
  return asksForJsonOnly(request.headers.accept);
}

function renderError(s: RenderDeps, error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  // Too many password checks waiting: refused at once, 503 with Retry-After, never a 500.
  if (error instanceof HashingBusy) error = new TooManyRequests(error.retryAfter, 503);
  if (error instanceof TooManyRequests && !wantsJson(request)) {
    reply.header('retry-after', String(error.retryAfter));
    const title = error.status === 503 ? 'Temporarily unavailable' : 'Too many requests';
    return sendPage(reply, errorPage({ realm: pageRealm(s, request), title, message: `Too many requests. Try again in ${error.retryAfter} seconds.` }), error.status);
  }
  if (error instanceof OAuthError) {
    if (error instanceof InvalidClient && error.basic) reply.header('www-authenticate', `Basic realm="${request.realm?.name ?? 'strix'}"`);
    if (error instanceof TooManyRequests) reply.header('retry-after', String(error.retryAfter));
    reply.header('cache-control', 'no-store');
    return reply.code(error.status).send(error.toJSON());
  }
  let status = 500;
  let title = 'Something went wrong';
  let message = 'Strix could not complete this request. Please try again later.';
  if (error instanceof PageError) {
    ({ status, title, message } = error);
  } else if (isDatabaseUnavailable(error)) {
    // An outage, not a bug: answer at once and say when to come back; no stack in the log.
    status = 503;
    title = 'Temporarily unavailable';
    message = 'Strix cannot reach its database right now. Please try again in a moment.';
    reply.header('retry-after', '5');
    request.log.warn({ event: 'database_unavailable', err: (error as Error).message }, 'request failed: the database is unavailable');
  } else {
    const statusCode = (error as FastifyError).statusCode;
    if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
      // An over-size body keeps its 413 (RFC 9110 §15.5.14); other client errors are a plain 400.
      status = statusCode === 413 ? 413 : 400;
      title = 'Invalid request';
      message = status === 413 ? 'The request body is too large.' : 'The request was malformed.';
    } else {
      request.log.error({ err: error }, 'unhandled error');
    }
  }
  if (wantsJson(request)) {
    const code = status === 404 ? 'not_found' : status >= 500 ? 'server_error' : 'invalid_request';
    return reply.code(status).header('cache-control', 'no-store').send({ error: code, error_description: message });
  }
  return sendPage(reply, errorPage({ realm: pageRealm(s, request), title, message }), status);
}
