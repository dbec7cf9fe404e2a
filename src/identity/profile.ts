// A user's own changes to their standard claims (OIDC Core §5.1) on the account console's Personal
// info page: only the claims the realm lets users edit (`user_editable_claims`), each checked for
// its kind of value. An empty value removes the claim; a claim the form did not send stays as it was.
import type { UserClaims } from '../store/users.js';

/** The standard claims a realm may let users edit: plain strings here (address and the verified numbers are not). */
export const userEditableClaimNames = ['name', 'given_name', 'family_name', 'middle_name', 'nickname', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale'];

export const maxClaimLength = 200;

export type ProfileProblem = { claim: string; problem: 'too_long' | 'invalid' };

const timeZones = new Set([...Intl.supportedValuesOf('timeZone'), 'UTC']);

/** A value that is a control character nowhere (no line breaks in a name), or a URL, date, zone or language as the claim needs. */
function valid(claim: string, value: string, locales: readonly string[]): boolean {
  if (/\p{Cc}/u.test(value)) return false;
  switch (claim) {
    case 'website': return URL.canParse(value) && ['http:', 'https:'].includes(new URL(value).protocol);
    case 'birthdate': return isBirthdate(value);
    case 'zoneinfo': return timeZones.has(value);
    case 'locale': return locales.includes(value);
    default: return true;
  }
}

/** YYYY-MM-DD of a real day, or a year alone (§5.1: the year may stand alone; 0000 hides it). */
function isBirthdate(value: string): boolean {
  if (/^\d{4}$/.test(value)) return true;
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year === 0 ? 2000 : year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/**
 * The user's claims after the change `values` asks for (of the `editable` claims only; any other is
 * left as it was), or the first problem found. `locales` are the languages a user may choose; a
 * value the user already has stays valid (an administrator may have set one outside that list).
 */
export function editedClaims(
  current: UserClaims, editable: readonly string[], values: Record<string, string | undefined>, locales: readonly string[],
): { claims: UserClaims; changed: string[] } | ProfileProblem {
  const claims: UserClaims = { ...current };
  const changed: string[] = [];
  for (const claim of editable) {
    if (values[claim] === undefined) continue;
    const value = values[claim].trim();
    if (value === (typeof current[claim] === 'string' ? current[claim] : '')) continue;
    if ([...value].length > maxClaimLength) return { claim, problem: 'too_long' };
    if (value !== '' && !valid(claim, value, locales)) return { claim, problem: 'invalid' };
    if (value === '') delete claims[claim];
    else claims[claim] = value;
    changed.push(claim);
  }
  return { claims, changed };
}
