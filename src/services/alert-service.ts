import type { Knex } from 'knex';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { redact, redactText } from '../lib/alert-format.js';
import type { AlertModel } from '../models/alerts.js';

/** What the owner is told about. The alerts job delivers them to Discord/Slack (or the log). */
export type AlertKind =
  | 'payment_failed'
  | 'amount_mismatch'
  | 'coupon_over_limit'
  | 'unmatched_refund'
  | 'unknown_order_webhook'
  | 'webhook_signature'
  | 'server_error'
  | 'job_failed'
  | 'backup_failed'
  | 'restore_drill_failed'
  | 'mail_stuck'
  | 'test';

export interface AlertInput {
  kind: AlertKind;
  /** Repeats with the same kind and fingerprint fold into one message with a count. */
  fingerprint: string;
  title: string;
  /** Facts for the message: ids, amounts, codes. Never a secret, token, password or card field. */
  detail?: Record<string, unknown>;
  /** Raise only if this kind and fingerprint was never raised before. */
  once?: boolean;
}

/**
 * Alerts are written to the database (inside the caller's transaction when given, so an alert
 * about a change exists exactly when the change does) and logged at once; delivery is the
 * worker's job, so raising one never slows or breaks a request.
 */
export function createAlertService(deps: { alerts: AlertModel; clock: Clock; logger: Logger }) {
  const { alerts, clock, logger } = deps;
  /** Records the alert (redacted: nothing secret reaches the table, the log or a channel); its row id. */
  async function record(input: AlertInput, trx?: Knex.Transaction): Promise<{ id: number; occurrences: number } | undefined> {
    const fingerprint = input.fingerprint.slice(0, 200);
    if (input.once && (await alerts.exists(input.kind, fingerprint, trx))) return undefined;
    const title = redactText(input.title).slice(0, 200);
    const detail = redact(input.detail ?? {}) as Record<string, unknown>;
    const row = await alerts.record({ kind: input.kind, fingerprint, title, detail, at: clock.now() }, trx);
    logger.warn({ alert: input.kind, fingerprint, occurrences: row.occurrences, detail }, title);
    return row;
  }
  async function raise(input: AlertInput, trx?: Knex.Transaction): Promise<boolean> {
    return Boolean(await record(input, trx));
  }
  return {
    raise,
    record,
    /** Like raise, for callers that must not fail because of an alert (after a commit, in a catch). */
    raiseQuietly(input: AlertInput): void {
      raise(input).catch((err: unknown) => logger.error({ err, alert: input.kind }, 'could not record alert'));
    },
  };
}

export type AlertService = ReturnType<typeof createAlertService>;
