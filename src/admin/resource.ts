// What every admin resource shares: its ETag (RFC 9110 §8.8.3) and If-Match (§13.1.1), and the audit
// event each change leaves (who, what, digests of before and after; never the content itself).
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { recordEvent, type EventType } from '../security/audit.js';
import type { Needs } from '../services.js';
import type { Realm } from '../store/realms.js';
import type { AdminAccess } from './api-access.js';
import { AdminProblem } from './problems.js';

declare module 'fastify' {
  interface FastifyRequest { adminAccess?: AdminAccess }
}

/** The caller's access, set by the admin API's authentication hook before any handler runs. */
export function accessOf(request: FastifyRequest): AdminAccess {
  if (!request.adminAccess) throw new Error('admin route without the authentication hook');
  return request.adminAccess;
}

function digest(representation: unknown): string {
  return createHash('sha256').update(JSON.stringify(representation)).digest('base64url').slice(0, 27);
}

/** A strong ETag of a representation: it changes whenever the representation does. */
export function etagOf(representation: unknown): string {
  return `"${digest(representation)}"`;
}

/** Sends a single resource with its ETag. */
export function sendResource(reply: FastifyReply, representation: unknown, status = 200): FastifyReply {
  return reply.code(status).header('etag', etagOf(representation)).send(representation);
}

/** RFC 9110 §13.1.1: with If-Match, the change goes ahead only if the resource is still what the caller saw. */
export function assertIfMatch(request: FastifyRequest, current: unknown): void {
  const header = request.headers['if-match'];
  if (header === undefined) return;
  const wanted = header.split(',').map((tag) => tag.trim());
  if (wanted.includes('*') || wanted.includes(etagOf(current))) return;
  throw new AdminProblem(412, 'Precondition failed', 'the resource has changed since the ETag in If-Match was read', 'if-match');
}

export type AdminEventType = Extract<EventType, `admin_${string}`>;

/** What this module uses (services.ts `Needs`). */
export type AdminChangeDeps = Needs<'audit'>;

export interface AdminChange {
  type: AdminEventType;
  /** e.g. `clients/web`, relative to the realm. */
  resource: string;
  before?: unknown;
  after?: unknown;
  userId?: string;
  clientId?: string;
}

/** Records a change made through the API in the realm's audit log (and so to its webhooks). */
export function recordChange(s: AdminChangeDeps, request: FastifyRequest, realm: Realm, change: AdminChange): Promise<void> {
  return recordEvent(s, {
    realm, type: change.type, userId: change.userId, clientId: change.clientId, ip: request.ip,
    details: {
      actor: accessOf(request).actor,
      resource: change.resource,
      before_digest: change.before === undefined ? null : digest(change.before),
      after_digest: change.after === undefined ? null : digest(change.after),
    },
  });
}
