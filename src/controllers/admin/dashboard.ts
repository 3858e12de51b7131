import type { Request, Response } from 'express';
import type { Db } from '../../db/knex.js';
import type { Clock } from '../../lib/clock.js';
import { renderAdmin } from './shared.js';

/** The admin area's front page (the analytics issue turns it into the owner's overview). */
export function createDashboardController(deps: { db: Db; clock: Clock }) {
  async function summary() {
    const since = new Date(deps.clock.now().getTime() - 7 * 86_400_000);
    const [row] = (await deps.db.raw(
      `SELECT (SELECT count(*) FROM products) AS products,
              (SELECT count(*) FROM products WHERE is_visible) AS visible_products,
              (SELECT count(*) FROM users) AS users,
              (SELECT count(*) FROM login_events WHERE created_at >= ?) AS logins_7d,
              (SELECT count(*) FROM login_failures WHERE created_at >= ?) AS failed_logins_7d`,
      [since, since],
    )).rows as Record<string, number>[];
    return {
      products: Number(row?.products ?? 0),
      visibleProducts: Number(row?.visible_products ?? 0),
      users: Number(row?.users ?? 0),
      logins7d: Number(row?.logins_7d ?? 0),
      failedLogins7d: Number(row?.failed_logins_7d ?? 0),
    };
  }

  return {
    /** GET /admin */
    async dashboard(_req: Request, res: Response) {
      renderAdmin(res, 'dashboard', { title: 'Dashboard', summary: await summary() });
    },
    /** GET /api/admin/summary */
    async summaryApi(_req: Request, res: Response) {
      res.json(await summary());
    },
  };
}
