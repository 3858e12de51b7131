import type { Knex } from 'knex';
import type { Db } from '../db/knex.js';

type Handle = Knex | Knex.Transaction;

export type AuditEntity = 'product' | 'category' | 'order' | 'user' | 'offer' | 'testimonial' | 'product_request' | 'subscriber' | 'alert' | 'backup';

export interface AuditRow {
  id: number;
  actor_id: number | null;
  actor_email: string;
  action: string;
  entity_type: AuditEntity;
  entity_id: number | null;
  summary: string;
  changes: Record<string, [unknown, unknown]>;
  ip: string | null;
  created_at: Date;
}

export type NewAuditRow = Omit<AuditRow, 'id' | 'created_at'> & { created_at?: Date };

/** The admin audit log: one row per change, never updated or deleted by the app. */
export function createAuditLogModel(db: Db) {
  return {
    async insert(rows: NewAuditRow[], trx: Handle = db): Promise<void> {
      if (rows.length) await trx('audit_log').insert(rows.map((r) => ({ ...r, changes: JSON.stringify(r.changes) })));
    },

    /** The newest entries about one record (its page shows them), through the entity index. */
    async forEntity(type: AuditEntity, id: number, limit = 50, trx: Handle = db): Promise<AuditRow[]> {
      return (await trx('audit_log').where({ entity_type: type, entity_id: id }).orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(limit)) as AuditRow[];
    },
  };
}

export type AuditLogModel = ReturnType<typeof createAuditLogModel>;
