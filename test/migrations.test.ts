import { expect } from 'chai';
import { createDb } from '../src/db/knex.js';
import { migrateLatest, migrateRollback } from '../src/db/migrate.js';
import { createTestDatabase, dropTestDatabase } from './support/database.js';

describe('migrations', () => {
  it('apply to an empty database, roll back cleanly and apply again', async () => {
    const url = await createTestDatabase({ migrated: false });
    const db = createDb({ url, poolMax: 2 });
    try {
      const applied = await migrateLatest(db);
      expect(applied.length).to.be.at.least(2);
      expect(applied.every((n) => !/\.(ts|js)$/.test(n)), 'names carry no extension').to.equal(true);
      expect(await migrateLatest(db)).to.deep.equal([]);
      for (const table of ['users', 'session', 'categories', 'products']) expect(await db.schema.hasTable(table), table).to.equal(true);

      // Roll back everything, batch by batch, then forward again.
      while ((await migrateRollback(db)).length) {
        /* keep rolling back */
      }
      expect(await db.schema.hasTable('products')).to.equal(false);
      expect(await migrateLatest(db)).to.deep.equal(applied);
    } finally {
      await db.destroy();
      await dropTestDatabase(url);
    }
  });
});
