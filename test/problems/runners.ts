/**
 * Runs the reference problems through leastSquares the way make_fixtures.py ran scipy, so
 * tests and benchmarks compare like with like.
 */
import { CsrMatrix, DenseMatrix, leastSquares, type LeastSquaresOptions, type LeastSquaresResult } from '../../src/index.js';
import type { MghProblem, SparseProblem } from './mgh.js';

/** sqrt(eps): the tolerances of the MGH and sparse fixtures (reference.md section 4). */
export const SQRT_EPS = 1.4901161193847656e-8;

/** The fixtures' "solved" rule: cost <= best (1 + rtol) + atol. */
export function isSolved(cost: number, best: number, rtol = 1e-4, atol = 1e-10): boolean {
  return cost <= best * (1 + rtol) + atol;
}

/** An MGH problem with its analytic Jacobian at tolerances sqrt(eps), as the fixtures. */
export function runMgh(p: MghProblem, method: 'trf' | 'dogbox' | 'lm', extra: LeastSquaresOptions = {}): Promise<LeastSquaresResult> {
  return leastSquares((x) => p.residual(x), p.x0, {
    jac: (x) => DenseMatrix.fromRows(p.jacobian(x)),
    method, xtol: SQRT_EPS, ftol: SQRT_EPS, gtol: SQRT_EPS,
    ...(p.bounds ? { bounds: p.bounds } : {}),
    ...extra,
  });
}

/** A 10,000-variable sparse problem: analytic CSR Jacobian or jacSparsity with 2-point differences. */
export function runSparse(
  p: SparseProblem, method: 'trf' | 'dogbox', jac: 'analytic' | 'sparsity', extra: LeastSquaresOptions = {},
): Promise<LeastSquaresResult> {
  const { rows, cols } = p.sparsity;
  const pattern = CsrMatrix.fromTriplets(p.m, p.n, rows, cols, new Float64Array(rows.length).fill(1));
  return leastSquares((x) => p.residual(x), p.x0, {
    method, trSolver: 'lsmr', xtol: SQRT_EPS, ftol: SQRT_EPS, gtol: SQRT_EPS,
    ...(p.bounds ? { bounds: p.bounds } : {}),
    ...(jac === 'analytic'
      ? { jac: (x: Float64Array) => { const t = p.jacobian(x); return CsrMatrix.fromTriplets(p.m, p.n, t.rows, t.cols, t.vals); } }
      : { jacSparsity: pattern }),
    ...extra,
  });
}
