import { DenseMatrix } from '../../src/linear/dense-matrix.js';

/**
 * The small problem lsqr and lsmr are checked against scipy 1.17.1 on, in numpy:
 *
 *   m, n = 12, 6
 *   A = np.array([[((7*i + 3*j) % 11 - 5) / (1 + j) for j in range(n)] for i in range(m)])
 *   b = np.sin(np.arange(1, m + 1))
 */
export function scipyKrylovProblem(): { m: number; n: number; a: DenseMatrix; b: Float64Array } {
  const m = 12, n = 6;
  const a = new DenseMatrix(m, n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) a.set(i, j, (((7 * i + 3 * j) % 11) - 5) / (1 + j));
  const b = Float64Array.from({ length: m }, (_, i) => Math.sin(i + 1));
  return { m, n, a, b };
}
