import type { Request, Response } from 'express';
import { z } from 'zod';
import { AppError, NotFoundError, UnauthorizedError } from '../lib/errors.js';
import { idField, pathId } from '../lib/fields.js';
import { parseInput } from '../lib/validate.js';
import type { EntitlementModel } from '../models/entitlements.js';
import type { OrderModel } from '../models/orders.js';
import type { DownloadService } from '../services/download-service.js';

/** "My Orders", an order's page (printable receipt, download buttons), "Download History", downloads. */
export function createOrdersController(deps: { orders: OrderModel; entitlements: EntitlementModel; downloads: DownloadService; storeName: string }) {
  const { orders, entitlements, downloads } = deps;
  const userOf = (req: Request) => {
    if (!req.user) throw new UnauthorizedError();
    return req.user;
  };

  return {
    /** GET /orders */
    async list(req: Request, res: Response) {
      const user = userOf(req);
      const rows = await orders.listForUser(user.id);
      const items = await orders.itemsForOrders(rows.map((o) => o.id));
      res.render('account/orders', { title: 'My orders', orders: rows.map((o) => ({ ...o, items: items.filter((i) => i.order_id === o.id) })) });
    },

    /** GET /orders/:id: the owner's order with fresh download links; anyone else gets 404. */
    async show(req: Request, res: Response) {
      const user = userOf(req);
      const id = pathId(req.params.id);
      const order = id ? await orders.findById(id) : undefined;
      if (!order || order.user_id !== user.id) throw new NotFoundError('We could not find that order.');
      const [items, rights] = await Promise.all([orders.items(order.id), entitlements.forOrder(order.id)]);
      const lines = items.map((i) => {
        const right = rights.find((r) => r.product_id === i.product_id);
        const usable = order.status === 'paid' && right && !right.revoked_at && right.download_count < right.max_downloads;
        return { ...i, right, link: usable && right ? downloads.linkFor(right.id, user.id) : undefined };
      });
      res.render('account/order', { title: `Order #${order.id}`, order, lines, justPaid: req.query.paid === '1', buyer: user });
    },

    /** GET /downloads: every download with time and device. */
    async history(req: Request, res: Response) {
      const rows = await entitlements.history(userOf(req).id);
      res.render('account/downloads', { title: 'Download history', rows });
    },

    /** GET /downloads/:token: streams the file (Range supported) or explains why not. */
    async download(req: Request, res: Response) {
      // Links are for the buyer only: sign in first (and come straight back).
      if (!req.user) return res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl.slice(0, 500))}`);
      const range = parseRange(req.get('range'));
      try {
        const file = await downloads.open(String(req.params.token), { userId: req.user.id, ip: req.ip ?? '', userAgent: req.get('user-agent'), range });
        res.set({
          'Content-Type': 'application/octet-stream',
          'Content-Disposition': `attachment; filename="${file.fileName.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
          'X-Content-Type-Options': 'nosniff',
          'Cache-Control': 'private, no-store',
          'Accept-Ranges': 'bytes',
          'Content-Length': String(file.end - file.start + 1),
        });
        if (file.partial) {
          res.status(206).set('Content-Range', `bytes ${file.start}-${file.end}/${file.size}`);
        }
        file.stream.on('error', () => res.destroy());
        file.stream.pipe(res);
      } catch (err) {
        if (err instanceof AppError && err.status === 410) {
          res.set('Cache-Control', 'no-store');
          const claimOwner = ownerEntitlement(String(req.params.token));
          return res.status(410).render('account/download-ended', { title: 'Download link ended', message: err.message, code: err.code, entitlementId: claimOwner });
        }
        throw err;
      }
    },

    /** POST /downloads/fresh {entitlementId}: a new link for the signed-in owner. */
    async fresh(req: Request, res: Response) {
      const body = parseInput(z.object({ entitlementId: idField('entitlementId'), _csrf: z.string().optional() }).strict(), req.body);
      res.redirect(303, await downloads.freshLink(userOf(req).id, body.entitlementId));
    },
  };

  /** The entitlement a link names, for the "fresh link" button (freshLink re-checks ownership). */
  function ownerEntitlement(token: string): number | undefined {
    const id = Number(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8').split('.')[0]);
    return Number.isSafeInteger(id) && id > 0 ? id : undefined;
  }
}

/** `bytes=start-end` or `bytes=start-` (one range; anything else is ignored and the whole file sent). */
function parseRange(header: string | undefined): { start: number; end?: number } | undefined {
  const m = header ? /^bytes=(\d{1,15})-(\d{0,15})$/.exec(header.trim()) : null;
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = m[2] ? Number(m[2]) : undefined;
  if (end !== undefined && end < start) return undefined;
  return { start, end };
}
