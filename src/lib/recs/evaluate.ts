/**
 * Offline evaluation of the recommendations engine: a synthetic shop with hidden tastes (fixed
 * seed), each shopper's last purchase held out, and HitRate@10, NDCG@10 and catalog coverage for
 * the engine and two baselines ("most popular", and "same category by rating", the strip the
 * product page showed before). Used by `npm run eval:recs` and by test/recs-eval.test.ts.
 */
import { RecommendationEngine, historyFromSignals, padWithTrending, scoreFromHistory, type EngineOptions, type ProductFacts, type SignalKind } from './engine.js';

export interface SyntheticEvent {
  user: number;
  productId: number;
  kind: SignalKind;
  at: number;
}

export interface SyntheticProduct extends ProductFacts {
  rating: number;
}

export interface SyntheticShop {
  products: SyntheticProduct[];
  events: SyntheticEvent[];
  users: number;
  now: number;
}

/** mulberry32: a small seeded PRNG, so every run of the evaluation sees the same shop. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['aurora', 'banyan', 'cobalt', 'deccan', 'ember', 'fable', 'garnet', 'harbor', 'indigo', 'jasmine', 'kestrel', 'lotus', 'monsoon', 'nimbus', 'opal', 'peacock', 'quartz', 'rangoli', 'saffron', 'tamarind', 'umber', 'willow', 'zephyr', 'cedar', 'delta', 'fern', 'glacier', 'meadow', 'orbit', 'river'];
const KINDS = ['guide', 'template', 'font', 'preset', 'icons', 'starter', 'workbook', 'lut', 'mockup', 'plugin'];

/**
 * A shop with `products` products in `categories` categories over `tags` tags, and `users`
 * shoppers who each like two hidden "styles". A style is a group of products that share a
 * signature tag most of the time and a home category half the time (so content sees part of
 * it) and otherwise cut across categories and tags (so only behaviour sees all of it). Popularity is Zipf-skewed; 15% of a shopper's visits are noise
 * (anything, by popularity). A visit is a view; a quarter become cart adds, a third of those
 * purchases; every shopper buys at least twice.
 */
export function generateShop(opts: { seed: number; products: number; users: number; events: number; categories?: number; tags?: number; styles?: number }): SyntheticShop {
  const rnd = seededRandom(opts.seed);
  const C = opts.categories ?? 12;
  const T = opts.tags ?? 40;
  const S = opts.styles ?? 80;
  const now = Date.UTC(2026, 11, 1);
  const pick = <X>(xs: X[]) => xs[Math.floor(rnd() * xs.length)]!;
  const styleTag = Array.from({ length: S }, () => Math.floor(rnd() * T));
  const styleCategory = Array.from({ length: S }, () => 1 + Math.floor(rnd() * C));
  const products: SyntheticProduct[] = [];
  const byStyle: number[][] = Array.from({ length: S }, () => []);
  const popularity: number[] = [];
  for (let g = 1; g <= opts.products; g++) {
    const style = Math.floor(rnd() * S);
    const tags = new Set<string>();
    if (rnd() < 0.6) tags.add(`tag${styleTag[style]}`);
    while (tags.size < 2 + Math.floor(rnd() * 2)) tags.add(`tag${Math.floor(rnd() * T)}`);
    products.push({
      id: g,
      categoryId: rnd() < 0.5 ? styleCategory[style]! : 1 + Math.floor(Math.pow(rnd(), 1.5) * C),
      tags: [...tags],
      title: `${pick(WORDS)} ${pick(WORDS)} ${pick(KINDS)} ${g}`,
      rating: Math.round((2.5 + rnd() * 2.5) * 10) / 10,
    });
    byStyle[style]!.push(g);
    // Zipf-like popularity by a random rank.
    popularity.push(1 / Math.pow(1 + Math.floor(rnd() * opts.products), 0.8));
  }
  const cumulative = (ids: number[]) => {
    const cum: number[] = [];
    let s = 0;
    for (const id of ids) cum.push((s += popularity[id - 1]!));
    return { ids, cum, total: s };
  };
  const draw = (d: { ids: number[]; cum: number[]; total: number }) => {
    const x = rnd() * d.total;
    let lo = 0;
    let hi = d.cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (d.cum[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return d.ids[lo]!;
  };
  const all = cumulative(products.map((p) => p.id));
  const styles = byStyle.map((ids) => cumulative(ids.length ? ids : [1]));
  const events: SyntheticEvent[] = [];
  const perUser = Math.max(4, Math.round(opts.events / opts.users / 1.4));
  const span = 90 * 86_400_000;
  for (let u = 0; u < opts.users; u++) {
    const mine = [Math.floor(rnd() * S), Math.floor(rnd() * S)];
    let t = now - span + rnd() * span * 0.3;
    const step = (span * 0.7) / perUser;
    let bought = 0;
    const visits = perUser;
    for (let v = 0; v < visits || bought < 2; v++) {
      t += rnd() * step;
      const productId = rnd() < 0.15 ? draw(all) : draw(styles[pick(mine)]!);
      events.push({ user: u, productId, kind: 'view', at: t });
      const forced = v >= visits && bought < 2;
      if (forced || rnd() < 0.25) {
        events.push({ user: u, productId, kind: 'cart', at: t + 60_000 });
        if (forced || rnd() < 0.35) {
          events.push({ user: u, productId, kind: 'purchase', at: t + 120_000 });
          bought++;
        }
      }
    }
  }
  return { products, events, users: opts.users, now };
}

export interface Split {
  /** Every event but the held-out shoppers' events on their held-out product. */
  train: SyntheticEvent[];
  /** user → the product of their last purchase. */
  heldOut: Map<number, number>;
}

/**
 * Holds out each shopper's last purchase. All their events on that product go with it (the view
 * and the cart add that led to it), so no method can "predict" it from the shopper having just
 * looked at it: the test is whether it can find a product the shopper has not touched yet.
 */
export function holdOutLastPurchase(events: SyntheticEvent[]): Split {
  const last = new Map<number, SyntheticEvent>();
  for (const e of events) if (e.kind === 'purchase' && (!last.has(e.user) || e.at >= last.get(e.user)!.at)) last.set(e.user, e);
  const heldOut = new Map([...last].map(([u, e]) => [u, e.productId]));
  return { train: events.filter((e) => heldOut.get(e.user) !== e.productId), heldOut };
}

export interface MethodResult {
  method: string;
  hitRate: number;
  ndcg: number;
  coverage: number;
}

/** One method's top-10 lists for every held-out shopper, scored. */
function score(method: string, heldOut: Map<number, number>, catalog: number, recommend: (user: number) => number[], at = 10): MethodResult {
  let hits = 0;
  let ndcg = 0;
  const shown = new Set<number>();
  for (const [user, target] of heldOut) {
    const list = recommend(user).slice(0, at);
    for (const id of list) shown.add(id);
    const rank = list.indexOf(target);
    if (rank >= 0) {
      hits++;
      ndcg += 1 / Math.log2(rank + 2);
    }
  }
  const n = heldOut.size;
  return { method, hitRate: hits / n, ndcg: ndcg / n, coverage: shown.size / catalog };
}

/** The engine, "most popular" and "same category by rating", on one shop. */
export function evaluateShop(shop: SyntheticShop, engineOpts: Partial<EngineOptions> = {}): { results: MethodResult[]; heldOut: number; trainEvents: number } {
  const { train, heldOut } = holdOutLastPurchase(shop.events);
  const byUser = new Map<number, SyntheticEvent[]>();
  for (const e of train) {
    let l = byUser.get(e.user);
    if (!l) byUser.set(e.user, (l = []));
    l.push(e);
  }
  const owned = (user: number) => new Set((byUser.get(user) ?? []).filter((e) => e.kind === 'purchase').map((e) => e.productId));

  // Most popular: purchases in the training data, the same count every shopper sees.
  const buys = new Map<number, number>();
  for (const e of train) if (e.kind === 'purchase') buys.set(e.productId, (buys.get(e.productId) ?? 0) + 1);
  const popular = [...buys].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([id]) => id);
  const mostPopular = (user: number) => {
    const mine = owned(user);
    return popular.filter((id) => !mine.has(id)).slice(0, 10);
  };

  // Same category by rating: the category of the shopper's latest product, best rated first.
  const byCategory = new Map<number, { id: number; rating: number }[]>();
  const categoryOf = new Map<number, number>();
  for (const p of shop.products) {
    categoryOf.set(p.id, p.categoryId);
    let l = byCategory.get(p.categoryId);
    if (!l) byCategory.set(p.categoryId, (l = []));
    l.push(p);
  }
  for (const l of byCategory.values()) l.sort((a, b) => b.rating - a.rating || a.id - b.id);
  const sameCategory = (user: number) => {
    const events = byUser.get(user) ?? [];
    const latest = events.reduce<SyntheticEvent | undefined>((m, e) => (!m || e.at > m.at ? e : m), undefined);
    if (!latest) return mostPopular(user);
    const mine = owned(user);
    return (byCategory.get(categoryOf.get(latest.productId)!) ?? []).filter((p) => p.id !== latest.productId && !mine.has(p.id)).slice(0, 10).map((p) => p.id);
  };

  // The engine, exactly as the shop runs it: neighbours per product, then history scoring.
  const engine = new RecommendationEngine(shop.products, { ...engineOpts, now: shop.now });
  for (const e of train) engine.add(`u${e.user}`, e.productId, e.kind, e.at);
  engine.seal();
  const cache = new Map<number, { neighborId: number; score: number }[]>();
  const neighbours = (id: number) => {
    let n = cache.get(id);
    if (!n) cache.set(id, (n = engine.neighboursOf(id)));
    return n;
  };
  const trending = popular;
  const engineRecs = (user: number) => {
    const history = historyFromSignals(byUser.get(user) ?? [], shop.now, engine.opts);
    const lists = new Map(history.map((h) => [h.productId, neighbours(h.productId)]));
    const mine = owned(user);
    const picks = scoreFromHistory(history, lists, mine, 10);
    return padWithTrending(picks, trending, mine, 10, (productId) => ({ productId, score: 0, because: 0 })).map((p) => p.productId);
  };

  const catalog = shop.products.length;
  return {
    results: [score('engine (behaviour + content)', heldOut, catalog, engineRecs), score('most popular', heldOut, catalog, mostPopular), score('same category by rating', heldOut, catalog, sameCategory)],
    heldOut: heldOut.size,
    trainEvents: train.length,
  };
}
