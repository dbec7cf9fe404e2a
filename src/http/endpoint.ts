// What an endpoint is: its spec name, where it lives, and its policies as data (CORS, how errors
// are rendered, POST-only, rate limits, TLS, a signed-in session). Routes are registered from it, and the hooks that
// apply those policies read it from the matched route, never from the URL.
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema, RouteHandlerMethod } from 'fastify';
import type { Config } from '../config.js';
import type { RateLimitSettings } from '../store/realms.js';
import { methodNotAllowed, otherMethods } from './post-only.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
export type RateLimitName = Exclude<keyof RateLimitSettings, 'enabled'>;

/** `client` limits are spent after client authentication, the others before the handler (security/rate-limits.ts). */
export interface RateLimit { name: RateLimitName; by: 'ip' | 'client'; methods?: readonly Method[] }

export interface Endpoint {
  /** The spec's own name (discovery metadata, RFC 8628 `verification_uri`, RFC 7592 `registration_client_uri`), else Strix's. */
  name: string;
  /** The Fastify pattern; `:realm` is the realm's name, resolved before the handler (http/realm.ts). */
  path: string;
  methods: readonly Method[];
  /** Always JSON (back-channel, RFC 6749 §5.2), or an HTML page unless the request asks for JSON only. */
  errors: 'json' | 'page';
  /** Browser-based clients call it with fetch: the realm's client origins get CORS (http/cors.ts). */
  cors?: 'clients';
  /**
   * With `cors`: an allowed origin also gets `Access-Control-Allow-Credentials: true` (keycloak-js calls
   * it with `credentials: 'include'`), and the handler narrows the grant to its client's origins (cors.ts `forClient`).
   */
  corsCredentials?: true;
  /** Every other method is answered 405 with an OAuth error (http/post-only.ts). */
  postOnly?: true;
  rateLimits?: readonly RateLimit[];
  /** Advertised in the realm's discovery document under `name`. */
  discovery?: true;
  /** Served over plain http too: probes and scrapers talk to the node itself, not through the proxy. */
  plainHttp?: 'allowed';
  /**
   * Needs a signed-in, fully authenticated session (second factor done): the session hook
   * (ui/account-page.ts) attaches it before the handler, or answers with an error page.
   */
  session?: 'required';
  /** Bytes a request body may have, above the server's 64 KiB (a realm's settings carry its branding images). */
  bodyLimit?: number;
}

declare module 'fastify' {
  interface FastifyContextConfig { endpoint?: Endpoint }
}

/** Every endpoint of every table, for endpointShapedLike. */
const allEndpoints: Endpoint[] = [];

/** A table keyed by name: `table.token_endpoint` is the token endpoint, one step. */
export function endpointTable<K extends string>(entries: { [N in K]: Omit<Endpoint, 'name'> }): { [N in K]: Endpoint } {
  const table = Object.fromEntries(Object.entries<Omit<Endpoint, 'name'>>(entries).map(([name, e]) => [name, { name, ...e }])) as { [N in K]: Endpoint };
  allEndpoints.push(...Object.values<Endpoint>(table));
  return table;
}

/**
 * The endpoint whose path has the shape of `url` (same segments, any value in a parameter), for a
 * request the router could not match because a parameter would not decode (`/realms/%FF/…`): its
 * error is still rendered the way that endpoint renders errors.
 */
export function endpointShapedLike(url: string): Endpoint | undefined {
  const segments = url.split('?')[0]!.split('/');
  return allEndpoints.find((endpoint) => {
    const pattern = endpoint.path.split('/');
    return pattern.length === segments.length && pattern.every((part, i) => part.startsWith(':') || part === segments[i]);
  });
}

/** The endpoint of the route a request matched; undefined for an unmatched one (404). */
export function matchedEndpoint(request: FastifyRequest): Endpoint | undefined {
  return request.routeOptions.config.endpoint;
}

/** A handler with the schemas that validate its request and document it (the admin API's OpenAPI document). */
export interface SchemaHandler { schema: FastifySchema; handler: RouteHandlerMethod }
type Handlers = RouteHandlerMethod | Partial<Record<Method, RouteHandlerMethod | SchemaHandler>>;

/** Registers an endpoint: one handler for all its methods or one per method, plus its 405 and preflight routes. */
export function route(app: FastifyInstance, endpoint: Endpoint, handlers: Handlers): void {
  const config = { endpoint };
  const bodyLimit = endpoint.bodyLimit;
  for (const method of endpoint.methods) {
    const entry = typeof handlers === 'function' ? handlers : handlers[method];
    if (!entry) throw new Error(`${endpoint.name}: no handler for ${method}`);
    if (typeof entry === 'function') app.route({ method, url: endpoint.path, config, bodyLimit, handler: entry });
    else app.route({ method, url: endpoint.path, config, bodyLimit, schema: entry.schema, handler: entry.handler });
  }
  if (endpoint.postOnly) app.route({ method: [...otherMethods], url: endpoint.path, config, handler: methodNotAllowed });
  // The CORS hook answers preflights before any handler; the route is there so that it matches.
  if (endpoint.cors) app.route({ method: 'OPTIONS', url: endpoint.path, config, handler: async (_request: FastifyRequest, reply: FastifyReply) => reply.code(204).send() });
}

/** The absolute URL of an endpoint in a realm; `params` fills the path's other parameters. */
export function endpointUrl(config: Pick<Config, 'publicUrl'>, realm: { name: string } | string, endpoint: Endpoint, params: Record<string, string> = {}): string {
  const values: Record<string, string> = { ...params, realm: typeof realm === 'string' ? realm : realm.name };
  return config.publicUrl + endpoint.path.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(values[name] ?? ''));
}
