import express, { Router } from 'express';
import type { createPaymentsController } from '../controllers/payments.js';
import { requireUser } from '../middleware/auth.js';

/** The webhook needs the raw body for its signature, so it is mounted before the JSON parser. */
export function webhookRoutes(c: ReturnType<typeof createPaymentsController>): Router {
  const r = Router();
  r.post('/api/webhooks/razorpay', express.raw({ type: () => true, limit: '1mb' }), c.webhook);
  return r;
}

export function paymentRoutes(c: ReturnType<typeof createPaymentsController>): Router {
  const r = Router();
  r.post('/api/orders/create', requireUser, c.createOrder);
  r.post('/api/payments/verify', requireUser, c.verify);
  return r;
}
