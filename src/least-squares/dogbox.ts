/**
 * The 'dogbox' driver of leastSquares, after scipy 1.17.1's _lsq/dogbox.py: dogleg steps
 * in a rectangular trust region (C. Voglis and I. E. Lagaris, "A Rectangular Trust Region
 * Dogleg Approach for Unconstrained and Bound Constrained Nonlinear Optimization", WSEAS
 * 2004). The box ‖D⁻¹ s‖∞ <= Δ intersected with the bounds is again a box, on which the
 * dogleg path (Nocedal & Wright, Numerical Optimization, §4.1) is followed as far as it
 * stays feasible. Variables sitting on a bound with the anti-gradient pointing out of the
 * feasible region already satisfy the first-order conditions and are frozen for the step.
 */
import { AbortError, InvalidArgumentError } from '../errors.js';
import { CsrMatrix, trustedCsr } from '../sparse/csr.js';
import { DenseMatrix } from '../linear/dense-matrix.js';
import type { LinearOperator } from '../linear/operator.js';
import { lstsq } from '../linear/dense.js';
import { lsmr } from '../linear/lsmr.js';
import {
  EPS, buildQuadratic1d, checkTermination, evaluateQuadratic, inBounds, minimizeQuadratic1d, norm, normInf,
  stepSizeToBound, updateTrRadius,
} from './common.js';
import { normInfProduct, scaled } from './common.js';
import { computeGrad, computeJacScale, scaleRows } from './jacobian.js';
import { robustScaling, type Loss } from './losses.js';
import { nonlinearHeader, nonlinearIterationLine } from './progress.js';
import type { DriverContext, DriverOutcome, IterationState, Jacobian } from './types.js';

/** The accepted iterate and everything derived from it. */
interface State {
  x: Float64Array;
  /** Residuals as the model sees them (scaled for a robust loss). */
  f: Float64Array;
  fTrue: Float64Array;
  /** Jacobian as the model sees them (rows scaled for a robust loss). */
  J: Jacobian;
  cost: number;
  g: Float64Array;
  scale: Float64Array;
  scaleInv: Float64Array;
  delta: number;
  /** -1 on the lower bound, 1 on the upper bound, 0 elsewhere. */
  onBound: Int8Array;
}

/** The outcome of one trust-region iteration's trial loop. */
interface Trial {
  xNew: Float64Array;
  fNew: Float64Array;
  costNew: number;
  onBoundFree: Int8Array;
  actualReduction: number;
  stepNorm: number;
  status: 2 | 3 | 4 | null;
}

export async function dogbox(ctx: DriverContext): Promise<DriverOutcome> {
  const { evaluator, gtol } = ctx;
  const n = ctx.x0.length;
  const maxNfev = ctx.maxNfev ?? 100 * n;
  const s = initialState(ctx);
  let status: DriverOutcome['status'] | null = null;
  let iteration = 0;
  let stepNorm: number | null = null;
  let actualReduction: number | null = null;
  let gFull = s.g, gNorm = 0;
  if (ctx.verbose === 2) ctx.log(nonlinearHeader());

  for (;;) {
    const free = freeIndices(s.onBound, s.g);
    // As scipy, g itself loses its frozen components (it is what a rejected step leaves
    // for the next iteration and the result); grad reports the copy taken before.
    gFull = s.g.slice();
    zeroFrozen(s.g, s.onBound);
    const gActiveZeroed = s.g;
    gNorm = normInf(gActiveZeroed);
    if (gNorm < gtol) status = 1;
    if (ctx.verbose === 2) ctx.log(nonlinearIterationLine(iteration, evaluator.nfev, s.cost, actualReduction, stepNorm, gNorm));
    if (status !== null || evaluator.nfev === maxNfev) break;

    const newton = await gaussNewtonStep(ctx, s, free);
    // The quadratic model along −g (for the Cauchy point), with the frozen components of g zeroed.
    const Jg = s.J.matvec(negate(gActiveZeroed));
    const { a, b } = buildQuadratic1d(Jg, gActiveZeroed, negate(gActiveZeroed));
    const trial = await trialLoop(ctx, s, free, newton, gActiveZeroed, a, b, maxNfev);
    status = trial.status;
    stepNorm = trial.stepNorm;
    actualReduction = trial.actualReduction;
    if (trial.actualReduction > 0) await accept(ctx, s, free, trial);
    else stepNorm = actualReduction = 0;
    iteration++;

    if (ctx.callback && (await ctx.callback(iterationState(ctx, s, iteration, stepNorm, actualReduction))) === true) {
      // As scipy: grad and optimality stay those computed at the top of this iteration.
      status = -2;
      break;
    }
  }
  return {
    x: s.x, cost: s.cost, fun: s.fTrue, jac: s.J, grad: gFull, optimality: gNorm, activeMask: s.onBound,
    nfev: evaluator.nfev, njev: evaluator.njev, status: status ?? 0,
  };
}

function initialState(ctx: DriverContext): State {
  const { x0, lb, ub } = ctx;
  const { J, f, cost } = applyLoss(ctx.loss, ctx.J0, ctx.f0);
  const { scale, scaleInv } = ctx.xScale === 'jac' ? computeJacScale(J) : { scale: ctx.xScale, scaleInv: reciprocal(ctx.xScale) };
  let delta = 0;
  for (let i = 0; i < x0.length; i++) delta = Math.max(delta, Math.abs(x0[i] * scaleInv[i]));
  const onBound = new Int8Array(x0.length);
  for (let i = 0; i < x0.length; i++) onBound[i] = x0[i] === lb[i] ? -1 : x0[i] === ub[i] ? 1 : 0;
  return {
    x: Float64Array.from(x0), f, fTrue: Float64Array.from(ctx.f0), J, cost, g: computeGrad(J, f),
    scale, scaleInv, delta: delta === 0 ? 1 : delta, onBound,
  };
}

/** scipy's scale_for_robust_loss_function: J̃ = diag(w) J, f̃ = ρ' f / w, and the cost ½ Σ ρ. */
function applyLoss(loss: Loss | null, J: Jacobian, f: Float64Array): { J: Jacobian; f: Float64Array; cost: number } {
  if (!loss) return { J, f, cost: 0.5 * norm(f) ** 2 };
  const rho = loss.rho(f);
  const { weights, fScaled } = robustScaling(f, rho);
  let cost = 0;
  for (let i = 0; i < f.length; i++) cost += rho.rho0[i];
  return { J: scaleRows(J, weights), f: fScaled, cost: 0.5 * cost };
}

/** A variable is frozen when it sits on a bound and −g points outside (on_bound · g < 0). */
function freeIndices(onBound: Int8Array, g: Float64Array): Int32Array {
  let count = 0;
  for (let i = 0; i < g.length; i++) if (!(onBound[i] * g[i] < 0)) count++;
  const idx = new Int32Array(count);
  for (let i = 0, k = 0; i < g.length; i++) if (!(onBound[i] * g[i] < 0)) idx[k++] = i;
  return idx;
}

function zeroActive(g: Float64Array, onBound: Int8Array): Float64Array {
  const out = g.slice();
  zeroFrozen(out, onBound);
  return out;
}

// Elementwise helpers: plain loops in functions of their own (TypedArray.prototype.map
// and Float64Array.from with a mapping function cost 15-60x a loop in V8 at n = 10^4; and
// a long loop inline in a function called once per iteration gets that function compiled
// on stack and deoptimized after the loop). Same values, entry by entry.

/** g_i = 0 where on_bound_i · g_i < 0 */
function zeroFrozen(g: Float64Array, onBound: Int8Array): void {
  for (let i = 0; i < g.length; i++) if (onBound[i] * g[i] < 0) g[i] = 0;
}

const negate = (v: Float64Array): Float64Array => {
  const out = new Float64Array(v.length);
  for (let i = 0; i < out.length; i++) out[i] = -v[i];
  return out;
};

const reciprocal = (v: Float64Array): Float64Array => {
  const out = new Float64Array(v.length);
  for (let i = 0; i < out.length; i++) out[i] = 1 / v[i];
  return out;
};


/** −a ∘ b */
const negatedProduct = (a: Float64Array, b: Float64Array): Float64Array => {
  const out = new Float64Array(a.length);
  for (let i = 0; i < out.length; i++) out[i] = -a[i] * b[i];
  return out;
};

/** a − b */
const difference = (a: Float64Array, b: Float64Array): Float64Array => {
  const out = new Float64Array(a.length);
  for (let i = 0; i < out.length; i++) out[i] = a[i] - b[i];
  return out;
};

/** a + t b */
const plusScaled = (a: Float64Array, t: number, b: Float64Array): Float64Array => {
  const out = new Float64Array(a.length);
  for (let i = 0; i < out.length; i++) out[i] = a[i] + t * b[i];
  return out;
};


/** min(max(x + step, lb), ub) */
const clippedSum = (x: Float64Array, step: Float64Array, lb: Float64Array, ub: Float64Array): Float64Array => {
  const out = new Float64Array(x.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.min(Math.max(x[i] + step[i], lb[i]), ub[i]);
  return out;
};

const allFinite = (a: Float64Array): boolean => {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
};

const gather = (v: ArrayLike<number>, idx: Int32Array): Float64Array => {
  const out = new Float64Array(idx.length);
  for (let k = 0; k < out.length; k++) out[k] = v[idx[k]];
  return out;
};

function scatter(vFree: Float64Array, idx: Int32Array, n: number): Float64Array {
  const v = new Float64Array(n);
  for (let k = 0; k < idx.length; k++) v[idx[k]] = vFree[k];
  return v;
}

/**
 * The Gauss–Newton step of the free variables: min ‖J_free p + f‖. 'exact' solves it by
 * SVD (numpy's lstsq with rcond = eps, as scipy); 'lsmr' in the scaled variables p = D q
 * (scipy: "from experience it's better this way"). 'cg' also runs LSMR: this direction is
 * a plain least-squares solve, not a trust-region subproblem that Steihaug-CG would fit.
 */
async function gaussNewtonStep(ctx: DriverContext, s: State, free: Int32Array): Promise<Float64Array> {
  if (free.length === 0) return new Float64Array(0);
  if (ctx.trSolver === 'exact') {
    if (!(s.J instanceof DenseMatrix)) throw new TypeError("dogbox: trSolver 'exact' needs a DenseMatrix Jacobian");
    const minusF = negate(s.f);
    return lstsq(denseColumns(s.J, free, null), minusF, EPS).x;
  }
  const scaleFree = gather(s.scale, free);
  const { atol, btol, conlim, maxiter } = ctx.trOptions;
  const options = {
    ...(atol !== undefined && { atol }), ...(btol !== undefined && { btol }), ...(conlim !== undefined && { conlim }),
    // scipy's default limit is min(m, n) of the full operator, whatever the free set.
    maxiter: maxiter ?? Math.min(s.J.rows, s.J.cols),
    signal: ctx.signal, backend: ctx.backend,
  };
  let q: Float64Array;
  try {
    q = (await lsmr(restrictColumns(s.J, free, scaleFree), s.f, options)).x;
  } catch (err) {
    if (err instanceof AbortError) throw new AbortError('leastSquares (dogbox) was aborted', Float64Array.from(s.x), err);
    throw err;
  }
  return negatedProduct(q, scaleFree);
}

function denseColumns(J: DenseMatrix, idx: Int32Array, d: Float64Array | null): DenseMatrix {
  const n = J.cols, nFree = idx.length;
  const out = new Float64Array(J.rows * nFree);
  for (let i = 0; i < J.rows; i++) for (let k = 0; k < nFree; k++) out[i * nFree + k] = J.data[i * n + idx[k]] * (d ? d[k] : 1);
  return new DenseMatrix(J.rows, nFree, out);
}

/** J[:, idx] · diag(d) (d = null: 1), of the same kind as J, never densifying a sparse J. */
function restrictColumns(J: Jacobian, idx: Int32Array, d: Float64Array | null): Jacobian {
  const n = J.cols, nFree = idx.length;
  if (J instanceof DenseMatrix) return denseColumns(J, idx, d);
  if (J instanceof CsrMatrix) return restrictCsrColumns(J, idx, d);
  const op: LinearOperator = J;
  const dd = d ?? new Float64Array(nFree).fill(1);
  return {
    rows: op.rows, cols: nFree,
    matvec: (v: Float64Array) => op.matvec(scatter(v.map((x, k) => x * dd[k]), idx, n)),
    rmatvec: (y: Float64Array) => gather(op.rmatvec(y), idx).map((x, k) => x * dd[k]),
  };
}

/**
 * J[:, idx] · diag(d) for a CSR J (idx ascending, as freeIndices makes it), in typed
 * arrays. With every column free it keeps J's structure arrays and only scales the values
 * (the same products as the general case); otherwise it counts, then fills.
 */
function restrictCsrColumns(J: CsrMatrix, idx: Int32Array, d: Float64Array | null): CsrMatrix {
  const n = J.cols, nFree = idx.length;
  const { indptr: ip, indices: ix, data: dt } = J;
  let identity = nFree === n;
  for (let k = 0; identity && k < nFree; k++) identity = idx[k] === k;
  if (identity) {
    const data = new Float64Array(dt.length);
    for (let p = 0; p < data.length; p++) data[p] = dt[p] * (d ? d[ix[p]] : 1);
    checkFiniteValues(data);
    return trustedCsr(J.rows, nFree, ip, ix, data);
  }
  const position = new Int32Array(n).fill(-1);
  for (let k = 0; k < nFree; k++) position[idx[k]] = k;
  const indptr = new Int32Array(J.rows + 1);
  for (let i = 0, count = 0; i < J.rows; i++) {
    for (let p = ip[i]; p < ip[i + 1]; p++) if (position[ix[p]] >= 0) count++;
    indptr[i + 1] = count;
  }
  const indices = new Int32Array(indptr[J.rows]), data = new Float64Array(indptr[J.rows]);
  for (let i = 0, q = 0; i < J.rows; i++) {
    for (let p = ip[i]; p < ip[i + 1]; p++) {
      const k = position[ix[p]];
      if (k >= 0) { indices[q] = k; data[q] = dt[p] * (d ? d[k] : 1); q++; }
    }
  }
  checkFiniteValues(data);
  return trustedCsr(J.rows, nFree, indptr, indices, data);
}

/** The CsrMatrix constructor's report of a non-finite value (a product may overflow). */
function checkFiniteValues(data: Float64Array): void {
  for (let k = 0; k < data.length; k++) {
    if (!Number.isFinite(data[k])) throw new InvalidArgumentError('data', 'finite values', `data[${k}] = ${data[k]}`);
  }
}

/**
 * Trial steps until the cost decreases, a termination test passes or maxNfev is spent
 * (scipy's inner loop). A non-finite residual rejects the step and shrinks Δ to a quarter
 * of the step.
 */
async function trialLoop(
  ctx: DriverContext, s: State, free: Int32Array, newton: Float64Array, g: Float64Array, a: number, b: number, maxNfev: number,
): Promise<Trial> {
  const n = s.x.length;
  const xFree = gather(s.x, free), lbFree = gather(ctx.lb, free), ubFree = gather(ctx.ub, free);
  const gFree = gather(g, free), scaleFree = gather(s.scale, free);
  const t: Trial = { xNew: s.x, fNew: s.f, costNew: s.cost, onBoundFree: new Int8Array(free.length), actualReduction: -1, stepNorm: 0, status: null };
  while (t.actualReduction <= 0 && ctx.evaluator.nfev < maxNfev) {
    const trBounds = scaled(scaleFree, s.delta);
    const dl = doglegStep(xFree, newton, gFree, a, b, trBounds, lbFree, ubFree);
    t.onBoundFree = dl.boundHits;
    const step = scatter(dl.step, free, n);
    const predictedReduction = -evaluateQuadratic(s.J.matvec(step), g, step);
    // gh-11403: clip so that rounding never leaves the box.
    t.xNew = clippedSum(s.x, step, ctx.lb, ctx.ub);
    t.fNew = await evaluateFun(ctx, t.xNew, s.x);
    const stepHNorm = normInfProduct(step, s.scaleInv);
    if (!allFinite(t.fNew)) {
      s.delta = 0.25 * stepHNorm;
      continue;
    }
    t.costNew = ctx.loss ? ctx.loss.cost(t.fNew) : 0.5 * norm(t.fNew) ** 2;
    t.actualReduction = s.cost - t.costNew;
    const upd = radiusUpdate(s.delta, t.actualReduction, predictedReduction, stepHNorm, dl.trHit);
    s.delta = upd.delta;
    t.stepNorm = norm(step);
    t.status = checkTermination(t.actualReduction, s.cost, t.stepNorm, norm(s.x), upd.ratio, ctx.ftol, ctx.xtol);
    if (t.status !== null) break;
  }
  return t;
}

/**
 * scipy's update_tr_radius, including its case predicted = actual = 0 → ratio 1 (a zero
 * step that changes nothing counts as a perfect model), which common.ts's helper lacks.
 */
function radiusUpdate(delta: number, actual: number, predicted: number, stepNorm: number, boundHit: boolean): { delta: number; ratio: number } {
  if (predicted === 0 && actual === 0) return { delta: boundHit ? 2 * delta : delta, ratio: 1 };
  return updateTrRadius(delta, actual, predicted, stepNorm, boundHit);
}

/**
 * The box [lb − x, ub − x] ∩ [−Δd, Δd] around x, and which side of it comes from the
 * original bounds (orig) or from the trust region (tr) — scipy's find_intersection.
 */
export function findIntersection(x: Float64Array, trBounds: Float64Array, lb: Float64Array, ub: Float64Array) {
  const n = x.length;
  const lbTotal = new Float64Array(n), ubTotal = new Float64Array(n);
  const origL = new Array<boolean>(n), origU = new Array<boolean>(n), trL = new Array<boolean>(n), trU = new Array<boolean>(n);
  for (let i = 0; i < n; i++) {
    const lc = lb[i] - x[i], uc = ub[i] - x[i];
    lbTotal[i] = Math.max(lc, -trBounds[i]);
    ubTotal[i] = Math.min(uc, trBounds[i]);
    origL[i] = lbTotal[i] === lc; origU[i] = ubTotal[i] === uc;
    trL[i] = lbTotal[i] === -trBounds[i]; trU[i] = ubTotal[i] === trBounds[i];
  }
  return { lbTotal, ubTotal, origL, origU, trL, trU };
}

/**
 * The dogleg step in the box: the Gauss–Newton step when it fits; else from the (box-
 * constrained) Cauchy point towards the Newton step until a face is hit. boundHits marks
 * original bounds reached; trHit says whether a trust-region face was.
 */
export function doglegStep(
  x: Float64Array, newton: Float64Array, g: Float64Array, a: number, b: number,
  trBounds: Float64Array, lb: Float64Array, ub: Float64Array,
): { step: Float64Array; boundHits: Int8Array; trHit: boolean } {
  const n = x.length;
  const { lbTotal, ubTotal, origL, origU, trL, trU } = findIntersection(x, trBounds, lb, ub);
  const boundHits = new Int8Array(n);
  if (inBounds(newton, lbTotal, ubTotal)) return { step: newton, boundHits, trHit: false };
  // In a box, a Cauchy point cut by the box can still be improved towards the Newton
  // point, so both classical cases are treated alike (scipy's comment).
  const toBounds = stepSizeToBound(new Float64Array(n), negate(g), lbTotal, ubTotal).step;
  const tc = minimizeQuadratic1d(a, b, 0, toBounds).t;
  const cauchy = scaled(g, -tc);
  const diff = difference(newton, cauchy);
  const { step: t, hits } = stepSizeToBound(cauchy, diff, lbTotal, ubTotal);
  let trHit = false;
  for (let i = 0; i < n; i++) {
    if (hits[i] < 0 && origL[i]) boundHits[i] = -1;
    if (hits[i] > 0 && origU[i]) boundHits[i] = 1;
    if ((hits[i] < 0 && trL[i]) || (hits[i] > 0 && trU[i])) trHit = true;
  }
  return { step: plusScaled(cauchy, t, diff), boundHits, trHit };
}

/** Moves to the trial point, snapping variables that hit a bound exactly onto it. */
async function accept(ctx: DriverContext, s: State, free: Int32Array, t: Trial): Promise<void> {
  for (let k = 0; k < free.length; k++) s.onBound[free[k]] = t.onBoundFree[k];
  s.x = t.xNew;
  for (let i = 0; i < s.x.length; i++) {
    if (s.onBound[i] === -1) s.x[i] = ctx.lb[i];
    else if (s.onBound[i] === 1) s.x[i] = ctx.ub[i];
    // A variable the step left a rounding error from a bound is on that bound. scipy marks
    // only the faces the dogleg reports; an unmarked variable 1 ulp inside its bound pins
    // its side of the box to zero width and the iteration stalls with zero steps (MGH
    // extended Powell with Gay's bounds: scipy stops at cost 7.3e-4, this reaches 2.8e-4).
    else if (Number.isFinite(ctx.lb[i]) && s.x[i] - ctx.lb[i] <= EPS * Math.max(1, Math.abs(ctx.lb[i]))) s.onBound[i] = -1;
    else if (Number.isFinite(ctx.ub[i]) && ctx.ub[i] - s.x[i] <= EPS * Math.max(1, Math.abs(ctx.ub[i]))) s.onBound[i] = 1;
  }
  s.fTrue = t.fNew;
  s.cost = t.costNew;
  if (ctx.signal?.aborted) throw new AbortError('leastSquares (dogbox) was aborted', Float64Array.from(s.x), ctx.signal.reason);
  const scaled = applyLoss(ctx.loss, await ctx.evaluator.jac(s.x, s.fTrue), s.fTrue);
  s.J = scaled.J;
  s.f = scaled.f;
  s.g = computeGrad(s.J, s.f);
  if (ctx.xScale === 'jac') ({ scale: s.scale, scaleInv: s.scaleInv } = computeJacScale(s.J, s.scaleInv));
}

async function evaluateFun(ctx: DriverContext, x: Float64Array, lastAccepted: Float64Array): Promise<Float64Array> {
  if (ctx.signal?.aborted) throw new AbortError('leastSquares (dogbox) was aborted', Float64Array.from(lastAccepted), ctx.signal.reason);
  return ctx.evaluator.fun(x);
}

/**
 * What the callback sees after an iteration. scipy passes cost_new, the last trial's cost
 * even when rejected; here cost is the accepted point's, consistent with x.
 */
function iterationState(ctx: DriverContext, s: State, iteration: number, stepNorm: number, costReduction: number): IterationState {
  const grad = Float64Array.from(s.g);
  return {
    iteration, x: Float64Array.from(s.x), cost: s.cost, fun: Float64Array.from(s.fTrue), grad,
    optimality: normInf(zeroActive(grad, s.onBound)), nfev: ctx.evaluator.nfev, njev: ctx.evaluator.njev,
    stepNorm, costReduction,
  };
}
