// Which redirect URIs a client may register and how a requested one is matched (RFC 6749 §3.1.2,
// RFC 9700 §2.1 and §2.6, RFC 8252 §7.3 and §8.3).
import type { Client } from '../store/clients.js';

/** Loopback hosts: the IP literals (RFC 8252 §7.3) and `localhost`, which resolves to them. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * RFC 9700 §2.6: plain http would expose the code or tokens on the network, so it is refused
 * except on a loopback host, where the traffic never leaves the machine (native apps, RFC 8252
 * §7.3, and web apps under development).
 */
export function transportAllowed(url: URL): boolean {
  return url.protocol !== 'http:' || isLoopbackHost(url.hostname);
}

/** http on a loopback IP literal: the port is the only part a native app cannot know in advance. */
const loopbackIpOrigin = /^http:\/\/(127\.0\.0\.1|\[::1\])(:\d{1,5})?(?=[/?]|$)/;

/**
 * Exact string comparison (RFC 6749 §3.1.2.3, RFC 9700 §4.1.3), with one exception: a native
 * client's loopback IP redirect URI matches with any port (RFC 8252 §7.3), everything else equal.
 * `localhost` gets no such latitude (RFC 8252 §8.3 advises against it).
 */
export function redirectUriMatches(client: Client, registered: string, requested: string): boolean {
  if (registered === requested) return true;
  if (client.metadata.application_type !== 'native') return false;
  const withoutPort = (uri: string) => loopbackIpOrigin.test(uri) ? uri.replace(loopbackIpOrigin, 'http://$1') : undefined;
  const a = withoutPort(registered);
  return a !== undefined && a === withoutPort(requested);
}
