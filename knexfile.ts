/**
 * For knex's own CLI (`npx knex --knexfile knexfile.ts …`) against DATABASE_URL. The app itself
 * migrates through src/db/migrate.ts (npm run migrate), which shares the same migration source.
 */
import { loadConfig } from './src/config.js';
import { migrationConfig } from './src/db/migrate.js';

const config = loadConfig();
if (!config.databaseUrl) throw new Error('Set DATABASE_URL to use the knex CLI (npm run migrate also works without it).');

export default {
  client: 'pg',
  connection: config.databaseUrl,
  migrations: migrationConfig,
};
