import type { Knex } from 'knex';

/**
 * The back office: an audit log of every admin change, archived products (bought once, so kept
 * for their buyers but off the shop), uploaded images in several widths, disabled accounts,
 * and the indexes the admin lists sort and search by at 100,000 products and orders.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('audit_log', (t) => {
    t.bigIncrements('id').primary();
    t.integer('actor_id').references('users.id').onDelete('SET NULL');
    // Kept as text too, so the log still says who after the account is gone.
    t.string('actor_email', 254).notNullable();
    t.string('action', 60).notNullable();
    t.string('entity_type', 30).notNullable();
    t.integer('entity_id');
    t.string('summary', 300).notNullable().defaultTo('');
    // { field: [before, after] } for the fields the change touched.
    t.jsonb('changes').notNullable().defaultTo('{}');
    t.string('ip', 64);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw('CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id, created_at DESC, id DESC)');
  await knex.raw('CREATE INDEX audit_log_created_idx ON audit_log (created_at DESC, id DESC)');

  await knex.schema.alterTable('products', (t) => {
    t.timestamp('archived_at', { useTz: true });
    // Uploaded images are stored as <image_key>-<width>.webp in several widths (srcset).
    t.string('image_key', 120);
  });
  // The A–Z sort key as a column, so its index holds it and a deep page is an index-only walk.
  await knex.raw('ALTER TABLE products ADD COLUMN title_key text GENERATED ALWAYS AS (lower(title)) STORED');
  await knex.schema.alterTable('users', (t) => {
    t.timestamp('disabled_at', { useTz: true });
  });

  // Admin product search (any part of a title or slug) and its sorts, over every product.
  await knex.raw('CREATE EXTENSION IF NOT EXISTS pg_trgm');
  await knex.raw(`
    CREATE INDEX products_title_trgm_idx ON products USING GIN (title gin_trgm_ops);
    CREATE INDEX products_slug_trgm_idx ON products USING GIN (slug gin_trgm_ops);
    CREATE INDEX products_created_idx ON products (created_at DESC, id DESC);
    CREATE INDEX products_updated_idx ON products (updated_at DESC, id DESC);
    CREATE INDEX products_title_idx ON products (title_key, id);
    CREATE INDEX products_price_idx ON products (price_paise, id);
    -- Hidden and archived products are few: their own partial indexes keep those filters and
    -- their capped counts to a few thousand index entries.
    CREATE INDEX products_hidden_idx ON products (category_id, created_at DESC, id DESC) WHERE NOT is_visible AND archived_at IS NULL;
    CREATE INDEX products_archived_idx ON products (archived_at DESC) WHERE archived_at IS NOT NULL;
    -- Whether a category still holds products (hidden or archived too) before it is deleted.
    CREATE INDEX products_category_all_idx ON products (category_id);
  `);

  // Customers found by the start of an email or a name; a customer's failed sign-ins.
  await knex.raw(`
    CREATE INDEX users_email_prefix_idx ON users (lower(email::text) text_pattern_ops);
    CREATE INDEX users_name_prefix_idx ON users (lower(name) text_pattern_ops);
    CREATE INDEX users_created_idx ON users (created_at DESC, id DESC);
    CREATE INDEX login_failures_user_idx ON login_failures (user_id, created_at DESC) WHERE user_id IS NOT NULL;
  `);

  // Orders by date and by status and date, for the admin list and its date range.
  await knex.raw(`
    CREATE INDEX orders_created_idx ON orders (created_at DESC, id DESC);
    CREATE INDEX orders_status_created_idx ON orders (status, created_at DESC, id DESC);
  `);

  // Which order a webhook event is about, read from its payload once, so an order's page can
  // list its events in time order through an index.
  await knex.raw(`
    ALTER TABLE webhook_events
      ADD COLUMN razorpay_order_id text GENERATED ALWAYS AS (
        coalesce(payload #>> '{payload,payment,entity,order_id}', payload #>> '{payload,order,entity,id}')
      ) STORED,
      ADD COLUMN razorpay_payment_id text GENERATED ALWAYS AS (
        coalesce(payload #>> '{payload,payment,entity,id}', payload #>> '{payload,refund,entity,payment_id}')
      ) STORED;
    CREATE INDEX webhook_events_order_idx ON webhook_events (razorpay_order_id, received_at) WHERE razorpay_order_id IS NOT NULL;
    CREATE INDEX webhook_events_payment_idx ON webhook_events (razorpay_payment_id, received_at) WHERE razorpay_payment_id IS NOT NULL;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP INDEX webhook_events_payment_idx, webhook_events_order_idx;
    ALTER TABLE webhook_events DROP COLUMN razorpay_payment_id, DROP COLUMN razorpay_order_id;
    DROP INDEX orders_status_created_idx, orders_created_idx;
    DROP INDEX login_failures_user_idx, users_created_idx, users_name_prefix_idx, users_email_prefix_idx;
    DROP INDEX products_archived_idx, products_hidden_idx, products_category_all_idx, products_price_idx, products_title_idx, products_updated_idx, products_created_idx, products_slug_trgm_idx, products_title_trgm_idx;
  `);
  await knex.schema.alterTable('users', (t) => t.dropColumn('disabled_at'));
  await knex.schema.alterTable('products', (t) => t.dropColumns('archived_at', 'image_key', 'title_key'));
  await knex.schema.dropTable('audit_log');
}
