// A user's consents and second factors in the admin API: GET …/users/{id}/consents,
// DELETE …/users/{id}/consents/{client_id} (the consent is forgotten and the user's grants to the
// client revoked, as on the account page), GET …/users/{id}/credentials and
// DELETE …/users/{id}/credentials/{credential_id} (an administrator resets a lost authenticator).
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { route } from '../http/endpoint.js';
import type { Needs } from '../services.js';
import type { Realm } from '../store/realms.js';
import type { User } from '../store/users.js';
import { adminEndpoints } from './endpoints.js';
import { notFound } from './problems.js';
import { recordChange, type AdminChangeDeps } from './resource.js';
import { NoContent, operation } from './schemas.js';

/** What this module uses (services.ts `Needs`). */
export type AdminCredentialsDeps = Needs<'clock', 'consents' | 'grants' | 'mfa' | 'realms' | 'users'> & AdminChangeDeps;

/** The ids of the authenticator app and of the recovery codes; a passkey's id is its credential id. */
const totpId = 'otp';
const recoveryCodesId = 'recovery-codes';

const UserParams = Type.Object({ realm: Type.String(), id: Type.String() }, { additionalProperties: false });
const ConsentParams = Type.Object({ realm: Type.String(), id: Type.String(), client_id: Type.String() }, { additionalProperties: false });
const CredentialParams = Type.Object({ realm: Type.String(), id: Type.String(), credential_id: Type.String() }, { additionalProperties: false });
interface Params { realm: string; id: string; client_id?: string; credential_id?: string }
const ConsentRepresentation = Type.Object({ client_id: Type.String(), scopes: Type.Array(Type.String()) });
const CredentialRepresentation = Type.Object({
  id: Type.String({ description: `"${totpId}", "${recoveryCodesId}", or a passkey's credential id` }),
  type: Type.String({ description: 'otp, passkey or recovery_codes' }),
  device_type: Type.Optional(Type.String()), remaining: Type.Optional(Type.Integer({ description: 'recovery codes not used yet' })),
});

export function adminCredentialRoutes(app: FastifyInstance, s: AdminCredentialsDeps): void {
  const target = async (request: FastifyRequest): Promise<{ realm: Realm; user: User; params: Params }> => {
    const params = request.params as Params;
    const realm = (await s.store.realms.get(params.realm)) ?? (() => { throw notFound('such realm'); })();
    const user = await s.store.users.findById(params.id);
    if (!user || user.realm !== realm.name) throw notFound(`user ${params.id} in realm ${realm.name}`);
    return { realm, user, params };
  };

  route(app, adminEndpoints.admin_user_consents, {
    GET: {
      schema: operation('The clients the user consented to, with the scopes allowed', ['users'], { params: UserParams, response: { 200: Type.Array(ConsentRepresentation) } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const { realm, user } = await target(request);
        return reply.send((await s.store.consents.forUser(realm.name, user.id)).map((c) => ({ client_id: c.clientId, scopes: c.scopes })));
      },
    },
  });
  route(app, adminEndpoints.admin_user_consent, {
    DELETE: {
      schema: operation('Revoke the user\'s consent to a client: the consent is forgotten and their grants to it revoked', ['users'], { params: ConsentParams, response: { 204: NoContent } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const { realm, user, params } = await target(request);
        const clientId = params.client_id!;
        const scopes = await s.store.consents.forget(realm.name, user.id, clientId);
        if (!scopes) throw notFound(`consent of user ${user.id} to client ${clientId}`);
        await s.store.grants.revokeForUserAndClient(realm.name, user.id, clientId, s.clock.now());
        await recordChange(s, request, realm, { type: 'admin_consent_revoked', resource: `users/${user.id}/consents/${clientId}`, userId: user.id, clientId, before: scopes });
        return reply.code(204).send();
      },
    },
  });

  route(app, adminEndpoints.admin_user_credentials, {
    GET: {
      schema: operation('The user\'s second factors (never a secret)', ['users'], { params: UserParams, response: { 200: Type.Array(CredentialRepresentation) } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const { user } = await target(request);
        const factors = await s.store.mfa.enrolledFactors(user.id);
        const passkeys = await s.store.mfa.webauthnCredentials(user.id);
        return reply.send([
          ...(factors.totp ? [{ id: totpId, type: 'otp' }] : []),
          ...passkeys.map((passkey) => ({ id: passkey.id, type: 'passkey', device_type: passkey.deviceType })),
          ...(factors.recoveryCodes > 0 ? [{ id: recoveryCodesId, type: 'recovery_codes', remaining: factors.recoveryCodes }] : []),
        ]);
      },
    },
  });
  route(app, adminEndpoints.admin_user_credential, {
    DELETE: {
      schema: operation('Remove a second factor; with the last one, the recovery codes go too', ['users'], { params: CredentialParams, response: { 204: NoContent } }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const { realm, user, params } = await target(request);
        const id = params.credential_id!;
        const removed = id === totpId ? await s.store.mfa.removeTotp(user.id)
          : id === recoveryCodesId ? (await s.store.mfa.enrolledFactors(user.id)).recoveryCodes > 0 && (await s.store.mfa.removeRecoveryCodes(user.id), true)
            : await s.store.mfa.removeWebauthnCredential(user.id, id);
        if (!removed) throw notFound(`credential ${id} of user ${user.id}`);
        const left = await s.store.mfa.enrolledFactors(user.id);
        if (!left.totp && left.passkeys === 0) await s.store.mfa.removeRecoveryCodes(user.id);
        await recordChange(s, request, realm, { type: 'admin_credential_removed', resource: `users/${user.id}/credentials/${id}`, userId: user.id });
        return reply.code(204).send();
      },
    },
  });
}
