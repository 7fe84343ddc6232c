/**
 * Trust Region Reflective for bounded linear least squares (scipy's trf_linear, after
 * Branch, Coleman & Li 1999, "STIR"): min ½||A x - b||² subject to lb <= x <= ub.
 *
 * Each iteration works in the Coleman–Li scaled ("hat") space: with v the CL scaling
 * vector, d = √v, the Newton-like step solves the regularized problem
 *     min ||A diag(d) p_h + r||² + ||diag(√(g ∘ dv)) p_h||²
 * either exactly (a pivoted QR of A computed once, the diagonal eliminated by Givens
 * rotations each iteration) or by LSMR on the stacked operator. The step is then cut at
 * the first bound, and the best of three candidates is taken: the cut step, its
 * reflection off that bound, and the scaled anti-gradient — each pulled back by theta to
 * stay strictly interior. The model is exact, so no radius is needed; a backtracking
 * line search guards the rare step that does not decrease the cost.
 */
import type { Backend } from '../backend/backend.js';
import { DenseMatrix } from './dense-matrix.js';
import type { CsrMatrix } from '../sparse/csr.js';
import type { LinearOperator } from './operator.js';
import { qrPivoted, solveUpperTriangular } from './dense.js';
import { lsmrCore } from './lsmr.js';
import { augmentedOperator, matrixOperator, rightScaledOperator } from './operators.js';
import {
  EPS, buildQuadratic1d, clScalingVector, dot, evaluateQuadratic, findActiveConstraints, inBounds,
  makeStrictlyFeasible, minimizeQuadratic1d, norm, reflectiveTransformation, stepSizeToBound,
} from '../least-squares/common.js';
import { linearHeader, linearIterationLine } from '../least-squares/progress.js';
import { AbortError } from '../errors.js';

export interface TrfLinearOptions {
  tol: number;
  lsqSolver: 'exact' | 'lsmr';
  lsmrTol: number | 'auto' | undefined;
  lsmrMaxiter: number | undefined;
  maxIter: number;
  verbose: number;
  log: (line: string) => void;
  backend: Backend;
  signal: AbortSignal | undefined;
}

export interface LinearSolveOutcome {
  x: Float64Array;
  fun: Float64Array;
  cost: number;
  optimality: number;
  activeMask: Int8Array;
  nit: number;
  status: number;
  initialCost: number;
}

type HostMatrix = CsrMatrix | DenseMatrix | LinearOperator;

export async function trfLinear(
  a: HostMatrix, b: Float64Array, xLsq: Float64Array, lb: Float64Array, ub: Float64Array, opts: TrfLinearOptions,
): Promise<LinearSolveOutcome> {
  const n = a.cols;
  const { tol } = opts;
  let x = makeStrictlyFeasible(reflectiveTransformation(xLsq, lb, ub).x, lb, ub, 0.1);
  const stepSolver = opts.lsqSolver === 'exact'
    ? exactStepSolver(a as DenseMatrix)
    : lsmrStepSolver(a, opts);

  try {
    let r = residual(a, x, b);
    let g = a.rmatvec(r);
    let cost = 0.5 * dot(r, r);
    const initialCost = cost;
    let status: number | null = null;
    let stepNorm: number | null = null;
    let costChange: number | null = null;
    let gNorm = 0;
    let iteration = 0;
    if (opts.verbose === 2) opts.log(linearHeader());

    for (iteration = 0; iteration < opts.maxIter; iteration++) {
      if (opts.signal?.aborted) throw new AbortError('lsqLinear was aborted', x, opts.signal.reason);
      const { v, dv } = clScalingVector(x, g, lb, ub);
      gNorm = 0;
      for (let i = 0; i < n; i++) gNorm = Math.max(gNorm, Math.abs(g[i] * v[i]));
      if (gNorm < tol) status = 1;
      if (opts.verbose === 2) opts.log(linearIterationLine(iteration, cost, costChange, stepNorm, gNorm));
      if (status !== null) break;

      const diagH = new Float64Array(n), diagRootH = new Float64Array(n), d = new Float64Array(n), gH = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        diagH[i] = g[i] * dv[i];
        diagRootH[i] = Math.sqrt(diagH[i]);
        d[i] = Math.sqrt(v[i]);
        gH[i] = d[i] * g[i];
      }
      const pH = await stepSolver.solve(r, d, diagRootH, gNorm);
      for (let i = 0; i < n; i++) pH[i] = -pH[i];
      const p = new Float64Array(n);
      for (let i = 0; i < n; i++) p[i] = d[i] * pH[i];

      const pDotG = dot(p, g);
      if (pDotG > 0) status = -1;

      const theta = 1 - Math.min(0.005, gNorm);
      let step = selectStep(a, x, gH, diagH, p, pH, d, lb, ub, theta);
      costChange = -evaluateQuadratic(a.matvec(step), g, step);
      if (costChange < 0) {
        ({ x, step, costChange } = backtracking(a, g, x, p, theta, pDotG, lb, ub));
      } else {
        const xNew = new Float64Array(n);
        for (let i = 0; i < n; i++) xNew[i] = x[i] + step[i];
        x = makeStrictlyFeasible(xNew, lb, ub, 0);
      }
      stepNorm = norm(step);
      r = residual(a, x, b);
      g = a.rmatvec(r);
      if (costChange < tol * cost) status = 2;
      cost = 0.5 * dot(r, r);
      if (status !== null) break;
    }
    return {
      x, fun: r, cost, optimality: gNorm, activeMask: findActiveConstraints(x, lb, ub, tol),
      nit: Math.min(iteration, opts.maxIter - 1) + 1, status: status ?? 0, initialCost,
    };
  } finally {
    stepSolver.dispose();
  }
}

/** r = A x - b */
export function residual(a: HostMatrix, x: Float64Array, b: Float64Array): Float64Array {
  const r = a.matvec(x);
  for (let i = 0; i < r.length; i++) r[i] -= b[i];
  return r;
}

interface StepSolver {
  /** Solves min ||A diag(d) p + r||² + ||diag(diagRoot) p||² for p (the negated hat step). */
  solve(r: Float64Array, d: Float64Array, diagRoot: Float64Array, gNorm: number): Promise<Float64Array>;
  dispose(): void;
}

/** The 'exact' solver: one pivoted QR of A, then Givens elimination of the diagonal per iteration. */
function exactStepSolver(a: DenseMatrix): StepSolver {
  const m = a.rows, n = a.cols;
  const { q, r: r0, perm } = qrPivoted(a);
  const k = Math.min(m, n);
  return {
    async solve(r, d, diagRoot) {
      // R diag(d[perm]), padded to n x n when m < n
      const R = new DenseMatrix(n, n);
      for (let i = 0; i < k; i++) for (let j = i; j < n; j++) R.data[i * n + j] = r0.data[i * n + j] * d[perm[j]];
      const qtr = new Float64Array(n);
      qtr.set(q.rmatvec(r));
      const diag = new Float64Array(n);
      for (let j = 0; j < n; j++) diag[j] = diagRoot[perm[j]];
      return regularizedLsqWithQr(m, n, R, qtr, perm, diag);
    },
    dispose() {},
  };
}

/**
 * Solves [A; D] x ≈ [b; 0] given A P = Q R: the rows of D = diag(diag[perm]) are rotated
 * into R by Givens rotations (as MINPACK's qrsolv), then the triangle is solved on the
 * columns whose diagonal is above EPS · max(m, n) · max|diag R|.
 */
export function regularizedLsqWithQr(m: number, n: number, R: DenseMatrix, qtb: Float64Array, perm: Int32Array, diag: Float64Array): Float64Array {
  const v = Float64Array.from(qtb);
  givensElimination(R, v, diag);
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, Math.abs(R.data[i * n + i]));
  const threshold = EPS * Math.max(m, n) * maxDiag;
  const keep: number[] = [];
  for (let i = 0; i < n; i++) if (Math.abs(R.data[i * n + i]) > threshold) keep.push(i);
  const nk = keep.length;
  const Rk = new DenseMatrix(nk, nk);
  const vk = new Float64Array(nk);
  for (let a = 0; a < nk; a++) {
    vk[a] = v[keep[a]];
    for (let c = a; c < nk; c++) Rk.data[a * nk + c] = R.data[keep[a] * n + keep[c]];
  }
  const xk = nk > 0 ? solveUpperTriangular(Rk, vk) : new Float64Array(0);
  const x = new Float64Array(n);
  for (let a = 0; a < nk; a++) x[perm[keep[a]]] = xk[a];
  return x;
}

/** Rotates the rows diag(diag) into the upper-triangular R (n x n) in place, carrying v along. */
export function givensElimination(R: DenseMatrix, v: Float64Array, diag: Float64Array): void {
  const n = R.cols;
  const row = new Float64Array(n);
  const Rd = R.data;
  for (let i = 0; i < n; i++) {
    if (diag[i] === 0) continue;
    row.fill(0, i);
    row[i] = diag[i];
    let u = 0; // the right-hand side of the diagonal row is 0
    for (let j = i; j < n; j++) {
      if (row[j] === 0) continue;
      const [c, s, rr] = lartg(Rd[j * n + j], row[j]);
      Rd[j * n + j] = rr;
      row[j] = 0;
      for (let k = j + 1; k < n; k++) {
        const a = Rd[j * n + k], b = row[k];
        Rd[j * n + k] = c * a + s * b;
        row[k] = -s * a + c * b;
      }
      const a = v[j];
      v[j] = c * a + s * u;
      u = -s * a + c * u;
    }
  }
}

/** A plane rotation [c s; -s c] with [c s; -s c][f; g] = [r; 0] (LAPACK dlartg). */
function lartg(f: number, g: number): [number, number, number] {
  if (g === 0) return [1, 0, f];
  if (f === 0) return [0, 1, g];
  const r = Math.hypot(f, g);
  return [f / r, g / r, r];
}

/** The 'lsmr' solver: LSMR on [A diag(d); diag(diagRoot)] on the backend. */
function lsmrStepSolver(a: HostMatrix, opts: TrfLinearOptions): StepSolver {
  const { backend } = opts;
  const m = a.rows, n = a.cols;
  const dev = backend.matrix(a);
  const dVec = backend.vector(n);
  const rootVec = backend.vector(n);
  const rhs = backend.vector(m + n);
  const scaled = rightScaledOperator(backend, matrixOperator(backend, dev), dVec);
  const op = augmentedOperator(backend, scaled, rootVec);
  const aug = new Float64Array(m + n);
  const autoTol = opts.lsmrTol === 'auto';
  let tol = typeof opts.lsmrTol === 'number' ? opts.lsmrTol : 1e-2 * opts.tol;
  return {
    async solve(r, d, diagRoot, gNorm) {
      backend.write(dVec, d);
      backend.write(rootVec, diagRoot);
      aug.set(r);
      backend.write(rhs, aug);
      if (autoTol) {
        const eta = 1e-2 * Math.min(0.5, gNorm);
        tol = Math.max(EPS, Math.min(0.1, eta * gNorm));
      }
      const res = await lsmrCore(backend, op, rhs, { atol: tol, btol: tol, maxiter: opts.lsmrMaxiter, signal: opts.signal });
      try {
        return await backend.read(res.x);
      } finally {
        backend.release(res.x);
      }
    },
    dispose() {
      scaled.release?.();
      backend.release(dev, dVec, rootVec, rhs);
    },
  };
}

/** The best of the cut step, its reflection and the scaled anti-gradient (scipy's select_step). */
function selectStep(
  a: HostMatrix, x: Float64Array, gH: Float64Array, cH: Float64Array, p: Float64Array, pH: Float64Array,
  d: Float64Array, lb: Float64Array, ub: Float64Array, theta: number,
): Float64Array {
  const n = x.length;
  const xp = new Float64Array(n);
  for (let i = 0; i < n; i++) xp[i] = x[i] + p[i];
  if (inBounds(xp, lb, ub)) return p;

  const { step: pStride, hits } = stepSizeToBound(x, p, lb, ub);
  const rH = Float64Array.from(pH);
  for (let i = 0; i < n; i++) if (hits[i] !== 0) rH[i] = -rH[i];
  let rr = new Float64Array(n);
  for (let i = 0; i < n; i++) rr[i] = d[i] * rH[i];

  // Restrict the step so it ends on the bound, then reflect.
  for (let i = 0; i < n; i++) { p[i] *= pStride; pH[i] *= pStride; }
  const xOnBound = new Float64Array(n);
  for (let i = 0; i < n; i++) xOnBound[i] = x[i] + p[i];
  let rStrideU = stepSizeToBound(xOnBound, rr, lb, ub).step;
  const rStrideL = (1 - theta) * rStrideU;
  rStrideU *= theta;

  const Ah = (s: Float64Array) => { const t = new Float64Array(n); for (let i = 0; i < n; i++) t[i] = d[i] * s[i]; return a.matvec(t); };
  let rValue = Infinity;
  if (rStrideU > 0) {
    const q = buildQuadratic1d(Ah(rH), gH, rH, cH, pH, Ah(pH));
    const { t, value } = minimizeQuadratic1d(q.a, q.b, rStrideL, rStrideU, q.c);
    rValue = value;
    for (let i = 0; i < n; i++) { rH[i] = pH[i] + rH[i] * t; }
    rr = new Float64Array(n);
    for (let i = 0; i < n; i++) rr[i] = d[i] * rH[i];
  }

  // Pull the cut step strictly inside.
  for (let i = 0; i < n; i++) { pH[i] *= theta; p[i] *= theta; }
  const pValue = evaluateQuadratic(Ah(pH), gH, pH, cH);

  const agH = new Float64Array(n);
  for (let i = 0; i < n; i++) agH[i] = -gH[i];
  const ag = new Float64Array(n);
  for (let i = 0; i < n; i++) ag[i] = d[i] * agH[i];
  const agStrideU = stepSizeToBound(x, ag, lb, ub).step * theta;
  const qa = buildQuadratic1d(Ah(agH), gH, agH, cH);
  const { t: agStride, value: agValue } = minimizeQuadratic1d(qa.a, qa.b, 0, agStrideU);
  for (let i = 0; i < n; i++) ag[i] *= agStride;

  if (pValue < rValue && pValue < agValue) return p;
  if (rValue < pValue && rValue < agValue) return rr;
  return ag;
}

/** Halves alpha until the reflected step x + alpha p decreases the model enough (Armijo 0.1). */
function backtracking(
  a: HostMatrix, g: Float64Array, x: Float64Array, p: Float64Array, theta: number, pDotG: number,
  lb: Float64Array, ub: Float64Array,
): { x: Float64Array; step: Float64Array; costChange: number } {
  const n = x.length;
  let alpha = 1;
  const trial = (scale: number) => {
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) y[i] = x[i] + scale * p[i];
    return reflectiveTransformation(y, lb, ub).x;
  };
  let xNew: Float64Array, step: Float64Array, costChange: number;
  for (;;) {
    xNew = trial(alpha);
    step = new Float64Array(n);
    for (let i = 0; i < n; i++) step[i] = xNew[i] - x[i];
    costChange = -evaluateQuadratic(a.matvec(step), g, step);
    if (costChange > -0.1 * alpha * pDotG || alpha < 1e-20) break;
    alpha *= 0.5;
  }
  const active = findActiveConstraints(xNew, lb, ub);
  if (active.some((v) => v !== 0)) {
    xNew = makeStrictlyFeasible(trial(theta * alpha), lb, ub, 0);
    for (let i = 0; i < n; i++) step[i] = xNew[i] - x[i];
    costChange = -evaluateQuadratic(a.matvec(step), g, step);
  }
  // scipy returns the old x here (a slip); the new point is what the step was computed for.
  return { x: xNew, step, costChange };
}

