// sector_identifier_uri (OIDC Registration §5, OIDC Core §8.1): a registering client that names
// one must serve there a JSON array holding every one of its redirect URIs, so that a client
// cannot claim another organisation's sector (and so its users' pairwise subjects).
import { OAuthError } from '../http/errors.js';
import { httpsOrLoopback } from '../http/outbound.js';
import type { Needs } from '../services.js';
import type { ClientMetadata } from '../store/clients.js';

/** What this module uses (services.ts `Needs`). */
export type SectorIdentifierDeps = Needs<'outbound'>;

const fetchTimeoutMs = 5_000;
const maxDocumentBytes = 64 * 1024;

const invalid = (description: string) => new OAuthError('invalid_client_metadata', `sector_identifier_uri: ${description}`);

/** The URIs the document lists; throws invalid_client_metadata when it cannot be fetched or is not a JSON array of strings. */
async function listedUris(s: Needs<'outbound'>, uri: string): Promise<string[]> {
  let text: string;
  try {
    // No redirects: the host of the URI registered is the sector, so it must be the one that answers.
    const response = await s.outbound.request(uri, { purpose: 'sector_identifier_uri', headers: { accept: 'application/json' }, timeoutMs: fetchTimeoutMs, maxBytes: maxDocumentBytes });
    if (response.status !== 200) throw new Error(`status ${response.status}`);
    text = response.text();
  } catch {
    throw invalid('the document could not be fetched');
  }
  let listed: unknown;
  try {
    listed = JSON.parse(text);
  } catch {
    throw invalid('the document is not JSON');
  }
  if (!Array.isArray(listed) || !listed.every((u) => typeof u === 'string')) throw invalid('the document must be a JSON array of URIs');
  return listed as string[];
}

/**
 * Fetches the client's sector_identifier_uri, if it has one, and checks that every redirect URI
 * is listed. Against server-side request forgery the rules are request_uri's: https (http only to
 * loopback, which the outbound address guard refuses unless the operator allowed it).
 */
export async function checkSectorIdentifier(s: Needs<'outbound'>, metadata: ClientMetadata): Promise<void> {
  const uri = metadata.sector_identifier_uri;
  if (uri === undefined) return;
  if (!URL.canParse(uri) || !httpsOrLoopback(new URL(uri))) throw invalid('must be an https URL');
  const listed = new Set(await listedUris(s, uri));
  const missing = metadata.redirect_uris.filter((redirectUri) => !listed.has(redirectUri));
  if (missing.length > 0) throw invalid(`does not list the redirect URI ${missing.join(', ')}`);
}
