// Work a page must not be timed by: it runs once the answer has gone to the network (or the
// connection closed), so an account that exists and one that does not answer alike however long
// the writes for the one that exists take (docs/email.md "No user enumeration").
import type { FastifyReply, FastifyRequest } from 'fastify';

export function afterAnswer(request: FastifyRequest, reply: FastifyReply, what: string, work: () => Promise<unknown>): void {
  let started = false;
  const run = () => {
    if (started) return;
    started = true;
    work().catch((error: unknown) => request.log.error({ err: error, event: `${what}_failed` }, `${what} failed after the answer`));
  };
  reply.raw.once('finish', run);
  reply.raw.once('close', run);
}
