import { expect } from 'chai';
import fc from 'fast-check';
import { formatINR } from '../src/lib/money.js';
import { floorOf, priceLines, priceOf, type Offer, type OfferBook } from '../src/services/pricing.js';
import { startCheckoutWorld, type CheckoutWorld } from './support/checkout-world.js';
import { makeCategory, makeProduct } from './support/factories.js';

/**
 * Issue 12, item 2 as properties: over random products, offers, coupons and clock times, every
 * surface prices alike and nothing is ever negative or below ₹1 a unit.
 */
const T0 = Date.parse('2026-11-24T10:00:00Z');
const HOUR = 3600_000;

const product = fc.record({
  id: fc.integer({ min: 1, max: 6 }),
  category_id: fc.integer({ min: 1, max: 3 }),
  // Any paise, small prices (where rounding to rupees bites) and whole-rupee prices.
  price_paise: fc.oneof(fc.integer({ min: 0, max: 50_000_00 }), fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 5000 }).map((r) => r * 100)),
  discount_percent: fc.integer({ min: 0, max: 90 }),
});
const offerArb = (kind: 'automatic' | 'coupon', id: number) =>
  fc
    .record({
      discountType: fc.constantFrom('percent' as const, 'fixed' as const),
      pct: fc.integer({ min: 1, max: 90 }),
      paise: fc.integer({ min: 1, max: 20_000_00 }),
      scope: fc.constantFrom('all' as const, 'categories' as const, 'products' as const),
      categoryIds: fc.uniqueArray(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
      productIds: fc.uniqueArray(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 6 }),
      startH: fc.integer({ min: -48, max: 48 }),
      lengthH: fc.integer({ min: 1, max: 96 }),
      min: fc.option(fc.integer({ min: 100, max: 10_000_00 }), { nil: null }),
    })
    .map(
      (r): Offer => ({
        id,
        name: `${kind} ${id}`,
        kind,
        code: kind === 'coupon' ? `CODE${id}` : null,
        discountType: r.discountType,
        amount: r.discountType === 'percent' ? r.pct : r.paise,
        scope: r.scope,
        categoryIds: r.categoryIds,
        productIds: r.productIds,
        startsAt: new Date(T0 + r.startH * HOUR),
        endsAt: new Date(T0 + (r.startH + r.lengthH) * HOUR),
        minCartPaise: kind === 'coupon' ? r.min : null,
        bannerText: null,
      }),
    );

describe('pricing properties (issue 12, item 2)', () => {
  it('cards and cart lines agree; totals add up; no unit under its floor; nothing negative', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(product, { minLength: 1, maxLength: 6, selector: (p) => p.id }),
        fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 6, maxLength: 6 }),
        fc.array(fc.integer({ min: 100, max: 199 }).chain((id) => offerArb('automatic', id)), { maxLength: 4 }),
        fc.option(offerArb('coupon', 500), { nil: undefined }),
        fc.integer({ min: -72, max: 144 }),
        (products, quantities, automatic, coupon, atH) => {
          const book: OfferBook = { at: new Date(T0 + atH * HOUR), automatic };
          const lines = products.map((p, i) => ({ product: p, quantity: quantities[i]! }));
          const { lines: priced, totals, coupon: result } = priceLines(lines, book, coupon);
          for (const l of priced) {
            const card = priceOf(l.product, book);
            expect(l.price).to.deep.equal(card); // the card and the cart show one price
            expect(l.price.salePrice).to.be.at.least(floorOf(l.product.price_paise)).and.at.most(l.product.price_paise);
            expect(l.lineTotal).to.equal(l.price.salePrice * l.quantity);
            expect(l.couponDiscount).to.be.at.least(0);
            expect(l.finalTotal).to.equal(l.lineTotal - l.couponDiscount);
            expect(l.finalTotal).to.be.at.least(floorOf(l.product.price_paise) * l.quantity);
            expect(Number.isInteger(l.finalTotal)).to.equal(true);
            // Never worse than the product's own discount.
            expect(l.price.salePrice).to.be.at.most(priceOf(l.product).salePrice);
          }
          expect(totals.total).to.equal(priced.reduce((s, l) => s + l.finalTotal, 0));
          expect(totals.subtotal - totals.discount - totals.couponDiscount).to.equal(totals.total);
          expect(totals.total).to.be.at.least(0);
          if (coupon?.discountType === 'fixed') expect(totals.couponDiscount).to.be.at.most(coupon.amount);
          if (result?.refusal) expect(totals.couponDiscount).to.equal(0);
          if (result && !result.refusal) expect(totals.couponDiscount).to.be.above(0);
          expect(totals.discount).to.be.at.least(0);
        },
      ),
      // A new seed each run (fast-check prints it on a failure, to replay).
      { numRuns: 3000 },
    );
  });

  describe('through the app: product page, cart, Razorpay order and order items agree', () => {
    let w: CheckoutWorld;
    before(async () => {
      w = await startCheckoutWorld();
    });
    after(async () => {
      await w?.close();
    });

    it('for random offers, coupons and clock times', async function () {
      this.timeout(120_000);
      const cats = [await makeCategory(w.t.db), await makeCategory(w.t.db)];
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ price: fc.integer({ min: 1, max: 20_000 }).map((r) => r * 100 + (r % 3 === 0 ? 50 : 0)), discount: fc.integer({ min: 0, max: 60 }), cat: fc.integer({ min: 0, max: 1 }), qty: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 3 }),
          fc.record({ pct: fc.integer({ min: 1, max: 90 }), fixed: fc.boolean(), paise: fc.integer({ min: 100, max: 500_000 }), byCategory: fc.boolean() }),
          fc.record({ pct: fc.integer({ min: 1, max: 50 }), fixed: fc.boolean(), paise: fc.integer({ min: 100, max: 300_000 }) }),
          fc.integer({ min: -30, max: 30 }),
          async (specs, auto, cpn, atH) => {
            run++;
            w.t.clock.set(new Date(T0));
            await w.t.db('offers').update({ is_active: false });
            const products: { id: number; slug: string }[] = [];
            for (const s of specs) products.push(await makeProduct(w.t.db, { category_id: cats[s.cat]!.id, price_paise: s.price, discount_percent: s.discount }));
            const [autoId] = await w.t.db('offers').insert({ name: `Festive ${run}`, kind: 'automatic', discount_type: auto.fixed ? 'fixed' : 'percent', amount: auto.fixed ? auto.paise : auto.pct, scope: auto.byCategory ? 'categories' : 'all', starts_at: new Date(T0 - 10 * HOUR), ends_at: new Date(T0 + 10 * HOUR) }).returning('id');
            if (auto.byCategory) await w.t.db('offer_categories').insert({ offer_id: (autoId as { id: number }).id, category_id: cats[0]!.id });
            await w.t.db('offers').insert({ name: `Code ${run}`, kind: 'coupon', code: `PROP${run}`, discount_type: cpn.fixed ? 'fixed' : 'percent', amount: cpn.fixed ? cpn.paise : cpn.pct, scope: 'all', starts_at: new Date(T0 - 20 * HOUR), ends_at: new Date(T0 + 20 * HOUR) });
            w.t.clock.set(new Date(T0 + atH * HOUR));
            w.t.deps.services.deals.clearCache();

            const s = await w.shopperWithCart([]);
            for (let i = 0; i < products.length; i++) await s.agent.post('/api/cart/add').set('X-CSRF-Token', s.csrf).send({ productId: products[i]!.id, quantity: specs[i]!.qty }).expect(200);
            const withCode = await s.agent.post('/api/cart/coupon').set('X-CSRF-Token', s.csrf).send({ code: `prop${run}` });
            const cart = (await s.agent.get('/api/cart').expect(200)).body;
            if (withCode.status === 200) expect(cart.coupon?.applied).to.equal(true);
            for (let i = 0; i < products.length; i++) {
              const page = await w.t.agent().get(`/products/${products[i]!.slug}`).expect(200);
              const line = cart.items.find((l: { productId: number }) => l.productId === products[i]!.id);
              expect(page.text, 'product page price').to.include(`<span class="price-now">${formatINR(line.salePrice)}</span>`);
            }
            const checkoutPage = await s.agent.get('/checkout').expect(200);
            expect(checkoutPage.text, 'checkout page').to.include(`Pay ${formatINR(cart.total)}`);
            const created = await w.createOrder(s).expect(201);
            expect(created.body.amount).to.equal(cart.total);
            expect(w.rzp.emulator.orders.get(created.body.razorpayOrderId)!.amount).to.equal(cart.total);
            const items = await w.t.db('order_items').where({ order_id: created.body.orderId });
            expect(items.reduce((n: number, i: { line_total_paise: number; coupon_discount_paise: number }) => n + i.line_total_paise - i.coupon_discount_paise, 0)).to.equal(cart.total);
            const order = await w.orderRow(created.body.orderId);
            expect(order.subtotal_paise - order.discount_paise).to.equal(order.total_paise);
            expect(order.total_paise).to.be.at.least(0);
            // Paid: the receipt shows the same total.
            await w.verify(s, w.rzp.emulator.pay(created.body.razorpayOrderId).response).expect(200);
            const receipt = await s.agent.get(`/orders/${order.id}`).expect(200);
            expect(receipt.text, 'receipt').to.include(`Total (incl. taxes)</td><td class="num">${formatINR(cart.total)}</td>`);
          },
        ),
        { numRuns: 12, seed: 1201 },
      );
      w.t.clock.set(new Date(T0));
    });
  });
});
