/**
 * Bounded-Variable Least Squares (Stark & Parker 1995), as scipy's bvls: an active-set
 * method that frees one bound variable per iteration and solves the unconstrained
 * problem on the free set, stepping back along the segment to the first violated bound.
 * Before the main loop, an initialization pins every variable whose free solution
 * violates a bound, repeatedly, so that fewer main iterations are needed.
 */
import type { DenseMatrix } from './dense-matrix.js';
import { DenseMatrix as Dense } from './dense-matrix.js';
import { lstsq } from './dense.js';
import { dot, norm } from '../least-squares/common.js';
import { linearHeader, linearIterationLine } from '../least-squares/progress.js';
import { residual, type LinearSolveOutcome } from './trf-linear.js';
import { AbortError } from '../errors.js';

export interface BvlsOptions {
  tol: number;
  maxIter: number | undefined;
  verbose: number;
  log: (line: string) => void;
  signal: AbortSignal | undefined;
}

/** Columns `cols` of A as a new dense matrix. */
function columns(a: DenseMatrix, cols: number[]): DenseMatrix {
  const m = a.rows, n = a.cols, k = cols.length;
  const out = new Dense(m, k);
  for (let i = 0; i < m; i++) for (let c = 0; c < k; c++) out.data[i * k + c] = a.data[i * n + cols[c]];
  return out;
}

export function bvls(a: DenseMatrix, b: Float64Array, xLsq: Float64Array, lb: Float64Array, ub: Float64Array, opts: BvlsOptions): LinearSolveOutcome {
  const n = a.cols;
  const x = Float64Array.from(xLsq);
  const onBound = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    if (x[i] <= lb[i]) { x[i] = lb[i]; onBound[i] = -1; }
    else if (x[i] >= ub[i]) { x[i] = ub[i]; onBound[i] = 1; }
  }
  let free: number[] = [];
  for (let i = 0; i < n; i++) if (onBound[i] === 0) free.push(i);

  /** b - A x_active: the right-hand side for the free variables. */
  const freeRhs = (): Float64Array => {
    const xa = new Float64Array(n);
    for (let i = 0; i < n; i++) if (onBound[i] !== 0) xa[i] = x[i];
    const ax = a.matvec(xa);
    const out = new Float64Array(b.length);
    for (let i = 0; i < b.length; i++) out[i] = b[i] - ax[i];
    return out;
  };

  let r = residual(a, x, b);
  let cost = 0.5 * dot(r, r);
  const initialCost = cost;
  let g = a.rmatvec(r);
  let costChange: number | null = null;
  let stepNorm: number | null = null;
  let iteration = 0;
  if (opts.verbose === 2) opts.log(linearHeader());

  // Initialization: pin the variables whose free least-squares solution violates a bound.
  while (free.length > 0) {
    if (opts.verbose === 2) {
      opts.log(linearIterationLine(iteration, cost, costChange, stepNorm, kktOptimality(g, onBound)));
    }
    iteration++;
    const old = free.map((i) => x[i]);
    const z = lstsq(columns(a, free), freeRhs()).x;
    const violated: boolean[] = [];
    free.forEach((i, c) => {
      if (z[c] < lb[i]) { x[i] = lb[i]; onBound[i] = -1; violated.push(true); }
      else if (z[c] > ub[i]) { x[i] = ub[i]; onBound[i] = 1; violated.push(true); }
      else { x[i] = z[c]; violated.push(false); }
    });
    r = residual(a, x, b);
    const costNew = 0.5 * dot(r, r);
    costChange = cost - costNew;
    cost = costNew;
    g = a.rmatvec(r);
    stepNorm = norm(free.map((i, c) => x[i] - old[c]));
    if (violated.some((v) => v)) free = free.filter((_, c) => !violated[c]);
    else break;
  }

  const maxIter = (opts.maxIter ?? n) + iteration;
  let status: number | null = null;
  let optimality = kktOptimality(g, onBound);
  for (; iteration < maxIter; iteration++) {
    if (opts.signal?.aborted) throw new AbortError('lsqLinear was aborted', x, opts.signal.reason);
    if (opts.verbose === 2) opts.log(linearIterationLine(iteration, cost, costChange, stepNorm, optimality));
    if (optimality < opts.tol) status = 1;
    if (status !== null) break;

    // Free the bound variable whose gradient points furthest into the feasible region.
    let moveToFree = 0, best = -Infinity;
    for (let i = 0; i < n; i++) {
      const gd = g[i] * onBound[i];
      if (gd > best) { best = gd; moveToFree = i; }
    }
    onBound[moveToFree] = 0;

    // Solve on the free set; while the solution leaves the box, step to the first bound
    // crossed on the segment, pin that variable and solve again.
    let xFree: number[], xFreeOld: number[];
    for (;;) {
      free = [];
      for (let i = 0; i < n; i++) if (onBound[i] === 0) free.push(i);
      xFree = free.map((i) => x[i]);
      xFreeOld = xFree.slice();
      const z = lstsq(columns(a, free), freeRhs()).x;
      let alpha = Infinity, hit = -1, hitSide = 0;
      // lower violations first, then upper: ties go to the first, as numpy's argmin over hstack(lbv, ubv)
      for (const side of [-1, 1]) {
        free.forEach((i, c) => {
          let t: number;
          if (side === -1 && z[c] < lb[i]) t = (lb[i] - xFree[c]) / (z[c] - xFree[c]);
          else if (side === 1 && z[c] > ub[i]) t = (ub[i] - xFree[c]) / (z[c] - xFree[c]);
          else return;
          if (t < alpha) { alpha = t; hit = c; hitSide = side; }
        });
      }
      if (hit < 0) {
        xFree = Array.from(z);
        free.forEach((i, c) => { x[i] = xFree[c]; });
        break;
      }
      for (let c = 0; c < free.length; c++) xFree[c] = xFree[c] * (1 - alpha) + alpha * z[c];
      free.forEach((i, c) => { x[i] = xFree[c]; });
      onBound[free[hit]] = hitSide;
    }
    stepNorm = norm(xFree.map((v, c) => v - xFreeOld[c]));
    r = residual(a, x, b);
    const costNew = 0.5 * dot(r, r);
    costChange = cost - costNew;
    if (costChange < opts.tol * cost) status = 2;
    cost = costNew;
    g = a.rmatvec(r);
    optimality = kktOptimality(g, onBound);
  }

  return {
    x, fun: r, cost, optimality, activeMask: onBound,
    nit: Math.min(iteration, maxIter - 1) + 1, status: status ?? 0, initialCost,
  };
}

/** The largest violation of the KKT conditions: |g| on free variables, g·side on bound ones. */
function kktOptimality(g: Float64Array, onBound: Int8Array): number {
  let v = -Infinity;
  for (let i = 0; i < g.length; i++) v = Math.max(v, onBound[i] === 0 ? Math.abs(g[i]) : g[i] * onBound[i]);
  return v;
}
