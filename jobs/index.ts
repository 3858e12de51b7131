import { deliverEmailJob } from './deliver-email.js';
import { pruneSentMailJob } from './prune-sent-mail.js';
import { pruneExpiredSessionsJob } from './prune-expired-sessions.js';
import { reconcilePaymentsJob } from './reconcile-payments.js';
import { rollupAnalyticsJob } from './rollup-analytics.js';
import type { JobDefinition } from './types.js';

/** Every job the worker runs. Add a job by adding its file here. */
export const jobDefinitions: JobDefinition[] = [pruneExpiredSessionsJob, deliverEmailJob, reconcilePaymentsJob, pruneSentMailJob, rollupAnalyticsJob];
