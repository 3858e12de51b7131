import { expect } from 'chai';
import { evaluateShop, generateShop, holdOutLastPurchase } from '../src/lib/recs/evaluate.js';

describe('recommendations: offline evaluation (a small synthetic shop)', function () {
  this.timeout(30_000);

  it('generates the same shop from the same seed, and holds out each shopper’s last purchase with its events', () => {
    const a = generateShop({ seed: 3, users: 50, products: 60, events: 1500 });
    const b = generateShop({ seed: 3, users: 50, products: 60, events: 1500 });
    expect(a.events).to.deep.equal(b.events);
    const { train, heldOut } = holdOutLastPurchase(a.events);
    expect(heldOut.size).to.equal(50);
    for (const [user, product] of heldOut) expect(train.some((e) => e.user === user && e.productId === product)).to.equal(false);
  });

  it('the engine beats "most popular" and "same category by rating" on HitRate@10 and NDCG@10 by a clear margin', () => {
    const shop = generateShop({ seed: 11, users: 1200, products: 500, events: 48_000 });
    const { results } = evaluateShop(shop);
    const [engine, popular, sameCategory] = results;
    expect(engine!.method).to.match(/engine/);
    for (const baseline of [popular!, sameCategory!]) {
      expect(engine!.hitRate, `HitRate@10 vs ${baseline.method}`).to.be.greaterThan(baseline.hitRate * 1.5);
      expect(engine!.ndcg, `NDCG@10 vs ${baseline.method}`).to.be.greaterThan(baseline.ndcg * 1.5);
    }
    expect(engine!.coverage).to.be.greaterThan(popular!.coverage);
  });
});
