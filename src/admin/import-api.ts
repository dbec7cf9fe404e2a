// POST /admin/import?from=keycloak|auth0&realm=…[&dry_run=true]: the admin API's half of
// `strix import --from …` (docs/migrating-from-keycloak.md). The body is the other system's export
// — a Keycloak realm export (which may create its realm) or an Auth0 user export as a JSON list —
// read and checked whole before anything is written; the answer is the import report.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { route } from '../http/endpoint.js';
import { auth0Plan } from './import/auth0.js';
import { keycloakRealms } from './import/keycloak.js';
import { applyPlan, type ApplyPlanDeps } from './import/plan.js';
import { adminEndpoints } from './endpoints.js';
import { AdminProblem } from './problems.js';
import { accessOf, recordChange, type AdminChangeDeps } from './resource.js';
import { operation } from './schemas.js';

/** What this module uses (services.ts `Needs`). */
export type AdminImportDeps = ApplyPlanDeps & AdminChangeDeps;

const ImportQuery = Type.Object({
  from: Type.Union([Type.Literal('keycloak'), Type.Literal('auth0')], { description: 'the system the export comes from' }),
  realm: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'the realm: required for auth0; for keycloak, the export\'s realm (by default) or, when it holds several, the one to import' })),
  dry_run: Type.Optional(Type.Boolean({ description: 'report only: nothing is written' })),
}, { additionalProperties: false });
const ForeignExport = Type.Union([
  Type.Object({}, { additionalProperties: true, description: 'a Keycloak realm export (kc.sh export, or the console\'s partial export)' }),
  Type.Array(Type.Unknown(), { description: 'an Auth0 user export, one object per user' }),
]);
const ImportReportBody = Type.Object({
  applied: Type.Boolean({ description: 'false for a dry run' }),
  entries: Type.Array(Type.Object({ kind: Type.String(), item: Type.String(), detail: Type.String() })),
});

export function adminImportRoutes(app: FastifyInstance, s: AdminImportDeps): void {
  route(app, adminEndpoints.admin_import, {
    POST: {
      schema: operation('Import another system\'s export into the realm (Keycloak realm export, Auth0 users); the answer is the report', ['realms'], {
        querystring: ImportQuery, body: ForeignExport, response: { 200: ImportReportBody },
      }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const query = request.query as { from: 'keycloak' | 'auth0'; realm?: string; dry_run?: boolean };
        const body = request.body as unknown;
        const named = query.realm ?? (Array.isArray(body) ? undefined : (body as { realm?: unknown }).realm);
        if (typeof named !== 'string' || named === '') throw new AdminProblem(400, 'Invalid request', 'realm is required: the realm to import into', 'realm');
        const realm = named;
        if (!accessOf(request).manage(realm)) throw new AdminProblem(403, 'Forbidden', `the token may not manage the realm ${realm}`, 'realm');
        let plan;
        if (query.from === 'auth0') {
          if (!Array.isArray(body)) throw new AdminProblem(400, 'Invalid request', 'an Auth0 export is a JSON list of users', 'body');
          plan = auth0Plan(body, 'body', realm);
        } else {
          if (Array.isArray(body)) throw new AdminProblem(400, 'Invalid request', 'a Keycloak realm export is a JSON object', 'body');
          const plans = keycloakRealms(body, 'body', realm);
          if (plans.length === 0) throw new AdminProblem(400, 'Invalid request', `the export holds no realm named ${realm}`, 'realm');
          plan = plans[0]!;
        }
        if (!query.dry_run) {
          await applyPlan(s, plan);
          const stored = (await s.store.realms.get(realm))!;
          await recordChange(s, request, stored, { type: 'admin_realm_imported', resource: `realms/${realm}/import` });
        }
        return reply.send({ applied: !query.dry_run, entries: plan.report.entries });
      },
    },
  });
}
