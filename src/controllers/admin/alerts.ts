import type { Request, Response } from 'express';
import type { AlertDeliveryService } from '../../services/alert-delivery-service.js';
import { actorOf, done, renderAdmin } from './shared.js';

const STATUS_LABELS: Record<string, string> = { pending: 'Waiting', sent: 'Sent', failed: 'Retrying', given_up: 'Given up', logged: 'Logged only' };

export function createAlertAdminController(deps: { delivery: AlertDeliveryService }) {
  const { delivery } = deps;
  return {
    /** GET /admin/alerts: the last 100 alerts with each channel's delivery, and the channels. */
    async list(_req: Request, res: Response) {
      const overview = await delivery.overview();
      renderAdmin(res, 'alerts/list', { title: 'Alerts', crumbs: [{ label: 'Alerts' }], ...overview, labels: STATUS_LABELS });
    },

    /** GET /api/admin/alerts */
    async apiList(_req: Request, res: Response) {
      const overview = await delivery.overview();
      res.json({
        channels: overview.channels,
        alerts: overview.alerts.map((a) => ({ id: a.id, kind: a.kind, title: a.headline, occurrences: a.occurrences, firstSeenAt: a.first_seen_at, lastSeenAt: a.last_seen_at, status: a.status, foldedInto: a.folded_into, deliveries: a.deliveries.map((d) => ({ channel: d.channel, status: d.status, attempts: d.attempts, statusCode: d.last_status_code, error: d.last_error, deliveredAt: d.delivered_at, nextAttemptAt: d.next_attempt_at })) })),
      });
    },

    /** POST /admin/alerts/test: a test alert, delivered at once. */
    async sendTest(req: Request, res: Response) {
      const { alertId, run } = await delivery.queueTest(actorOf(req));
      const channels = delivery.channelInfo().filter((c) => c.configured);
      const sent = channels.filter((c) => run.sent[c.channel] > 0).map((c) => c.label);
      const message = !channels.length
        ? 'Test alert written to the log (no Discord or Slack webhook is set).'
        : sent.length === channels.length
          ? `Test alert sent to ${sent.join(' and ')}.`
          : `Test alert queued; ${sent.length ? `sent to ${sent.join(' and ')}, ` : ''}see the delivery status below.`;
      done(req, res, { redirect: '/admin/alerts', message, json: { alertId, sent: run.sent, failed: run.failed, message }, status: 201 });
    },
  };
}
