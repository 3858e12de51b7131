import { pipeline } from 'node:stream';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { AppError, NotFoundError, UnauthorizedError } from '../lib/errors.js';
import { idField, pathId } from '../lib/fields.js';
import { parseInput } from '../lib/validate.js';
import type { EntitlementModel } from '../models/entitlements.js';
import type { OrderModel } from '../models/orders.js';
import type { DownloadService } from '../services/download-service.js';
import { attachmentDisposition } from '../services/storage.js';

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
      // Arriving from an emailed link after signing in: that file starts downloading (once).
      const wanted = pathId(req.query.download);
      const autoDownload = wanted ? lines.find((l) => l.right?.id === wanted && l.link) : undefined;
      res.render('account/order', { title: `Order #${order.id}`, order, lines, justPaid: req.query.paid === '1', buyer: user, autoDownload });
    },

    /** GET /downloads: every download with time and device. */
    async history(req: Request, res: Response) {
      const rows = await entitlements.history(userOf(req).id);
      res.render('account/downloads', { title: 'Download history', rows });
    },

    /**
     * GET (and HEAD) /downloads/:token: the file, streamed with Range support or (S3 redirect
     * mode) a redirect to a presigned URL that lives minutes; or a page that explains why not.
     */
    async download(req: Request, res: Response) {
      // Links are for the buyer only: sign in first, then land on the order page, which starts
      // this download (a download response would leave the browser on the sign-in form).
      if (!req.user) return res.redirect(303, `/login?next=${encodeURIComponent(`/downloads/${String(req.params.token).slice(0, 300)}/start`)}`);
      const token = String(req.params.token);
      try {
        const file = await downloads.open(token, {
          userId: req.user.id,
          ip: req.ip ?? '',
          userAgent: req.get('user-agent'),
          method: req.method === 'HEAD' ? 'HEAD' : 'GET',
          rangeHeader: req.get('range'),
          ifRange: req.get('if-range'),
        });
        res.set({ 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'private, no-store' });
        if (file.kind === 'redirect') return res.redirect(302, file.url);
        res.set({ 'Content-Type': 'application/octet-stream', 'Content-Disposition': attachmentDisposition(file.fileName), 'Accept-Ranges': 'bytes', ETag: file.etag });
        if (file.kind === 'head') return res.set('Content-Length', String(file.size)).end();
        res.set('Content-Length', String(file.end - file.start + 1));
        if (file.partial) res.status(206).set('Content-Range', `bytes ${file.start}-${file.end}/${file.size}`);
        // pipeline, not pipe: a read error cuts the response, and a client that goes away
        // closes the file or the S3 socket instead of leaving it open and paused.
        pipeline(file.stream, res, () => undefined);
      } catch (err) {
        if (err instanceof AppError && (err.status === 410 || err.code === 'DOWNLOAD_OTHER_ACCOUNT')) {
          res.set('Cache-Control', 'no-store');
          return res.status(err.status).render('account/download-ended', { title: err.status === 410 ? 'Download link ended' : 'Another account’s link', message: err.message, code: err.code, entitlementId: downloads.entitlementOf(token) });
        }
        throw err;
      }
    },

    /** GET /downloads/:token/start: after signing in from an emailed link, the order page that starts it. */
    async start(req: Request, res: Response) {
      const user = userOf(req);
      const target = await downloads.orderOf(String(req.params.token), user.id);
      if (!target) throw new NotFoundError('This download link is not valid.');
      if (target.otherAccount) {
        res.set('Cache-Control', 'no-store');
        return res.status(404).render('account/download-ended', { title: 'Another account’s link', message: 'This download link belongs to another account. Sign out and sign in with the account that bought it.', code: 'DOWNLOAD_OTHER_ACCOUNT', entitlementId: undefined });
      }
      res.redirect(303, `/orders/${target.orderId}?download=${target.entitlementId}`);
    },

    /** POST /downloads/fresh {entitlementId}: a new link for the signed-in owner. */
    async fresh(req: Request, res: Response) {
      const body = parseInput(z.object({ entitlementId: idField('entitlementId'), _csrf: z.string().optional() }).strict(), req.body);
      res.redirect(303, await downloads.freshLink(userOf(req).id, body.entitlementId));
    },
  };
}
