import knexFactory, { type Knex } from 'knex';
import pg from 'pg';

export type Db = Knex;

// PostgreSQL `bigint` (int8) arrives as a string by default; our ids and counts fit in a JS number,
// and money is integer paise well below 2^53, so parse them as numbers once, here.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number.parseInt(v, 10));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number.parseFloat(v));

export interface DbOptions {
  url: string;
  poolMax?: number;
  ssl?: boolean;
  /** Where knex's own warnings go (a lost connection, a failed acquire); console otherwise. */
  logger?: { warn(obj: object, msg: string): void; debug(obj: object, msg: string): void };
}

/** Builds the knex instance. Nothing connects until the first query. */
export function createDb({ url, poolMax = 10, ssl = false, logger }: DbOptions): Db {
  return knexFactory({
    ...(logger
      ? {
          log: {
            warn: (msg: unknown) => logger.warn({ detail: String(msg) }, 'database client warning'),
            error: (msg: unknown) => logger.warn({ detail: String(msg) }, 'database client error'),
            deprecate: (msg: unknown) => logger.debug({ detail: String(msg) }, 'knex deprecation'),
            debug: (msg: unknown) => logger.debug({ detail: String(msg) }, 'knex debug'),
          },
        }
      : {}),
    client: 'pg',
    connection: { connectionString: url, ssl: ssl ? { rejectUnauthorized: false } : undefined },
    pool: { min: 0, max: poolMax },
    // While the database is away, a request learns it within seconds (a 503 page), not a minute.
    acquireConnectionTimeout: 5_000,
  });
}

/** A plain pg pool for libraries that want one (session store, Agenda). */
export function createPgPool({ url, poolMax = 5, ssl = false }: DbOptions): pg.Pool {
  return new pg.Pool({ connectionString: url, max: poolMax, connectionTimeoutMillis: 5_000, ssl: ssl ? { rejectUnauthorized: false } : undefined });
}
