/**
 * Seeded random test problems whose exact streams some tests depend on (condition numbers,
 * stop codes and iteration counts measured on these very matrices). Both draw from the
 * project's mulberry32 `rng`; for normally distributed data use randomVector and
 * randomSparseMatrix from src/problems/random-sparse.ts.
 */
import { CsrMatrix } from '../../src/sparse/csr.js';
import { DenseMatrix } from '../../src/linear/dense-matrix.js';
import { rng } from '../../src/problems/random-sparse.js';

/** m x n with `perRow` distinct random columns per row, values uniform in ±[0.5, 1.5], columns scaled by `colScale`. */
export function randomSparse(m: number, n: number, perRow: number, seed: number, colScale?: (j: number) => number): CsrMatrix {
  const r = rng(seed);
  const ri: number[] = [], ci: number[] = [], v: number[] = [];
  for (let i = 0; i < m; i++) {
    const cols = new Set<number>();
    while (cols.size < perRow) cols.add(Math.floor(r() * n));
    for (const j of cols) {
      ri.push(i);
      ci.push(j);
      v.push((r() < 0.5 ? -1 : 1) * (0.5 + r()) * (colScale ? colScale(j) : 1));
    }
  }
  return CsrMatrix.fromTriplets(m, n, ri, ci, v);
}

/** n entries uniform in [-1, 1). */
export function uniformVector(n: number, seed: number): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => 2 * r() - 1);
}

/** An m x n DenseMatrix with entries uniform in [-0.5, 0.5), row by row. */
export function uniformDenseMatrix(m: number, n: number, seed: number): DenseMatrix {
  const r = rng(seed);
  return new DenseMatrix(m, n, Float64Array.from({ length: m * n }, () => r() - 0.5));
}
