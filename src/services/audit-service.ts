import type { Knex } from 'knex';
import type { Clock } from '../lib/clock.js';
import type { AuditEntity, AuditLogModel } from '../models/audit-log.js';

/** Who made an admin change, from where: taken from the request by the controller. */
export interface Actor {
  id: number;
  email: string;
  ip: string | null;
}

/** before → after of every field whose value differs (dates compared by instant, arrays by content). */
export function changedFields(before: Record<string, unknown> | undefined, after: Record<string, unknown>): Record<string, [unknown, unknown]> {
  const norm = (v: unknown) => (v instanceof Date ? v.toISOString() : v === undefined ? null : v);
  const out: Record<string, [unknown, unknown]> = {};
  for (const [k, v] of Object.entries(after)) {
    const was = norm(before?.[k]);
    const now = norm(v);
    if (JSON.stringify(was) !== JSON.stringify(now)) out[k] = [was, now];
  }
  return out;
}

/**
 * The audit log of admin changes. Entries are written in the same transaction as the change they
 * describe, so a change never lands without its entry, nor an entry without its change.
 */
export function createAuditService(deps: { audit: AuditLogModel; clock: Clock }) {
  return {
    /** Records one change (create, update, delete or an action such as a refund). */
    async record(
      trx: Knex.Transaction,
      actor: Actor,
      entry: { action: string; entity: AuditEntity; id: number | null; summary: string; before?: Record<string, unknown>; after?: Record<string, unknown> },
    ): Promise<void> {
      await deps.audit.insert(
        [
          {
            actor_id: actor.id,
            actor_email: actor.email,
            action: entry.action,
            entity_type: entry.entity,
            entity_id: entry.id,
            summary: entry.summary.slice(0, 300),
            changes: entry.after ? changedFields(entry.before, entry.after) : {},
            ip: actor.ip,
            created_at: deps.clock.now(),
          },
        ],
        trx,
      );
    },

    forEntity: (type: AuditEntity, id: number) => deps.audit.forEntity(type, id),
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
