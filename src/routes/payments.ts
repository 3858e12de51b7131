import express, { Router } from 'express';
import { createPaymentsController } from '../controllers/payments.js';
import type { Deps } from '../deps.js';
import { requireUser } from '../middleware/auth.js';

const paymentsController = (deps: Deps) => createPaymentsController({ checkout: deps.services.checkout, webhooks: deps.services.webhooks });

/** The webhook needs the raw body for its signature, so it is mounted before the JSON parser. */
export function webhookRoutes(deps: Deps): Router {
  const c = paymentsController(deps);
  const r = Router();
  r.post('/api/webhooks/razorpay', express.raw({ type: () => true, limit: '1mb' }), c.webhook);
  return r;
}

export function paymentRoutes(deps: Deps): Router {
  const c = paymentsController(deps);
  const r = Router();
  r.post('/api/orders/create', requireUser, c.createOrder);
  r.post('/api/payments/verify', requireUser, c.verify);
  return r;
}
