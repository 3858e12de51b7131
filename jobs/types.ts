import type { Agenda } from 'agenda';
import type { Db } from '../src/db/knex.js';
import type { Clock } from '../src/lib/clock.js';
import type { Logger } from '../src/lib/logger.js';
import type { OrderModel } from '../src/models/orders.js';
import type { CheckoutService } from '../src/services/checkout-service.js';
import type { MailService } from '../src/services/mail-service.js';
import type { RazorpayGateway } from '../src/services/razorpay-gateway.js';
import type { AnalyticsService } from '../src/services/analytics-service.js';

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
}

export interface JobDefinition {
  name: string;
  /** Recurring schedule (human interval or cron); absent for jobs only queued on demand. */
  every?: string;
  define(agenda: Agenda, ctx: JobContext): void;
}
