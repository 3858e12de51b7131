/**
 * The dashboards' data at scale, for npm run bench:scale (on top of scale-data.ts's products and
 * cart events): `customers` accounts, `orders` orders over the last 120 days (80% paid, one item
 * each, 3% of the paid refunded, a failed payment for every tenth), and `logins` sign-ins with
 * 5% as many failures. SQL only (generate_series), deterministic, then VACUUM ANALYZE.
 */
import type { Knex } from 'knex';

export async function loadAnalyticsData(db: Knex, opts: { customers: number; orders: number; logins: number }): Promise<{ ms: number }> {
  const t0 = Date.now();
  await db.transaction(async (trx) => {
    await trx.raw('SELECT setseed(0.42)');
    // Accounts that never sign in through the app: a placeholder hash is enough.
    await trx.raw(
      `INSERT INTO users (email, name, password_hash, email_verified_at, created_at)
       SELECT 'customer-' || g || '@scale.test', 'Customer ' || g, 'x', now(), now() - interval '200 days'
       FROM generate_series(1, ?) AS g`,
      [opts.customers],
    );
    await trx.raw(
      `CREATE TEMP TABLE scale_customers ON COMMIT DROP AS
       SELECT row_number() OVER (ORDER BY id) AS n, id FROM users WHERE email LIKE 'customer-%@scale.test'`,
    );
    await trx.raw(
      `WITH b AS (SELECT min(id) AS lo, max(id) AS hi FROM products WHERE is_visible)
       INSERT INTO orders (user_id, status, subtotal_paise, total_paise, created_at, paid_at)
       SELECT c.id, CASE WHEN g % 5 = 0 THEN 'failed' WHEN g % 33 = 0 THEN 'refunded' ELSE 'paid' END,
              p, p, t, CASE WHEN g % 5 = 0 THEN NULL ELSE t + interval '2 minutes' END
       FROM (SELECT g, 10000 + floor(random() * 200000)::int AS p, now() - random() * interval '120 days' AS t,
                    1 + floor(random() * ?)::int AS cn FROM generate_series(1, ?) AS g) x
       JOIN scale_customers c ON c.n = x.cn`,
      [opts.customers, opts.orders],
    );
    await trx.raw(
      `WITH b AS (SELECT min(id) AS lo, max(id) AS hi FROM products WHERE is_visible)
       INSERT INTO order_items (order_id, product_id, title, unit_price_paise, sale_price_paise, quantity, line_total_paise, license_type)
       SELECT o.id, pr.id, pr.title, o.total_paise, o.total_paise, 1, o.total_paise, 'personal'
       FROM orders o CROSS JOIN b
       JOIN LATERAL (SELECT id, title FROM products WHERE id >= b.lo + (o.id * 7919) % (b.hi - b.lo + 1) AND is_visible ORDER BY id LIMIT 1) pr ON true
       WHERE o.user_id IN (SELECT id FROM scale_customers)`,
    );
    await trx.raw(
      `INSERT INTO payments (order_id, razorpay_payment_id, status, amount_paise, currency, error_code, created_at)
       SELECT id, 'pay_scale_' || id, 'failed', total_paise, 'INR',
              (ARRAY['BAD_REQUEST_ERROR', 'GATEWAY_ERROR', 'SERVER_ERROR'])[1 + id % 3], created_at
       FROM orders WHERE status = 'failed' AND id % 2 = 0 AND user_id IN (SELECT id FROM scale_customers)`,
    );
    await trx.raw(
      `INSERT INTO refunds (razorpay_refund_id, razorpay_payment_id, order_id, amount_paise, currency, status, processed_at)
       SELECT 'rfnd_scale_' || id, 'pay_scale_r' || id, id, total_paise, 'INR', 'processed', paid_at + interval '1 day'
       FROM orders WHERE status = 'refunded' AND user_id IN (SELECT id FROM scale_customers)`,
    );
    await trx.raw(
      `INSERT INTO login_events (user_id, ip, user_agent, browser, os, device_type, method, new_device, created_at)
       SELECT c.id, '203.0.113.' || (g % 250), 'bench',
              (ARRAY['Chrome 131', 'Mobile Safari 17.1', 'Firefox 133', 'Edge 131', 'Samsung Internet 26'])[1 + g % 5],
              (ARRAY['Windows 11', 'iOS 17.1', 'Android 14', 'Mac OS 14.4', 'Linux'])[1 + (g / 5) % 5],
              (ARRAY['desktop', 'mobile', 'mobile', 'tablet'])[1 + g % 4], 'password', g % 20 = 0, now() - random() * interval '120 days'
       FROM generate_series(1, ?) AS g JOIN scale_customers c ON c.n = 1 + g % ?`,
      [opts.logins, opts.customers],
    );
    await trx.raw(
      `INSERT INTO login_failures (email, ip, reason, created_at)
       SELECT 'customer-' || (g % 5000) || '@scale.test', '198.51.100.' || (g % 250),
              (ARRAY['bad_password', 'bad_password', 'unknown_email', 'locked_out'])[1 + g % 4], now() - random() * interval '120 days'
       FROM generate_series(1, ?) AS g`,
      [Math.round(opts.logins / 20)],
    );
  });
  await db.raw('VACUUM ANALYZE');
  return { ms: Date.now() - t0 };
}
