import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AuditSink } from '../../audit/events.js';
import { CONVERSATION_PREFIX, type LockdownService } from './lockdown.js';

const quarantineBody = z.strictObject({ conversation: z.string().min(1).max(200).regex(/^[^\s/]+$/, 'no spaces or slashes'), reason: z.string().max(500).optional() });

/**
 * Quarantines over the admin API (inside the admin-key scope): `GET /v1/quarantines`,
 * `POST /v1/quarantines {"conversation", "reason"}`, `DELETE /v1/quarantines/:conversation`. Each
 * change is audited (`quarantine.on` / `quarantine.off`) and reaches every replica like a lockdown.
 */
export function registerQuarantineRoutes(scoped: FastifyInstance, deps: { lockdowns: LockdownService; audit: AuditSink; actor: (request: FastifyRequest) => string }): void {
  const { lockdowns, audit, actor } = deps;
  scoped.get('/v1/quarantines', async () => ({ quarantines: lockdowns.active.filter((l) => l.mode === 'review').map((l) => ({ ...l, conversation: l.scope.slice(CONVERSATION_PREFIX.length) })) }));
  scoped.post('/v1/quarantines', async (request, reply) => {
    const parsed = quarantineBody.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ error: { type: 'invalid_request_error', message: `${parsed.error.issues[0]!.path.join('.') || 'body'}: ${parsed.error.issues[0]!.message}` } });
    const by = actor(request);
    const locked = await lockdowns.lock(`${CONVERSATION_PREFIX}${parsed.data.conversation}`, 'review', parsed.data.reason, by);
    audit.record({ type: 'admin', action: 'quarantine.on', actor: by, target: locked.scope, outcome: 'success' });
    return reply.code(201).send({ ...locked, conversation: parsed.data.conversation });
  });
  scoped.delete<{ Params: { conversation: string } }>('/v1/quarantines/:conversation', async (request, reply) => {
    const by = actor(request);
    const scope = `${CONVERSATION_PREFIX}${request.params.conversation}`;
    let lifted = false;
    try {
      lifted = await lockdowns.unlock(scope, by);
    } catch (error) {
      return reply.code(400).send({ error: { type: 'invalid_request_error', message: error instanceof Error ? error.message : String(error) } });
    }
    if (!lifted) return reply.code(404).send({ error: { type: 'not_found_error', message: 'that conversation is not quarantined' } });
    audit.record({ type: 'admin', action: 'quarantine.off', actor: by, target: scope, outcome: 'success' });
    return { released: request.params.conversation };
  });
}
