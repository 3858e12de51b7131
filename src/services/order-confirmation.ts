import type { Knex } from 'knex';
import { formatINR } from '../lib/money.js';
import type { EntitlementModel } from '../models/entitlements.js';
import type { OrderItemRow, OrderModel, OrderRow } from '../models/orders.js';
import type { UserModel } from '../models/users.js';
import type { MailService } from './mail-service.js';

export interface OrderConfirmationDeps {
  mail: MailService;
  users: UserModel;
  orders: OrderModel;
  entitlements: EntitlementModel;
  settings: { baseUrl: string; storeName: string };
  /** A signed download link for an entitlement; without one the mail links to the order page. */
  downloadLink?: (entitlementId: number, userId: number) => string;
}

/**
 * Queues a paid order's "ready to download" email, with a download link per item, in the
 * caller's transaction (so it is sent only if the change it belongs to commits). Checkout sends
 * it at fulfilment; the admin area sends it again. Undefined when the buyer's account is gone.
 */
export async function queueOrderConfirmation(d: OrderConfirmationDeps, order: OrderRow, trx: Knex.Transaction, items?: OrderItemRow[]): Promise<{ to: string; outboxId: number } | undefined> {
  const user = await d.users.findById(order.user_id, trx);
  if (!user) return undefined;
  const lines = items ?? (await d.orders.items(order.id, trx));
  const rights = await d.entitlements.forOrder(order.id, trx);
  const orderLink = `${d.settings.baseUrl}/orders/${order.id}`;
  const linkOf = (productId: number) => {
    const right = rights.find((r) => r.product_id === productId);
    return right && d.downloadLink ? d.downloadLink(right.id, order.user_id) : orderLink;
  };
  const outboxId = await d.mail.queue(
    'order-confirmation',
    user.email,
    `Your ${d.settings.storeName} order #${order.id} is ready to download`,
    {
      name: user.name,
      orderId: order.id,
      total: formatINR(order.total_paise),
      items: lines.map((i) => ({ title: i.title, quantity: i.quantity, license: i.license_type, lineTotal: formatINR(i.line_total_paise), offer: i.offer_name, link: linkOf(i.product_id) })),
      // The receipt's savings: offers and product discounts (in the line prices) and the code.
      coupon: order.coupon_discount_paise > 0 ? { code: order.coupon_code, name: order.coupon_name, discount: formatINR(order.coupon_discount_paise) } : undefined,
      saved: order.discount_paise > 0 ? formatINR(order.discount_paise) : undefined,
      orderLink,
    },
    trx,
  );
  return { to: user.email, outboxId };
}
