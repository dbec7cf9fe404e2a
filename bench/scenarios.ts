// The scenarios, as flows the load generator plays against a prepared server. Every scenario
// sends the same requests to Strix and to the peer; only the endpoint paths (from discovery)
// and the number of redirects in the sign-in (each server's own design) differ.
import { availableParallelism } from 'node:os';
import { basic, ccClients, ccScope, opaqueClient, webClient } from './common.js';
import { authorizePath, codeFrom, cookieHeader, credentialsBody, onServer, parseForm, pkcePair, storeCookies, tokenBody, type CookieJar } from './browser.js';
import type { Flow, FlowContext, HttpRequest, HttpResponse, Step } from './load.js';

export interface Endpoints { discovery: string; authorization: string; token: string; introspection: string; userinfo: string; jwks: string }

/** A server made ready for the scenarios: a signed-in browser, tokens, a pool of refresh tokens. */
export interface Prepared {
  base: string;
  endpoints: Endpoints;
  /** Cookie header of a browser with an SSO session. */
  ssoCookie: string;
  /** An access token of `web-opaque` for introspection and userinfo. */
  accessToken: string;
  /** Unused refresh tokens of `web`; each chain continues with the token its response returns. */
  refreshTokens: string[];
  /** HTTP requests a fresh browser makes from the authorization request to the code (sign-in included). */
  signInRequests: number;
  /** Renews what expires (the access token) before a scenario. */
  renew?: () => Promise<void>;
}

export interface Scenario {
  id: string;
  label: string;
  /** What one measured unit is. */
  unit: 'request' | 'iteration';
  /** At most this many connections, whatever BENCH_CONNECTIONS says. */
  maxConnections?: number;
  build(p: Prepared): Flow;
}

const form = { 'content-type': 'application/x-www-form-urlencoded' };
const path = (url: string) => { const u = new URL(url); return u.pathname + u.search; };
const isJson200 = (needle: string) => (r: HttpResponse) => r.status === 200 && r.body.includes(needle);
const location = (r: HttpResponse): string | undefined => {
  const value = r.headers.location;
  return Array.isArray(value) ? value[0] : value;
};

export const ccBody = new URLSearchParams({ grant_type: 'client_credentials', scope: ccScope }).toString();

export function clientCredentials(alg: 'ES256' | 'RS256', tokenPath: (p: Prepared) => string): Scenario {
  return {
    id: `client_credentials-${alg}`, label: `client_credentials ${alg}`, unit: 'request',
    build: (p) => ({
      steps: [{
        request: { method: 'POST', path: tokenPath(p), headers: { ...form, authorization: basic(ccClients[alg]) }, body: ccBody },
        check: isJson200('"access_token"'),
      }],
    }),
  };
}

const refresh: Scenario = {
  id: 'refresh_token', label: 'refresh_token (rotating)', unit: 'request',
  build: (p) => {
    // Tokens rotate: each one is sent exactly once, and the response's new one goes back in the queue.
    const queue = p.refreshTokens;
    return {
      steps: [{
        request: (ctx: FlowContext): HttpRequest => {
          ctx.token = queue.shift() ?? 'pool-exhausted';
          return {
            method: 'POST', path: path(p.endpoints.token), headers: { ...form, authorization: basic(webClient) },
            body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: ctx.token }).toString(),
          };
        },
        check: (r) => {
          if (r.status !== 200) return false;
          let next: string | undefined;
          try { next = (JSON.parse(r.body) as { refresh_token?: string }).refresh_token; } catch { return false; }
          if (!next) return false;
          queue.push(next);
          return true;
        },
      }],
    };
  },
};

const codeFlow: Scenario = {
  id: 'authorization_code-sso', label: 'code flow, SSO session (authorize+token)', unit: 'iteration',
  build: (p) => ({
    steps: [
      {
        request: (ctx) => {
          const { verifier, challenge } = pkcePair();
          ctx.verifier = verifier;
          return { method: 'GET', path: authorizePath(p.endpoints.authorization, webClient.id, challenge), headers: { accept: 'text/html', cookie: p.ssoCookie } };
        },
        check: (r, ctx) => {
          const to = location(r);
          ctx.code = r.status >= 300 && r.status < 400 && to ? codeFrom(new URL(to, p.base).href) : undefined;
          return ctx.code !== undefined;
        },
      },
      {
        request: (ctx) => ({ method: 'POST', path: path(p.endpoints.token), headers: { ...form, authorization: basic(webClient) }, body: tokenBody(ctx.code, ctx.verifier) }),
        check: isJson200('"id_token"'),
      },
    ],
  }),
};

/** A fresh browser each iteration: authorization request, the sign-in form, the password, the code. */
const signIn: Scenario = {
  id: 'password-sign-in', label: 'password sign-in via form (argon2id)', unit: 'iteration',
  // Strix lets 16 password checks per core wait for a turn and answers 503 beyond that
  // (src/identity/passwords.ts): 50 connections would measure that refusal, not sign-in.
  maxConnections: 8 * availableParallelism(),
  build: (p) => {
    const last = p.signInRequests - 1;
    const steps: Step[] = [];
    for (let i = 0; i <= last; i++) {
      steps.push({
        request: (ctx) => {
          if (i === 0) {
            ctx.jar = new Map() as CookieJar;
            return { method: 'GET', path: authorizePath(p.endpoints.authorization, webClient.id, pkcePair().challenge), headers: { accept: 'text/html' } };
          }
          const next = ctx.next as HttpRequest | undefined;
          if (!next) return null;
          const jar = ctx.jar as CookieJar;
          return { ...next, headers: { ...next.headers, accept: 'text/html', ...(jar.size > 0 ? { cookie: cookieHeader(jar) } : {}) } };
        },
        check: (r, ctx) => {
          storeCookies(ctx.jar as CookieJar, r.headers['set-cookie']);
          const to = location(r);
          const absolute = to ? new URL(to, p.base).href : undefined;
          if (i === last) return r.status >= 300 && r.status < 400 && codeFrom(absolute) !== undefined;
          ctx.next = undefined;
          const here = absolute && onServer(p.base, absolute);
          if (r.status >= 300 && r.status < 400 && here) {
            ctx.next = { method: 'GET', path: here };
            return true;
          }
          const found = r.status === 200 ? parseForm(r.body) : undefined;
          if (!found) return false;
          const action = onServer(p.base, found.action, p.base);
          if (!action) return false;
          ctx.next = { method: 'POST', path: action, headers: form, body: credentialsBody(found.fields) };
          return true;
        },
      });
    }
    return { steps };
  },
};

export const scenarios: Scenario[] = [
  clientCredentials('ES256', (p) => path(p.endpoints.token)),
  clientCredentials('RS256', (p) => path(p.endpoints.token)),
  refresh,
  codeFlow,
  {
    id: 'introspection', label: 'introspection (active token)', unit: 'request',
    build: (p) => ({
      steps: [{
        request: { method: 'POST', path: path(p.endpoints.introspection), headers: { ...form, authorization: basic(opaqueClient) }, body: new URLSearchParams({ token: p.accessToken }).toString() },
        check: isJson200('"active":true'),
      }],
    }),
  },
  {
    id: 'userinfo', label: 'userinfo (GET, Bearer)', unit: 'request',
    build: (p) => ({ steps: [{ request: { method: 'GET', path: path(p.endpoints.userinfo), headers: { authorization: `Bearer ${p.accessToken}` } }, check: isJson200('"sub"') }] }),
  },
  {
    id: 'discovery', label: 'discovery document', unit: 'request',
    build: (p) => ({ steps: [{ request: { method: 'GET', path: path(p.endpoints.discovery) }, check: isJson200('"issuer"') }] }),
  },
  {
    id: 'jwks', label: 'JWKS', unit: 'request',
    build: (p) => ({ steps: [{ request: { method: 'GET', path: path(p.endpoints.jwks) }, check: isJson200('"keys"') }] }),
  },
  signIn,
];

/** The ceiling server answers the client_credentials request on /token/{alg}. */
export const ceilingScenarios: Scenario[] = [
  clientCredentials('ES256', () => '/token/ES256'),
  clientCredentials('RS256', () => '/token/RS256'),
];
