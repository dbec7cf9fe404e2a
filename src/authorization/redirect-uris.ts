// How a requested redirect URI is matched against the registered ones (RFC 6749 §3.1.2, RFC 9700
// §2.1, RFC 8252 §7.3 and §8.3); which ones a client may register is src/clients/metadata.ts's.
import type { Client } from '../store/clients.js';

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
