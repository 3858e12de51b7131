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
}

/** Builds the knex instance. Nothing connects until the first query. */
export function createDb({ url, poolMax = 10, ssl = false }: DbOptions): Db {
  return knexFactory({
    client: 'pg',
    connection: { connectionString: url, ssl: ssl ? { rejectUnauthorized: false } : undefined },
    pool: { min: 0, max: poolMax },
    acquireConnectionTimeout: 10_000,
  });
}

/** A plain pg pool for libraries that want one (session store, Agenda). */
export function createPgPool({ url, poolMax = 5, ssl = false }: DbOptions): pg.Pool {
  return new pg.Pool({ connectionString: url, max: poolMax, ssl: ssl ? { rejectUnauthorized: false } : undefined });
}
