import { expect } from 'chai';
import { applyDiscount, formatINR } from '../src/lib/money.js';
import { toPrefixTsQuery } from '../src/lib/search.js';
import { priceOf } from '../src/services/pricing.js';

describe('money and pricing', () => {
  it('formats paise as Indian rupees with lakh grouping', () => {
    expect(formatINR(49_900)).to.equal('₹499');
    expect(formatINR(12_345_600)).to.equal('₹1,23,456');
    expect(formatINR(199_950)).to.equal('₹1,999.50');
    expect(formatINR(0)).to.equal('₹0');
  });

  it('rounds discounted prices to whole rupees with integer arithmetic', () => {
    expect(applyDiscount(44_900, 15)).to.equal(38_200); // 381.65 → 382
    expect(applyDiscount(49_900, 20)).to.equal(39_900); // 399.20 → 399
    expect(applyDiscount(59_900, 40)).to.equal(35_900); // 359.40 → 359
    expect(applyDiscount(99_900, 0)).to.equal(99_900);
    expect(applyDiscount(100, 50)).to.equal(100); // 0.50 rounds half up
    expect(applyDiscount(10_000, 150)).to.equal(0); // clamped to 100%
    expect(() => applyDiscount(10.5, 10)).to.throw(RangeError);
    expect(() => applyDiscount(-100, 10)).to.throw(RangeError);
  });

  it('priceOf gives list price, sale price and savings together', () => {
    expect(priceOf({ id: 1, category_id: 1, price_paise: 129_900, discount_percent: 25 })).to.deep.equal({
      unitPrice: 129_900,
      discountPercent: 25,
      salePrice: 97_400,
      savings: 32_500,
    });
  });
});

describe('search terms', () => {
  it('turns typed text into prefix terms of letters and digits only', () => {
    expect(toPrefixTsQuery('Temp  notes')).to.equal('temp:* & notes:*');
    expect(toPrefixTsQuery("serif & !( | ' :*")).to.equal('serif:*');
    expect(toPrefixTsQuery('देवनागरी font')).to.equal('देवनागरी:* & font:*');
    expect(toPrefixTsQuery('a a a')).to.equal('a:*');
    expect(toPrefixTsQuery('!!!')).to.equal(undefined);
    expect(toPrefixTsQuery('1 2 3 4 5 6 7 8 9 10')?.split(' & ')).to.have.length(8);
  });
});

describe('memoize', () => {
  it('shares one call per key within the TTL, refreshes after it, and forgets failures', async () => {
    const { memoize } = await import('../src/lib/memo.js');
    let t = 0;
    let calls = 0;
    let fail = false;
    const m = memoize(
      async (k: string) => {
        calls++;
        if (fail) throw new Error('db down');
        return `${k}:${calls}`;
      },
      { ttlMs: 1000, now: () => t },
    );
    expect(await Promise.all([m.get('a'), m.get('a')])).to.deep.equal(['a:1', 'a:1']);
    expect(await m.get('b')).to.equal('b:2');
    t = 999;
    expect(await m.get('a')).to.equal('a:1');
    t = 1000;
    fail = true;
    let error: unknown;
    await m.get('a').catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(Error);
    fail = false;
    expect(await m.get('a')).to.equal('a:4');
    m.clear();
    expect(await m.get('a')).to.equal('a:5');
  });
});
