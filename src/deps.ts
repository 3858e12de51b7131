import type session from 'express-session';
import type pg from 'pg';
import type { AppDeps } from './app.js';
import type { Config } from './config.js';
import { createDb, createPgPool, type Db } from './db/knex.js';
import { systemClock, type Clock } from './lib/clock.js';
import type { Logger } from './lib/logger.js';
import { createSessionStore } from './middleware/session.js';
import { createCategoryModel } from './models/categories.js';
import { createProductModel } from './models/products.js';
import { createUserModel } from './models/users.js';
import { createCatalogService } from './services/catalog-service.js';

/**
 * The only place that calls every create*(). Tests call this too, with a test database URL and a
 * movable clock, so they exercise the same wiring the server runs.
 */
export interface Deps extends AppDeps {
  pool: pg.Pool;
  clock: Clock;
  models: {
    products: ReturnType<typeof createProductModel>;
    categories: ReturnType<typeof createCategoryModel>;
    users: ReturnType<typeof createUserModel>;
  };
  sessionStore: session.Store;
  close(): Promise<void>;
}

export function createDeps(config: Config, opts: { databaseUrl: string; logger: Logger; clock?: Clock }): Deps {
  const db: Db = createDb({ url: opts.databaseUrl, poolMax: config.databasePoolMax, ssl: config.databaseSsl });
  // Sessions and Agenda want a plain pg pool; a small separate one keeps them from starving queries.
  const pool = createPgPool({ url: opts.databaseUrl, poolMax: 5, ssl: config.databaseSsl });
  pool.on('error', (err) => opts.logger.error({ err }, 'idle database client error'));

  const models = {
    products: createProductModel(db),
    categories: createCategoryModel(db),
    users: createUserModel(db),
  };
  const services = {
    catalog: createCatalogService({ products: models.products, categories: models.categories }),
  };

  return {
    config,
    db,
    pool,
    logger: opts.logger,
    clock: opts.clock ?? systemClock,
    models,
    services,
    sessionStore: createSessionStore(pool),
    async close() {
      await Promise.allSettled([db.destroy(), pool.end()]);
    },
  };
}
