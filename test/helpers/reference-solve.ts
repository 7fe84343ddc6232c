/** A dense reference for the iterative solvers: the normal equations solved by Cholesky. */
import type { LinearOperator } from '../../src/linear/operator.js';

/** The n x n matrix of a linear map x -> apply(x) on Rⁿ, dense row-major, built column by column. */
export function denseOf(n: number, apply: (x: Float64Array) => ArrayLike<number>): Float64Array {
  const out = new Float64Array(n * n);
  const e = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    e.fill(0);
    e[j] = 1;
    const col = apply(e);
    for (let i = 0; i < n; i++) out[i * n + j] = col[i];
  }
  return out;
}

/** (AᵀA + shift I) as a dense n x n row-major array, from any operator (column by column). */
export function normalMatrix(a: LinearOperator, shift = 0): Float64Array {
  const n = a.cols;
  const g = denseOf(n, (e) => a.rmatvec(a.matvec(e)));
  for (let j = 0; j < n; j++) g[j * n + j] += shift;
  return g;
}

/** Solves G x = rhs for symmetric positive definite G (dense, row-major) by Cholesky (G = L Lᵀ). */
export function choleskySolve(g: Float64Array, rhs: Float64Array): Float64Array {
  const n = rhs.length;
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = g[j * n + j];
    for (let k = 0; k < j; k++) d -= l[j * n + k] ** 2;
    if (!(d > 0)) throw new Error('not positive definite');
    const ljj = Math.sqrt(d);
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = g[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = s / ljj;
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = rhs[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * y[k];
    y[i] = s / l[i * n + i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
    x[i] = s / l[i * n + i];
  }
  return x;
}

/** The solution of min ||A x - b||² + damp² ||x||² by the normal equations. */
export function normalSolve(a: LinearOperator, b: Float64Array, damp = 0): Float64Array {
  return choleskySolve(normalMatrix(a, damp * damp), a.rmatvec(b));
}
