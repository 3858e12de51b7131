import type { Request, Response } from 'express';
import type { Db } from '../db/knex.js';

export function createHealthController(deps: { db: Db }) {
  return {
    /** GET /healthz: the process is alive (no dependencies checked, so a slow DB never kills it). */
    alive(_req: Request, res: Response) {
      res.set('Cache-Control', 'no-store').json({ status: 'ok' });
    },

    /** GET /readyz: the database answers within 2 s; a load balancer sends traffic only then. */
    async ready(_req: Request, res: Response) {
      res.set('Cache-Control', 'no-store');
      try {
        await Promise.race([
          deps.db.raw('SELECT 1'),
          new Promise((_, reject) => setTimeout(() => reject(new Error('database timeout')), 2000).unref()),
        ]);
        res.json({ status: 'ready', database: 'ok' });
      } catch {
        res.status(503).json({ status: 'unavailable', database: 'unreachable' });
      }
    },
  };
}
