/**
 * Cosine similarity over sparse vectors, the arithmetic the recommendations engine is built on.
 * Pure and allocation-light: the engine (engine.ts) calls these for every product it scores,
 * both in the recompute job (data from Postgres) and in the offline evaluation (synthetic data).
 */

/** A sparse vector as parallel arrays, indices ascending (the order merge-dot needs). */
export interface SparseVector {
  idx: Int32Array;
  val: Float64Array;
}

export function sparse(entries: [number, number][]): SparseVector {
  const sorted = [...entries].sort((a, b) => a[0] - b[0]);
  return { idx: Int32Array.from(sorted.map((e) => e[0])), val: Float64Array.from(sorted.map((e) => e[1])) };
}

export function norm(v: SparseVector): number {
  let s = 0;
  for (let k = 0; k < v.val.length; k++) s += v.val[k]! * v.val[k]!;
  return Math.sqrt(s);
}

/** The dot product of two sparse vectors by merging their sorted indices. */
export function dot(a: SparseVector, b: SparseVector): number {
  let i = 0;
  let j = 0;
  let s = 0;
  while (i < a.idx.length && j < b.idx.length) {
    const x = a.idx[i]!;
    const y = b.idx[j]!;
    if (x === y) s += a.val[i++]! * b.val[j++]!;
    else if (x < y) i++;
    else j++;
  }
  return s;
}

/** cos(a, b) = a·b / (|a| |b|); 0 when either vector is empty. */
export function cosine(a: SparseVector, b: SparseVector): number {
  const d = norm(a) * norm(b);
  return d === 0 ? 0 : dot(a, b) / d;
}

/** Scales a vector to unit length in place (an empty vector stays empty); returns it. */
export function normalize(v: SparseVector): SparseVector {
  const n = norm(v);
  if (n > 0) for (let k = 0; k < v.val.length; k++) v.val[k] = v.val[k]! / n;
  return v;
}
