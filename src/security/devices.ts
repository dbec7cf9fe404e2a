// New-device sign-in detection (Auth0's "suspicious activity", docs/security.md "Audit events"):
// a long-lived random cookie names the browser; each user's known browsers are kept as hashes of
// that cookie. A sign-in from a browser the user never used records `new_device`, except for the
// user's very first one, which is not suspicious.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { cookieScope } from '../http/cookies.js';
import { randomToken, sha256 } from '../runtime.js';
import type { Needs } from '../services.js';
import type { Realm } from '../store/realms.js';
import type { User } from '../store/users.js';
import { recordEvent } from './audit.js';

/** What this module uses (services.ts `Needs`). */
export type KnownDevicesDeps = Needs<'audit' | 'clock' | 'config', 'knownDevices'>;

export const deviceCookie = 'strix_device';
/** Browsers cap cookie lifetimes at 400 days; a device unseen for as long is forgotten. */
export const deviceLifetimeSeconds = 400 * 86_400;

/** The browser and system a User-Agent header names, simply (no version); undefined where it names none Strix knows. */
export function userAgentParts(header: string | undefined): { browser?: string; os?: string } {
  const ua = header ?? '';
  const browser = /Edg\//.test(ua) ? 'Edge' : /OPR\//.test(ua) ? 'Opera' : /Firefox\//.test(ua) ? 'Firefox'
    : /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : /curl\//.test(ua) ? 'curl' : undefined;
  const os = /Windows/.test(ua) ? 'Windows' : /Android/.test(ua) ? 'Android' : /iPhone|iPad|iOS/.test(ua) ? 'iOS'
    : /Mac OS X|Macintosh/.test(ua) ? 'macOS' : /CrOS/.test(ua) ? 'ChromeOS' : /Linux/.test(ua) ? 'Linux' : undefined;
  return { ...(browser ? { browser } : {}), ...(os ? { os } : {}) };
}

/** "Firefox on Windows": enough to recognise a browser, without storing the whole header. */
export function userAgentSummary(header: string | undefined): string {
  const { browser, os } = userAgentParts(header);
  return `${browser ?? 'unknown browser'} on ${os ?? 'unknown system'}`;
}

/**
 * Called after a successful interactive sign-in: gives the browser a device cookie if it has none,
 * remembers it for the user, and records `new_device` when the user had signed in from other
 * browsers but never this one. A failure here is logged and never stops the sign-in.
 */
export async function noteDevice(
  s: KnownDevicesDeps, request: FastifyRequest, reply: FastifyReply, realm: Realm, user: User, sessionId: string, clientId: string,
): Promise<void> {
  try {
    let token = request.cookies[deviceCookie];
    if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) {
      token = randomToken();
      const scope = cookieScope(s.config.publicUrl, realm.name);
      reply.setCookie(deviceCookie, token, { path: scope.path, secure: scope.secure, httpOnly: true, sameSite: 'lax', maxAge: deviceLifetimeSeconds });
    }
    const userAgent = userAgentSummary(request.headers['user-agent']);
    const { isNew, hadOthers } = await s.store.knownDevices.sighted(user.id, sha256(token), userAgent, s.clock.now());
    if (isNew && hadOthers) {
      await recordEvent(s, { realm, type: 'new_device', userId: user.id, clientId, ip: request.ip, sessionId, details: { user_agent: userAgent } });
    }
  } catch (error) {
    request.log.error({ err: error, event: 'device_check_failed' }, 'could not check the sign-in device');
  }
}
