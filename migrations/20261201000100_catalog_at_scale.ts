import type { Knex } from 'knex';

/**
 * The catalog at 100,000 products: one index per storefront sort, for the whole catalog and per
 * category, each holding only visible products and ending in the id tie-break, so a page is an
 * index walk (an index-only one for deep pages) instead of a sort of every matching row.
 *
 * `sale_price_paise` is the price a shopper pays after the product's own discount, computed
 * exactly as lib/money.ts applyDiscount does (whole rupees, half up), so "price" sorts order
 * by the number printed on the card and can use a plain index.
 *
 * Category sizes and tag counts (the category list and the tag chips on every catalog page) are
 * kept as numbers, updated by statement triggers from the changed rows only, instead of being
 * counted over every product per page view: `categories.visible_product_count` and
 * `category_tag_counts` (a tag counts once per visible product that carries it).
 *
 * `catalog_changed` is notified after any statement that changes products or categories, from
 * any process or a psql session, so every web process drops its shared page caches at once
 * (NOTIFY is delivered at commit, never for a rolled-back change).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE products ADD COLUMN sale_price_paise integer GENERATED ALWAYS AS (
      CASE WHEN discount_percent = 0 THEN price_paise
           ELSE (((price_paise::bigint * (100 - discount_percent) + 5000) / 10000) * 100)::integer END
    ) STORED;

    DROP INDEX products_category_idx;
    CREATE INDEX products_visible_category_created_idx ON products (category_id, created_at DESC, id DESC) WHERE is_visible;
    CREATE INDEX products_visible_price_idx ON products (sale_price_paise, id) WHERE is_visible;
    CREATE INDEX products_visible_category_price_idx ON products (category_id, sale_price_paise, id) WHERE is_visible;
    CREATE INDEX products_visible_rating_idx ON products (rating DESC, rating_count DESC, id DESC) WHERE is_visible;
    CREATE INDEX products_visible_category_rating_idx ON products (category_id, rating DESC, rating_count DESC, id DESC) WHERE is_visible;
    CREATE INDEX products_featured_rating_idx ON products (rating DESC, rating_count DESC, id DESC) WHERE is_visible AND is_featured;

    ALTER TABLE categories ADD COLUMN visible_product_count integer NOT NULL DEFAULT 0;
    UPDATE categories c SET visible_product_count = (SELECT count(*) FROM products p WHERE p.category_id = c.id AND p.is_visible);
    CREATE TABLE category_tag_counts (
      category_id integer NOT NULL REFERENCES categories(id) ON DELETE CASCADE,
      tag text NOT NULL,
      visible_count integer NOT NULL,
      PRIMARY KEY (category_id, tag)
    );
    INSERT INTO category_tag_counts (category_id, tag, visible_count)
      SELECT p.category_id, t.tag, count(*) FROM products p, LATERAL (SELECT DISTINCT unnest(p.tags) AS tag) t
      WHERE p.is_visible GROUP BY 1, 2;

    -- The changed rows as +1 (visible now) and -1 (visible before), summed per category and per
    -- category and tag; a statement that changes none of the three (a rating, a price) adds nothing.
    CREATE FUNCTION catalog_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      delta text := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT category_id, tags, 1 AS d FROM new_rows WHERE is_visible'
        WHEN 'UPDATE' THEN 'SELECT category_id, tags, 1 AS d FROM new_rows WHERE is_visible UNION ALL SELECT category_id, tags, -1 FROM old_rows WHERE is_visible'
        ELSE 'SELECT category_id, tags, -1 AS d FROM old_rows WHERE is_visible' END;
      cats integer[]; ns integer[];
      tag_cats integer[]; tag_names text[]; tag_ns integer[];
    BEGIN
      EXECUTE format('SELECT array_agg(category_id), array_agg(n) FROM (SELECT category_id, sum(d)::int AS n FROM (%s) x GROUP BY 1 HAVING sum(d) <> 0) y', delta)
        INTO cats, ns;
      EXECUTE format('SELECT array_agg(category_id), array_agg(tag), array_agg(n) FROM (SELECT x.category_id, u.tag, sum(x.d)::int AS n FROM (%s) x, LATERAL (SELECT DISTINCT unnest(x.tags) AS tag) u GROUP BY 1, 2 HAVING sum(x.d) <> 0) y', delta)
        INTO tag_cats, tag_names, tag_ns;
      IF cats IS NULL AND tag_cats IS NULL THEN RETURN NULL; END IF;
      -- Category rows locked in id order, so two statements touching the same categories queue
      -- behind each other instead of deadlocking.
      PERFORM 1 FROM categories WHERE id = ANY(coalesce(cats, '{}') || coalesce(tag_cats, '{}')) ORDER BY id FOR UPDATE;
      UPDATE categories c SET visible_product_count = c.visible_product_count + d.n
        FROM unnest(cats, ns) AS d(id, n) WHERE c.id = d.id;
      INSERT INTO category_tag_counts AS t (category_id, tag, visible_count)
        SELECT * FROM unnest(tag_cats, tag_names, tag_ns)
        ON CONFLICT (category_id, tag) DO UPDATE SET visible_count = t.visible_count + EXCLUDED.visible_count;
      DELETE FROM category_tag_counts WHERE category_id = ANY(tag_cats) AND visible_count <= 0;
      RETURN NULL;
    END $$;
    CREATE TRIGGER products_counts_insert AFTER INSERT ON products REFERENCING NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION catalog_counts_apply();
    CREATE TRIGGER products_counts_update AFTER UPDATE ON products REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION catalog_counts_apply();
    CREATE TRIGGER products_counts_delete AFTER DELETE ON products REFERENCING OLD TABLE AS old_rows
      FOR EACH STATEMENT EXECUTE FUNCTION catalog_counts_apply();
    CREATE FUNCTION catalog_counts_reset() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE categories SET visible_product_count = 0 WHERE visible_product_count <> 0;
      DELETE FROM category_tag_counts;
      RETURN NULL;
    END $$;
    CREATE TRIGGER products_counts_truncate AFTER TRUNCATE ON products
      FOR EACH STATEMENT EXECUTE FUNCTION catalog_counts_reset();

    CREATE FUNCTION notify_catalog_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('catalog_changed', TG_TABLE_NAME);
      RETURN NULL;
    END $$;
    CREATE TRIGGER products_catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON products
      FOR EACH STATEMENT EXECUTE FUNCTION notify_catalog_changed();
    CREATE TRIGGER categories_catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON categories
      FOR EACH STATEMENT EXECUTE FUNCTION notify_catalog_changed();
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TRIGGER categories_catalog_changed ON categories;
    DROP TRIGGER products_catalog_changed ON products;
    DROP FUNCTION notify_catalog_changed();
    DROP TRIGGER products_counts_insert ON products;
    DROP TRIGGER products_counts_update ON products;
    DROP TRIGGER products_counts_delete ON products;
    DROP TRIGGER products_counts_truncate ON products;
    DROP FUNCTION catalog_counts_apply();
    DROP FUNCTION catalog_counts_reset();
    DROP TABLE category_tag_counts;
    ALTER TABLE categories DROP COLUMN visible_product_count;
    DROP INDEX products_featured_rating_idx, products_visible_category_rating_idx, products_visible_rating_idx,
      products_visible_category_price_idx, products_visible_price_idx, products_visible_category_created_idx;
    CREATE INDEX products_category_idx ON products (category_id) WHERE is_visible;
    ALTER TABLE products DROP COLUMN sale_price_paise;
  `);
}
