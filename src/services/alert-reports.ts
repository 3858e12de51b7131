import type { Request } from 'express';
import { redactText, truncate } from '../lib/alert-format.js';
import type { AlertInput } from './alert-service.js';

/** The class of an error ("TypeError", "DatabaseError"), for fingerprints: stable across messages. */
export function errorClass(err: unknown): string {
  if (err instanceof Error) return err.constructor?.name && err.constructor.name !== 'Object' ? err.constructor.name : err.name || 'Error';
  return typeof err;
}

const messageOf = (err: unknown) => truncate(redactText(err instanceof Error ? err.message : String(err)), 500);

/**
 * The route pattern of a request ("/products/:slug"), so every product's failure is one
 * fingerprint; without a matched route, the path without its query and with ids folded to :id.
 */
export function routePattern(req: Request): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof path === 'string') return `${req.baseUrl ?? ''}${path}`;
  const raw = (req.originalUrl ?? req.url ?? '').split('?')[0] ?? '';
  return raw.replace(/\/\d+(?=\/|$)/g, '/:id').replace(/\/[0-9a-f-]{20,}(?=\/|$)/gi, '/:id').slice(0, 150) || '/';
}

/** An unexpected 500 in a route: one server_error alert per error class and route. */
export function alertForServerError(err: unknown, req: Request): AlertInput {
  const route = `${req.method} ${routePattern(req)}`;
  const cls = errorClass(err);
  return {
    kind: 'server_error',
    fingerprint: `${cls} ${route}`,
    title: truncate(`${cls}: ${messageOf(err)}`, 200),
    detail: { route, requestId: String((req as { id?: unknown }).id ?? ''), error: cls, message: messageOf(err) },
  };
}

/** An Agenda job that threw: one job_failed alert per job and error class. */
export function alertForJobFailure(err: unknown, jobName: string): AlertInput {
  const cls = errorClass(err);
  return {
    kind: 'job_failed',
    fingerprint: `${jobName} ${cls}`,
    title: truncate(`${jobName}: ${cls}: ${messageOf(err)}`, 200),
    detail: { job: jobName, error: cls, message: messageOf(err) },
  };
}
