import { deliverEmailJob } from './deliver-email.js';
import { pruneSentMailJob } from './prune-sent-mail.js';
import { pruneExpiredSessionsJob } from './prune-expired-sessions.js';
import { reconcilePaymentsJob } from './reconcile-payments.js';
import { rollupAnalyticsJob } from './rollup-analytics.js';
import { deliverAlertsJob } from './deliver-alerts.js';
import { retentionJob } from './retention.js';
import { sendCartRemindersJob } from './send-cart-reminders.js';
import { sendNewsletterJob } from './send-newsletter.js';
import { backupDatabaseJob } from './backup-database.js';
import { restoreDrillJob } from './restore-drill.js';
import { sendAdminDigestJob } from './send-admin-digest.js';
import { recomputeRecommendationsJob } from './recompute-recommendations.js';
import type { JobDefinition } from './types.js';

/** Every job the worker runs. Add a job by adding its file here. */
export const jobDefinitions: JobDefinition[] = [pruneExpiredSessionsJob, deliverEmailJob, reconcilePaymentsJob, pruneSentMailJob, rollupAnalyticsJob, deliverAlertsJob, retentionJob, sendCartRemindersJob, sendNewsletterJob, backupDatabaseJob, restoreDrillJob, sendAdminDigestJob, recomputeRecommendationsJob];
