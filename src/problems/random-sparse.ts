/**
 * Seeded random problems for the CLI's built-in run, the tests and the benchmarks, so
 * nothing on a fresh machine depends on external data.
 */
import { CsrMatrix } from '../sparse/csr.js';

/** A small, fast, seeded PRNG (mulberry32) returning floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal deviate from a uniform source (Box–Muller). */
export function normal(rand: () => number): number {
  let u = 0;
  while (u === 0) u = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/**
 * A random m x n sparse matrix with about `nnz` normally distributed entries placed
 * uniformly, plus one entry in every column (so none is empty).
 */
export function randomSparseMatrix(m: number, n: number, nnz: number, seed: number): CsrMatrix {
  const rand = rng(seed);
  const total = nnz + n;
  const ri = new Int32Array(total), ci = new Int32Array(total), v = new Float64Array(total);
  for (let k = 0; k < nnz; k++) {
    ri[k] = Math.floor(rand() * m);
    ci[k] = Math.floor(rand() * n);
    v[k] = normal(rand);
  }
  for (let j = 0; j < n; j++) {
    ri[nnz + j] = Math.floor(rand() * m);
    ci[nnz + j] = j;
    v[nnz + j] = normal(rand);
  }
  return CsrMatrix.fromTriplets(m, n, ri, ci, v);
}

/** A vector of n standard normal entries. */
export function randomVector(n: number, seed: number): Float64Array {
  const rand = rng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = normal(rand);
  return out;
}
