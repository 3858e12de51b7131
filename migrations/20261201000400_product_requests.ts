import type { Knex } from 'knex';

/**
 * Product requests: shoppers ask for products the store does not have, others vote (one vote per
 * account), the admin sets a status, replies, merges duplicates and links the product once it is
 * made. `vote_count` is kept in the same transaction as the vote rows, so the board sorts by an
 * index instead of counting. "Visible" means neither hidden (spam) nor merged into another
 * request; the board's two sorts each have an index over visible requests only, and a trigram
 * index serves title search.
 * Who was told that a request is done or declined is a row per (request, user, status), so a
 * second save of the same status sends no second email.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE EXTENSION IF NOT EXISTS pg_trgm');
  await knex.schema.createTable('product_requests', (t) => {
    t.increments('id').primary();
    t.integer('user_id').references('users.id').onDelete('SET NULL');
    t.string('title', 120).notNullable();
    t.text('details').notNullable().defaultTo('');
    t.integer('category_id').references('categories.id').onDelete('SET NULL');
    t.integer('max_price_paise');
    t.string('status', 20).notNullable().defaultTo('new');
    t.integer('vote_count').notNullable().defaultTo(0);
    t.integer('product_id').references('products.id').onDelete('SET NULL');
    t.text('admin_reply');
    t.timestamp('replied_at', { useTz: true });
    t.timestamp('hidden_at', { useTz: true });
    t.integer('merged_into_id').references('product_requests.id').onDelete('SET NULL');
    t.timestamp('merged_at', { useTz: true });
    t.timestamp('status_changed_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`
    ALTER TABLE product_requests
      ADD CONSTRAINT product_requests_status_check CHECK (status IN ('new', 'planned', 'in_progress', 'done', 'declined')),
      ADD CONSTRAINT product_requests_votes_check CHECK (vote_count >= 0),
      ADD CONSTRAINT product_requests_price_check CHECK (max_price_paise IS NULL OR max_price_paise >= 0),
      ADD CONSTRAINT product_requests_not_self_check CHECK (merged_into_id IS NULL OR merged_into_id <> id);
    -- The public board: votes or newest, over visible requests.
    CREATE INDEX product_requests_board_votes_idx ON product_requests (vote_count DESC, id DESC) WHERE hidden_at IS NULL AND merged_into_id IS NULL;
    CREATE INDEX product_requests_board_newest_idx ON product_requests (created_at DESC, id DESC) WHERE hidden_at IS NULL AND merged_into_id IS NULL;
    -- Search by any part of a title, for the board and the admin alike (a search's matches are
    -- few; the planner filters them for visibility and sorts them in memory).
    CREATE INDEX product_requests_title_trgm_idx ON product_requests USING GIN (title gin_trgm_ops);
    -- The admin list: every request, by status or not, by votes or newest.
    CREATE INDEX product_requests_votes_idx ON product_requests (vote_count DESC, id DESC);
    CREATE INDEX product_requests_created_idx ON product_requests (created_at DESC, id DESC);
    CREATE INDEX product_requests_status_votes_idx ON product_requests (status, vote_count DESC, id DESC);
    CREATE INDEX product_requests_status_created_idx ON product_requests (status, created_at DESC, id DESC);
    -- Foreign keys looked up from the other side (a user's requests and throttles, merges, products).
    CREATE INDEX product_requests_user_idx ON product_requests (user_id, created_at DESC) WHERE user_id IS NOT NULL;
    CREATE INDEX product_requests_merged_idx ON product_requests (merged_into_id) WHERE merged_into_id IS NOT NULL;
    CREATE INDEX product_requests_product_idx ON product_requests (product_id) WHERE product_id IS NOT NULL;
  `);

  await knex.schema.createTable('product_request_votes', (t) => {
    t.integer('request_id').notNullable().references('product_requests.id').onDelete('CASCADE');
    t.integer('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['request_id', 'user_id']);
  });
  await knex.raw('CREATE INDEX product_request_votes_user_idx ON product_request_votes (user_id, request_id)');

  await knex.schema.createTable('product_request_notifications', (t) => {
    t.integer('request_id').notNullable().references('product_requests.id').onDelete('CASCADE');
    t.integer('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.string('status', 20).notNullable();
    t.bigInteger('outbox_id');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['request_id', 'user_id', 'status']);
  });
  await knex.raw('CREATE INDEX product_request_notifications_user_idx ON product_request_notifications (user_id)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('product_request_notifications');
  await knex.schema.dropTable('product_request_votes');
  await knex.schema.dropTable('product_requests');
  // pg_trgm stays: the admin migration created it first and its down does not expect to.
}
