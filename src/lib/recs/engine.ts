/**
 * The recommendations engine: item-item similarity from behaviour (which shoppers touched each
 * product) blended with content (category, tags, title words), and per-shopper scoring from
 * those neighbour lists. Pure and in memory: the recompute job feeds it rows streamed from
 * Postgres (services/recommendation-service.ts), the offline evaluation feeds it synthetic data
 * (scripts/eval-recs.ts), so the evaluation measures the code the shop runs.
 *
 * Bounds (what keeps 100,000 products and 1,000,000 events inside a few hundred MB and minutes):
 *  - each shopper keeps only their `historyCap` most recent distinct products;
 *  - each product keeps only its `postingsCap` most recent shoppers when co-occurrence is counted;
 *  - content candidates come from an inverted index walked rarest token first, with at most
 *    `contentBudget` postings read per product (a category of 20,000 products is sampled, never
 *    paired in full);
 *  - neighbour lists are computed one product at a time (`neighboursOf`) and written in batches.
 */
import { dot, normalize, type SparseVector } from './cosine.js';

export type SignalKind = 'view' | 'cart' | 'purchase';

/**
 * How much one signal says about a taste. A view is cheap and often idle (1); adding to the cart
 * is a considered intent (3); paying is the strongest statement a shopper makes (5), the usual
 * implicit-feedback order (purchase > cart > view). On the synthetic evaluation they change little
 * (1/1/1 and 1/5/10 land within 0.5 points of HitRate@10), because there every add and purchase
 * follows a view of the same product; in a real shop they keep idle browsing from outweighing
 * what people pay for. Interest is log(1 + decayed sum), so the ratios matter less than they look.
 */
export const SIGNAL_WEIGHTS: Record<SignalKind, number> = { view: 1, cart: 3, purchase: 5 };
const KIND_RANK: Record<SignalKind, number> = { view: 0, cart: 1, purchase: 2 };

export type Reason = 'bought_together' | 'viewed_together' | 'similar';

export interface EngineOptions {
  /** Instant (ms) recency is measured from. */
  now: number;
  /** A signal this old counts half (exponential decay). */
  halfLifeDays: number;
  /** Distinct products kept per shopper, most recent first. */
  historyCap: number;
  /** Shoppers kept per product when counting co-occurrence, most recent first. */
  postingsCap: number;
  /** Content postings read per product when looking for similar candidates. */
  contentBudget: number;
  /** Weight of behaviour in the blend (1 − alpha goes to content); tuned by npm run eval:recs. */
  alpha: number;
  /** Neighbours kept per product by the blended score. */
  k: number;
  /** Extra content-only neighbours kept for "Similar products" (not already among the k). */
  similarK: number;
}

export const DEFAULT_ENGINE_OPTIONS: Omit<EngineOptions, 'now'> = {
  halfLifeDays: 60,
  historyCap: 50,
  postingsCap: 400,
  contentBudget: 300,
  alpha: 0.95,
  k: 16,
  similarK: 8,
};

export interface ProductFacts {
  id: number;
  categoryId: number;
  tags: string[];
  title: string;
}

export interface Neighbour {
  neighborId: number;
  score: number;
  behaviourScore: number;
  contentScore: number;
  reason: Reason;
}

const DAY_MS = 86_400_000;

/** A signal's weight after decay: weight × 0.5^(age / half-life); future events count fully. */
export function decayedWeight(kind: SignalKind, ageMs: number, halfLifeDays: number): number {
  return SIGNAL_WEIGHTS[kind] * Math.pow(0.5, Math.max(0, ageMs) / (halfLifeDays * DAY_MS));
}

/**
 * One shopper's strength of interest in one product from the decayed sum of their signals:
 * log(1 + sum), so the tenth view of a product adds little and one busy shopper cannot dominate.
 */
export const interest = (decayedSum: number) => Math.log1p(decayedSum);

const STOP = new Set(['the', 'and', 'for', 'with', 'pack', 'kit', 'set', 'your', 'from', 'into', 'all', 'new', 'pro', 'bundle']);

/** Title words worth matching on: letters only, three or more, lower case, no filler words. */
export function titleWords(title: string): string[] {
  const words = title.toLowerCase().match(/\p{L}{3,}/gu) ?? [];
  return [...new Set(words.filter((w) => !STOP.has(w)))];
}

/** Content features and their base weights before IDF: a category and tags say more than a title word. */
const FEATURE_WEIGHT = { category: 1, tag: 1, word: 0.5 };

/** A fixed-size best-first buffer (insertion into a short sorted array beats a sort per product). */
class TopN {
  ids: Int32Array;
  scores: Float64Array;
  size = 0;
  constructor(readonly n: number) {
    this.ids = new Int32Array(n);
    this.scores = new Float64Array(n);
  }
  reset() {
    this.size = 0;
  }
  /** Ties go to the lower index, so results never depend on arrival order. */
  push(id: number, score: number) {
    const n = this.n;
    if (this.size === n) {
      const ls = this.scores[n - 1]!;
      if (score < ls || (score === ls && id > this.ids[n - 1]!)) return;
    }
    let pos = this.size < n ? this.size++ : n - 1;
    while (pos > 0) {
      const ps = this.scores[pos - 1]!;
      if (ps > score || (ps === score && this.ids[pos - 1]! < id)) break;
      this.scores[pos] = ps;
      this.ids[pos] = this.ids[pos - 1]!;
      pos--;
    }
    this.scores[pos] = score;
    this.ids[pos] = id;
  }
}

interface Touch {
  w: number;
  last: number;
  bought: boolean;
}

/**
 * The engine over one catalog: add signals (any order), then ask each product for its neighbours.
 * Products not in `products` (hidden, archived, deleted) are ignored: they are never recommended
 * and their signals do not count.
 */
export class RecommendationEngine {
  readonly opts: EngineOptions;
  private readonly ids: Int32Array;
  private readonly indexOf = new Map<number, number>();
  private readonly actors = new Map<string, Map<number, Touch>>();
  private sealed = false;
  // Behaviour, after seal(): shopper → products (CSR) and product → shoppers (CSR, capped).
  private actorStart = new Int32Array(0);
  private actorItem = new Int32Array(0);
  private actorVal = new Float64Array(0);
  private actorBought = new Uint8Array(0);
  private postStart = new Int32Array(0);
  private postActor = new Int32Array(0);
  private postVal = new Float64Array(0);
  private postBought = new Uint8Array(0);
  private itemNorm = new Float64Array(0);
  // Content: one unit tf-idf vector per product and the inverted index over tokens.
  private readonly vectors: SparseVector[];
  private readonly tokenPostings: Int32Array[];
  // Scratch reused for every product (never reallocated per product).
  private readonly acc: Float64Array;
  private readonly buy: Float64Array;
  private readonly mark: Uint8Array;
  private readonly touched: Int32Array;

  constructor(products: ProductFacts[], opts: Partial<EngineOptions> & { now: number }) {
    this.opts = { ...DEFAULT_ENGINE_OPTIONS, ...opts };
    const sorted = [...products].sort((a, b) => a.id - b.id);
    this.ids = Int32Array.from(sorted.map((p) => p.id));
    sorted.forEach((p, i) => this.indexOf.set(p.id, i));
    const n = sorted.length;
    this.acc = new Float64Array(n);
    this.buy = new Float64Array(n);
    this.mark = new Uint8Array(n);
    this.touched = new Int32Array(n);

    // Tokens and document frequencies.
    const tokenId = new Map<string, number>();
    const df: number[] = [];
    const docs: { t: number; base: number }[][] = sorted.map((p) => {
      const feats = new Map<string, number>();
      feats.set(`c:${p.categoryId}`, FEATURE_WEIGHT.category);
      for (const t of p.tags) feats.set(`t:${t.toLowerCase()}`, FEATURE_WEIGHT.tag);
      for (const w of titleWords(p.title)) if (!feats.has(`w:${w}`)) feats.set(`w:${w}`, FEATURE_WEIGHT.word);
      return [...feats].map(([name, base]) => {
        let t = tokenId.get(name);
        if (t === undefined) {
          t = df.length;
          tokenId.set(name, t);
          df.push(0);
        }
        df[t]!++;
        return { t, base };
      });
    });
    const postings: number[][] = df.map(() => []);
    this.vectors = docs.map((doc, i) => {
      const entries = doc.map(({ t, base }) => [t, base * Math.log(1 + n / df[t]!)] as [number, number]).sort((a, b) => a[0] - b[0]);
      for (const [t] of entries) postings[t]!.push(i);
      return normalize({ idx: Int32Array.from(entries.map((e) => e[0])), val: Float64Array.from(entries.map((e) => e[1])) });
    });
    this.tokenPostings = postings.map((p) => Int32Array.from(p));
  }

  get productCount(): number {
    return this.ids.length;
  }

  /** One signal of a shopper (a user id or a browser's anonymous id, as the caller keys them). */
  add(actor: string, productId: number, kind: SignalKind, at: number): void {
    if (this.sealed) throw new Error('engine already sealed');
    const i = this.indexOf.get(productId);
    if (i === undefined) return;
    let m = this.actors.get(actor);
    if (!m) this.actors.set(actor, (m = new Map()));
    const w = decayedWeight(kind, this.opts.now - at, this.opts.halfLifeDays);
    const t = m.get(i);
    if (t) {
      t.w += w;
      if (at > t.last) t.last = at;
      if (kind === 'purchase') t.bought = true;
    } else m.set(i, { w, last: at, bought: kind === 'purchase' });
  }

  /** Freezes the signals into compact arrays (the per-shopper maps are released). */
  seal(): void {
    if (this.sealed) return;
    this.sealed = true;
    const { historyCap, postingsCap } = this.opts;
    const n = this.ids.length;
    let total = 0;
    const lists: [number, Touch][][] = [];
    for (const m of this.actors.values()) {
      const list = [...m].sort((a, b) => b[1].last - a[1].last || a[0] - b[0]).slice(0, historyCap);
      lists.push(list);
      total += list.length;
    }
    this.actors.clear();
    const A = lists.length;
    this.actorStart = new Int32Array(A + 1);
    this.actorItem = new Int32Array(total);
    this.actorVal = new Float64Array(total);
    this.actorBought = new Uint8Array(total);
    const count = new Int32Array(n);
    const lastOf = new Float64Array(total);
    this.itemNorm = new Float64Array(n);
    let q = 0;
    for (let a = 0; a < A; a++) {
      this.actorStart[a] = q;
      for (const [i, t] of lists[a]!) {
        const v = interest(t.w);
        this.actorItem[q] = i;
        this.actorVal[q] = v;
        this.actorBought[q] = t.bought ? 1 : 0;
        lastOf[q] = t.last;
        this.itemNorm[i] = this.itemNorm[i]! + v * v;
        count[i]!++;
        q++;
      }
      lists[a] = [];
    }
    this.actorStart[A] = q;
    for (let i = 0; i < n; i++) this.itemNorm[i] = Math.sqrt(this.itemNorm[i]!);
    // Postings: each product's shoppers, most recent first, at most postingsCap.
    const start = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) start[i + 1] = start[i]! + count[i]!;
    const fill = start.slice(0, n);
    const rawActor = new Int32Array(total);
    const rawEntry = new Int32Array(total);
    for (let a = 0; a < A; a++) {
      for (let e = this.actorStart[a]!; e < this.actorStart[a + 1]!; e++) {
        const i = this.actorItem[e]!;
        const p = fill[i]!++;
        rawActor[p] = a;
        rawEntry[p] = e;
      }
    }
    const capped = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) capped[i + 1] = capped[i]! + Math.min(count[i]!, postingsCap);
    this.postStart = capped;
    this.postActor = new Int32Array(capped[n]!);
    this.postVal = new Float64Array(capped[n]!);
    this.postBought = new Uint8Array(capped[n]!);
    for (let i = 0; i < n; i++) {
      let entries = Array.from(rawEntry.subarray(start[i]!, start[i + 1]!).keys(), (k) => start[i]! + k);
      if (entries.length > postingsCap) entries = entries.sort((x, y) => lastOf[rawEntry[y]!]! - lastOf[rawEntry[x]!]! || rawActor[x]! - rawActor[y]!).slice(0, postingsCap);
      let p = capped[i]!;
      for (const k of entries) {
        const e = rawEntry[k]!;
        this.postActor[p] = rawActor[k]!;
        this.postVal[p] = this.actorVal[e]!;
        this.postBought[p] = this.actorBought[e]!;
        p++;
      }
    }
  }

  /** The cosine of two products' behaviour vectors (tests and diagnostics; exact, uncapped by candidates). */
  behaviourCosine(a: number, b: number): number {
    this.seal();
    const i = this.indexOf.get(a);
    const j = this.indexOf.get(b);
    if (i === undefined || j === undefined || this.itemNorm[i] === 0 || this.itemNorm[j] === 0) return 0;
    let s = 0;
    for (let p = this.postStart[i]!; p < this.postStart[i + 1]!; p++) {
      const u = this.postActor[p]!;
      for (let e = this.actorStart[u]!; e < this.actorStart[u + 1]!; e++) if (this.actorItem[e] === j) s += this.postVal[p]! * this.actorVal[e]!;
    }
    return s / (this.itemNorm[i]! * this.itemNorm[j]!);
  }

  /** The cosine of two products' content vectors. */
  contentCosine(a: number, b: number): number {
    const i = this.indexOf.get(a);
    const j = this.indexOf.get(b);
    return i === undefined || j === undefined ? 0 : dot(this.vectors[i]!, this.vectors[j]!);
  }

  /** A product's neighbours: the k best by blended score, then up to similarK more by content alone. */
  neighboursOf(productId: number): Neighbour[] {
    this.seal();
    const i = this.indexOf.get(productId);
    if (i === undefined) return [];
    const { alpha, k, similarK, contentBudget } = this.opts;
    const { acc, buy, mark, touched } = this;
    let nt = 0;
    const touch = (j: number) => {
      if (!mark[j]) {
        mark[j] = 1;
        touched[nt++] = j;
      }
    };
    // Behaviour co-occurrence through the product's shoppers.
    const ni = this.itemNorm[i]!;
    if (ni > 0) {
      for (let p = this.postStart[i]!; p < this.postStart[i + 1]!; p++) {
        const u = this.postActor[p]!;
        const wi = this.postVal[p]!;
        const bi = this.postBought[p]!;
        for (let e = this.actorStart[u]!; e < this.actorStart[u + 1]!; e++) {
          const j = this.actorItem[e]!;
          if (j === i) continue;
          touch(j);
          acc[j] = acc[j]! + wi * this.actorVal[e]!;
          if (bi && this.actorBought[e]) buy[j] = buy[j]! + 1;
        }
      }
    }
    // Content candidates: rarest tokens first, each walked from a per-product offset.
    const vi = this.vectors[i]!;
    const order = Array.from(vi.idx).sort((x, y) => this.tokenPostings[x]!.length - this.tokenPostings[y]!.length || x - y);
    let budget = contentBudget;
    for (const t of order) {
      if (budget <= 0) break;
      const list: Int32Array = this.tokenPostings[t]!;
      const take: number = Math.min(list.length, budget);
      const offset: number = list.length > take ? (i * 2654435761) % list.length : 0;
      for (let s = 0; s < take; s++) {
        const j: number = list[(offset + s) % list.length]!;
        if (j !== i) touch(j);
      }
      budget -= take;
    }
    const blended = new TopN(k);
    const byContent = new TopN(k + similarK);
    const bScore = (j: number) => (ni > 0 && acc[j]! > 0 ? acc[j]! / (ni * this.itemNorm[j]!) : 0);
    for (let s = 0; s < nt; s++) {
      const j = touched[s]!;
      const b = bScore(j);
      const c = dot(vi, this.vectors[j]!);
      const score = alpha * b + (1 - alpha) * c;
      if (score > 0) blended.push(j, score);
      if (c > 0) byContent.push(j, c);
    }
    const out: Neighbour[] = [];
    const chosen = new Set<number>();
    const make = (j: number, reasonOverride?: Reason): Neighbour => {
      const b = bScore(j);
      const c = dot(vi, this.vectors[j]!);
      const reason: Reason = reasonOverride ?? (buy[j]! > 0 ? 'bought_together' : b > 0 && alpha * b >= (1 - alpha) * c ? 'viewed_together' : 'similar');
      return { neighborId: this.ids[j]!, score: alpha * b + (1 - alpha) * c, behaviourScore: b, contentScore: c, reason };
    };
    for (let r = 0; r < blended.size; r++) {
      const j = blended.ids[r]!;
      chosen.add(j);
      out.push(make(j));
    }
    let extra = 0;
    for (let r = 0; r < byContent.size && extra < similarK; r++) {
      const j = byContent.ids[r]!;
      if (chosen.has(j)) continue;
      out.push(make(j, 'similar'));
      extra++;
    }
    for (let s = 0; s < nt; s++) {
      const j = touched[s]!;
      acc[j] = 0;
      buy[j] = 0;
      mark[j] = 0;
    }
    return out;
  }
}

/** One product in a shopper's history: their interest in it and their strongest signal. */
export interface HistoryItem {
  productId: number;
  weight: number;
  kind: SignalKind;
  last: number;
}

/** A shopper's signals folded into their history: decayed, strongest kind kept, newest first, capped. */
export function historyFromSignals(signals: { productId: number; kind: SignalKind; at: number }[], now: number, opts: { halfLifeDays?: number; historyCap?: number } = {}): HistoryItem[] {
  const halfLife = opts.halfLifeDays ?? DEFAULT_ENGINE_OPTIONS.halfLifeDays;
  const byProduct = new Map<number, { sum: number; kind: SignalKind; last: number }>();
  for (const s of signals) {
    const w = decayedWeight(s.kind, now - s.at, halfLife);
    const h = byProduct.get(s.productId);
    if (!h) byProduct.set(s.productId, { sum: w, kind: s.kind, last: s.at });
    else {
      h.sum += w;
      if (KIND_RANK[s.kind] > KIND_RANK[h.kind]) h.kind = s.kind;
      if (s.at > h.last) h.last = s.at;
    }
  }
  return [...byProduct]
    .map(([productId, h]) => ({ productId, weight: interest(h.sum), kind: h.kind, last: h.last }))
    .sort((a, b) => b.last - a.last || a.productId - b.productId)
    .slice(0, opts.historyCap ?? DEFAULT_ENGINE_OPTIONS.historyCap);
}

export interface Scored {
  productId: number;
  score: number;
  /** The history product that contributed most (for "Because you viewed X"). */
  because: number;
}

/**
 * Scores products for a shopper: score(j) = Σ over history items i of interest(i) × sim(i, j),
 * skipping `exclude` (owned, already in the cart, the history's own products when asked). The
 * best `limit`, highest first; ties by product id.
 */
export function scoreFromHistory(history: HistoryItem[], neighbours: Map<number, { neighborId: number; score: number }[]>, exclude: Set<number>, limit: number): Scored[] {
  const total = new Map<number, { score: number; best: number; because: number }>();
  for (const h of history) {
    for (const n of neighbours.get(h.productId) ?? []) {
      if (exclude.has(n.neighborId)) continue;
      const c = h.weight * n.score;
      const t = total.get(n.neighborId);
      if (!t) total.set(n.neighborId, { score: c, best: c, because: h.productId });
      else {
        t.score += c;
        if (c > t.best) {
          t.best = c;
          t.because = h.productId;
        }
      }
    }
  }
  return [...total]
    .map(([productId, t]) => ({ productId, score: t.score, because: t.because }))
    .sort((a, b) => b.score - a.score || a.productId - b.productId)
    .slice(0, limit);
}

/** Pads personal picks with trending ones (cold start, or a thin history), skipping duplicates and exclusions. */
export function padWithTrending<T extends { productId: number }>(picks: T[], trending: number[], exclude: Set<number>, limit: number, make: (productId: number) => T): T[] {
  const out = picks.slice(0, limit);
  const seen = new Set(out.map((p) => p.productId));
  for (const id of trending) {
    if (out.length >= limit) break;
    if (seen.has(id) || exclude.has(id)) continue;
    seen.add(id);
    out.push(make(id));
  }
  return out;
}
