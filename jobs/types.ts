import type { Agenda } from 'agenda';
import type { Db } from '../src/db/knex.js';
import type { Clock } from '../src/lib/clock.js';
import type { Logger } from '../src/lib/logger.js';
import type { OrderModel } from '../src/models/orders.js';
import type { CheckoutService } from '../src/services/checkout-service.js';
import type { MailService } from '../src/services/mail-service.js';
import type { RazorpayGateway } from '../src/services/razorpay-gateway.js';
import type { AnalyticsService } from '../src/services/analytics-service.js';
import type { NewsletterIssueService } from '../src/services/newsletter-issue-service.js';
import type { CartReminderService } from '../src/services/cart-reminder-service.js';
import type { RetentionService } from '../src/services/retention-service.js';
import type { AlertService } from '../src/services/alert-service.js';
import type { AlertDeliveryService } from '../src/services/alert-delivery-service.js';
import type { BackupService } from '../src/services/backup-service.js';
import type { AdminDigestService } from '../src/services/admin-digest-service.js';
import type { RecommendationService } from '../src/services/recommendation-service.js';

/** What every job may use; built by deps.ts like everything else. */
export interface JobContext {
  db: Db;
  clock: Clock;
  logger: Logger;
  mail: MailService;
  checkout: CheckoutService;
  orders: OrderModel;
  /** Retention periods, in days, from configuration. */
  retention: { mailDays: number };
  gateway: RazorpayGateway;
  analytics: AnalyticsService;
  /** Abandoned-cart reminders (the send-cart-reminders job). */
  cartReminders: CartReminderService;
  /** The nightly trim of log-like tables (the retention job). */
  retentionService: RetentionService;
  /** Raising alerts (a failed job raises job_failed). */
  alerts: AlertService;
  /** Sending them to Discord/Slack (the deliver-alerts job). */
  alertDelivery: AlertDeliveryService;
  /** Newsletter issues and campaigns (the send-newsletter job). */
  newsletterIssues: NewsletterIssueService;
  /** Database backups, their retention and the weekly restore drill (backup-database, restore-drill). */
  backups: BackupService;
  /** The admins' daily digest email (send-admin-digest). */
  adminDigest: AdminDigestService;
  /** Neighbour lists and trending (recompute-recommendations). */
  recommendations: RecommendationService;
}

export interface JobDefinition {
  name: string;
  /** Recurring schedule (human interval or cron); absent for jobs only queued on demand. */
  every?: string;
  define(agenda: Agenda, ctx: JobContext): void;
}
