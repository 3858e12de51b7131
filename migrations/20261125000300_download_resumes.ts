import type { Knex } from 'knex';

/**
 * Downloads tell a counted download from a resume of one (a Range request that continues a
 * download already counted), so resumes are logged without using up the buyer's limit, and the
 * resume check finds the last counted download of a purchase by index.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('downloads', (t) => {
    t.string('kind', 8).notNullable().defaultTo('download');
    t.index(['entitlement_id', 'created_at']);
  });
  await knex.raw("ALTER TABLE downloads ADD CONSTRAINT downloads_kind_check CHECK (kind IN ('download', 'resume'))");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE downloads DROP CONSTRAINT IF EXISTS downloads_kind_check');
  await knex.schema.alterTable('downloads', (t) => {
    t.dropIndex(['entitlement_id', 'created_at']);
    t.dropColumn('kind');
  });
}
