import type { Request, Response } from 'express';
import type { Actor } from '../../services/audit-service.js';

/** The admin making a change, for the audit log. */
export function actorOf(req: Request): Actor {
  return { id: req.user!.id, email: req.user!.email, ip: req.ip ?? null };
}

/** A one-time message shown on the next page (after a redirect). */
export function flash(req: Request, type: 'success' | 'error' | 'info', message: string): void {
  if (req.session) req.session.flash = { type, message };
}

export interface Crumb {
  label: string;
  href?: string;
}

/** Renders an admin page inside the shell: its title, breadcrumbs (after "Admin") and data. */
export function renderAdmin(res: Response, view: string, page: { title: string; crumbs?: Crumb[] } & Record<string, unknown>): void {
  res.render(`admin/${view}`, { ...page, crumbs: [{ label: 'Admin', href: '/admin' }, ...(page.crumbs ?? [])] });
}

/** Sends a page's or a script's answer: JSON under /api/admin, else a redirect with a message. */
export function done(req: Request, res: Response, result: { redirect: string; message: string; json?: unknown; status?: number }): void {
  if (req.originalUrl.startsWith('/api/')) {
    res.status(result.status ?? 200).json(result.json ?? { ok: true, message: result.message });
    return;
  }
  flash(req, 'success', result.message);
  res.redirect(303, result.redirect);
}
