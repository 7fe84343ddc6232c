/**
 * The Trust Region Reflective driver of leastSquares, after scipy 1.17.1's _lsq/trf.py
 * (trf_bounds and trf_no_bounds in one loop: without bounds the Coleman–Li scaling is 1,
 * the reflective step selection is skipped and the 'exact' SVD / 'lsmr' damping work on
 * J_h alone, exactly as scipy's separate function does).
 *
 * Bounds are handled by the affine scaling of Branch, Coleman & Li ([STIR] in
 * tr-subproblem.ts): with v the Coleman–Li vector and D = diag(√v · xScale), the trust
 * region problem min ½ p_hᵀ(J_hᵀJ_h + C)p_h + g_hᵀp_h, ||p_h|| <= Δ is solved in the "hat"
 * variables p = D p_h, J_h = J D, g_h = D g, C = diag(g ∘ dv ∘ xScale); the step is then cut
 * at the bounds, reflected, or replaced by the scaled anti-gradient (select_step), and kept
 * strictly feasible (step back by θ). Subproblem solvers: 'exact' (one SVD per iteration,
 * Moré's LM parameter search with warm start), 'lsmr' (LSMR Gauss–Newton direction and
 * the 2-D subspace step) and 'cg' (Steihaug-CG on B_h = J_hᵀJ_h + C, matrix-free on the
 * backend).
 */
import type { Backend, DeviceMatrix, Vec } from '../backend/backend.js';
import { AbortError } from '../errors.js';
import { DenseMatrix } from '../linear/dense-matrix.js';
import { svd } from '../linear/dense.js';
import { lsmrCore } from '../linear/lsmr.js';
import { augmentedOperator, rightScaledOperator, type Operator } from '../linear/operators.js';
import { steihaugCgCore } from '../linear/steihaug-cg.js';
import { isUnbounded } from './bounds.js';
import {
  buildQuadratic1d, checkTermination, clScalingVector, dot, evaluateQuadratic, findActiveConstraints, makeStrictlyFeasible,
  norm, updateTrRadius,
} from './common.js';
import { negated, normInfProduct, product, sum } from './common.js';
import { computeGrad, computeJacScale, scaleColumns, scaleRows } from './jacobian.js';
import { robustScaling, type Loss } from './losses.js';
import { nonlinearHeader, nonlinearIterationLine } from './progress.js';
import {
  lsmrRegularization, projectModel, selectStep, solveLsqTrustRegion, solveSubspaceStep, subspaceBasis,
} from './tr-subproblem.js';
import type { DriverContext, DriverOutcome, IterationState, Jacobian } from './types.js';

/** The accepted iterate and what is derived from it. */
interface Iterate {
  x: Float64Array; fTrue: Float64Array; cost: number;
  /** Residuals, Jacobian and gradient as the model sees them (scaled for a robust loss). */
  f: Float64Array; J: Jacobian; g: Float64Array;
  scale: Float64Array; scaleInv: Float64Array;
}

/** One iteration's hat-space quantities. diagH is null without bounds. */
interface HatSpace {
  d: Float64Array; diagH: Float64Array | null; gH: Float64Array;
  /** d = 1 everywhere: J_h is J (and Jh below is J itself). */
  unitD: boolean;
  /** J_h = J diag(d) on the host (for the model values of select_step). */
  Jh: Jacobian;
}

/** The trust-region subproblem of one iteration: p_h for a radius. */
interface TrustRegionModel {
  step(delta: number): Promise<Float64Array>;
  /** A rejected trial moved the radius from `delta` to `next` (the LM parameter follows). */
  radiusChanged?(delta: number, next: number): void;
}

interface SubproblemSolver {
  prepare(it: Iterate, hat: HatSpace, delta: number): Promise<TrustRegionModel>;
  dispose(): void;
}

/** The outcome of one iteration's trial loop; delta is the radius it leaves. */
interface Trial {
  xNew: Float64Array; fNew: Float64Array; costNew: number;
  actualReduction: number; stepNorm: number; delta: number; status: 2 | 3 | 4 | null;
}

/**
 * Runs trf from ctx.x0 (strictly inside the bounds). nfev/njev are the evaluator's counts;
 * maxNfev null means scipy's 100 n. The result's jac and grad are the model's (row-scaled
 * for a robust loss), as scipy returns them.
 */
export async function trf(ctx: DriverContext): Promise<DriverOutcome> {
  const { evaluator, lb, ub } = ctx;
  const n = ctx.x0.length;
  const bounded = !isUnbounded(lb, ub);
  const maxNfev = ctx.maxNfev ?? 100 * n;
  const it = initialIterate(ctx);
  let delta = initialRadius(it, lb, ub);
  const solver = ctx.trSolver === 'exact' ? exactSolver() : krylovSolver(ctx, bounded, it.f.length, n);
  let status: DriverOutcome['status'] | null = null;
  let iteration = 0, gNorm = 0;
  let stepNorm: number | null = null, actualReduction: number | null = null;
  // Without bounds the Coleman–Li vector is v = 1, dv = 0 at every x (what
  // clScalingVector returns when no bound is finite), made once.
  const unbounded = bounded ? null : { v: new Float64Array(n).fill(1), dv: new Float64Array(n) };
  if (ctx.verbose === 2) ctx.log(nonlinearHeader());
  try {
    for (;;) {
      const { v, dv } = unbounded ?? clScalingVector(it.x, it.g, lb, ub);
      gNorm = normInfProduct(it.g, v);
      if (gNorm < ctx.gtol) status = 1;
      if (ctx.verbose === 2) ctx.log(nonlinearIterationLine(iteration, evaluator.nfev, it.cost, actualReduction, stepNorm, gNorm));
      if (status !== null || evaluator.nfev === maxNfev) break;

      const hat = hatSpace(it, v, dv, bounded);
      const model = await solver.prepare(it, hat, delta);
      // θ: how far a step cut at a bound stays back from it (scipy: max(0.995, 1 − ||v g||∞)).
      const theta = Math.max(0.995, 1 - gNorm);
      const trial = await trialLoop(ctx, it, hat, model, delta, theta, bounded, maxNfev);
      delta = trial.delta;
      status = trial.status;
      if (trial.actualReduction > 0) {
        stepNorm = trial.stepNorm;
        actualReduction = trial.actualReduction;
        await accept(ctx, it, trial);
      } else {
        stepNorm = actualReduction = 0;
      }
      iteration++;
      // As scipy, a stop by the callback keeps the optimality computed at the top of this iteration.
      if (ctx.callback && (await ctx.callback(iterationState(ctx, it, iteration, stepNorm, actualReduction))) === true) {
        status = -2;
        break;
      }
    }
  } finally {
    solver.dispose();
  }
  return {
    x: it.x, cost: it.cost, fun: it.fTrue, jac: it.J, grad: it.g, optimality: gNorm,
    activeMask: findActiveConstraints(it.x, lb, ub, ctx.xtol), nfev: evaluator.nfev, njev: evaluator.njev, status: status ?? 0,
  };
}

function initialIterate(ctx: DriverContext): Iterate {
  const { J, f, cost } = applyLoss(ctx.loss, ctx.J0, ctx.f0);
  const { scale, scaleInv } = ctx.xScale === 'jac' ? computeJacScale(J) : { scale: ctx.xScale, scaleInv: reciprocal(ctx.xScale) };
  return { x: Float64Array.from(ctx.x0), f, J, fTrue: Float64Array.from(ctx.f0), cost, g: computeGrad(J, f), scale, scaleInv };
}

/** scipy's scale_for_robust_loss_function: J̃ = diag(w) J, f̃ = ρ' f / w, and the cost ½ Σ ρ. */
function applyLoss(loss: Loss | null, J: Jacobian, f: Float64Array): { J: Jacobian; f: Float64Array; cost: number } {
  if (!loss) return { J, f, cost: 0.5 * dot(f, f) };
  const rho = loss.rho(f);
  const { weights, fScaled } = robustScaling(f, rho);
  let sum = 0;
  for (let i = 0; i < f.length; i++) sum += rho.rho0[i];
  return { J: scaleRows(J, weights), f: fScaled, cost: 0.5 * sum };
}

/** Coleman–Li components with dv ≠ 0 are distances in x; in the x_scale variables they are divided by the scale. */
function scaledClVector(v: Float64Array, dv: Float64Array, scaleInv: Float64Array): Float64Array {
  const out = new Float64Array(v.length);
  for (let i = 0; i < out.length; i++) out[i] = dv[i] !== 0 ? v[i] * scaleInv[i] : v[i];
  return out;
}

/** Δ₀ = ||x₀ / (xScale ∘ √v)|| (1 when x₀ = 0). */
function initialRadius(it: Iterate, lb: Float64Array, ub: Float64Array): number {
  const { v, dv } = clScalingVector(it.x, it.g, lb, ub);
  const vs = scaledClVector(v, dv, it.scaleInv);
  const delta = norm(scaledBySqrt(it.x, it.scaleInv, vs));
  return delta === 0 ? 1 : delta;
}

function hatSpace(it: Iterate, v: Float64Array, dv: Float64Array, bounded: boolean): HatSpace {
  // Without bounds dv = 0, and the scaled vector is v itself.
  const vs = bounded ? scaledClVector(v, dv, it.scaleInv) : v;
  const d = sqrtTimes(vs, it.scale);
  const diagH = bounded ? product3(it.g, dv, it.scale) : null;
  const gH = product(d, it.g);
  // J diag(d) is J itself, value for value, when d = 1 (xScale 1 and no bound in play).
  const unitD = allOnes(d);
  return { d, diagH, gH, unitD, Jh: unitD ? it.J : scaleColumns(it.J, d) };
}

/**
 * Trial steps until the cost decreases, a termination test passes or maxNfev is spent
 * (scipy's inner loop). A non-finite residual rejects the step and shrinks Δ to a quarter
 * of the step.
 */
async function trialLoop(
  ctx: DriverContext, it: Iterate, hat: HatSpace, model: TrustRegionModel, delta: number, theta: number,
  bounded: boolean, maxNfev: number,
): Promise<Trial> {
  const t: Trial = { xNew: it.x, fNew: it.fTrue, costNew: it.cost, actualReduction: -1, stepNorm: 0, delta, status: null };
  while (t.actualReduction <= 0 && ctx.evaluator.nfev < maxNfev) {
    const pH = await model.step(t.delta);
    const p = hat.unitD ? pH : product(pH, hat.d);
    const sel = bounded
      ? selectStep(it.x, hat.Jh, hat.diagH, hat.gH, p, pH, hat.d, t.delta, ctx.lb, ctx.ub, theta)
      : { step: p, stepH: pH, predicted: -evaluateQuadratic(hat.Jh.matvec(pH), hat.gH, pH) };
    const xPlus = sum(it.x, sel.step);
    t.xNew = bounded ? makeStrictlyFeasible(xPlus, ctx.lb, ctx.ub, 0) : xPlus;
    t.fNew = await evaluateFun(ctx, t.xNew, it.x);
    const stepHNorm = norm(sel.stepH);
    if (!allFinite(t.fNew)) {
      t.delta = 0.25 * stepHNorm;
      continue;
    }
    t.costNew = ctx.loss ? ctx.loss.cost(t.fNew) : 0.5 * dot(t.fNew, t.fNew);
    t.actualReduction = it.cost - t.costNew;
    const upd = updateTrRadius(t.delta, t.actualReduction, sel.predicted, stepHNorm, stepHNorm > 0.95 * t.delta);
    t.stepNorm = norm(sel.step);
    t.status = checkTermination(t.actualReduction, it.cost, t.stepNorm, norm(it.x), upd.ratio, ctx.ftol, ctx.xtol);
    if (t.status !== null) break;
    model.radiusChanged?.(t.delta, upd.delta);
    t.delta = upd.delta;
  }
  return t;
}

/** Moves to the trial point and evaluates the Jacobian there. */
async function accept(ctx: DriverContext, it: Iterate, t: Trial): Promise<void> {
  it.x = t.xNew;
  it.fTrue = t.fNew;
  it.cost = t.costNew;
  if (ctx.signal?.aborted) throw abortError(it.x, ctx.signal.reason);
  const scaledProblem = applyLoss(ctx.loss, await ctx.evaluator.jac(it.x, it.fTrue), it.fTrue);
  it.J = scaledProblem.J;
  it.f = scaledProblem.f;
  it.g = computeGrad(it.J, it.f);
  if (ctx.xScale === 'jac') ({ scale: it.scale, scaleInv: it.scaleInv } = computeJacScale(it.J, it.scaleInv));
}

function abortError(x: Float64Array, cause?: unknown): AbortError {
  return new AbortError('leastSquares (trf) was aborted', Float64Array.from(x), cause);
}

async function evaluateFun(ctx: DriverContext, x: Float64Array, lastAccepted: Float64Array): Promise<Float64Array> {
  if (ctx.signal?.aborted) throw abortError(lastAccepted, ctx.signal.reason);
  return ctx.evaluator.fun(x);
}

function iterationState(ctx: DriverContext, it: Iterate, iteration: number, stepNorm: number, costReduction: number): IterationState {
  const { v } = clScalingVector(it.x, it.g, ctx.lb, ctx.ub);
  return {
    iteration, x: Float64Array.from(it.x), cost: it.cost, fun: Float64Array.from(it.fTrue), grad: Float64Array.from(it.g),
    optimality: normInfProduct(it.g, v), nfev: ctx.evaluator.nfev, njev: ctx.evaluator.njev,
    stepNorm, costReduction,
  };
}

// ---------------------------------------------------------------------------------------
// Subproblem solvers

/**
 * 'exact': the SVD of J_h (with bounds, of [J_h; diag(√C)], scipy's J_augmented) and
 * Moré's search for the LM parameter α, warm-started from the previous α.
 */
function exactSolver(): SubproblemSolver {
  let alpha = 0;
  return {
    async prepare(it, hat) {
      const { Jh, diagH } = hat;
      if (!(Jh instanceof DenseMatrix)) throw new TypeError("trf: trSolver 'exact' needs a DenseMatrix Jacobian");
      const m = Jh.rows, n = Jh.cols;
      let A = Jh;
      if (diagH) {
        A = new DenseMatrix(m + n, n);
        A.data.set(Jh.data);
        for (let j = 0; j < n; j++) A.data[(m + j) * n + j] = Math.sqrt(diagH[j]);
      }
      const { u, s, vt } = svd(A);
      // Uᵀ [f; 0]: only the first m rows of U meet a non-zero.
      const k = s.length, uf = new Float64Array(k);
      for (let r = 0; r < m; r++) for (let i = 0; i < k; i++) uf[i] += u.data[r * k + i] * it.f[r];
      return {
        async step(delta) {
          const res = solveLsqTrustRegion(n, m, uf, s, vt, delta, alpha);
          alpha = res.alpha;
          return res.p;
        },
        radiusChanged(delta, next) {
          alpha *= delta / next;
        },
      };
    },
    dispose() {},
  };
}

/**
 * 'lsmr' and 'cg' on ctx.backend. The operators are built once, over the iterate's J
 * (uploaded again only when J changes) and device copies of d, C (or √(C + reg)) and g_h.
 */
function krylovSolver(ctx: DriverContext, bounded: boolean, m: number, n: number): SubproblemSolver {
  const { backend, signal } = ctx;
  let device: DeviceMatrix | null = null, uploaded: Jacobian | null = null;
  const deviceJ = () => {
    if (!device) throw new Error('trf: no Jacobian uploaded');
    return device;
  };
  const jOp: Operator = { rows: m, cols: n, apply: (x, y) => backend.matvec(deviceJ(), x, y), applyT: (y, x) => backend.rmatvec(deviceJ(), y, x) };
  const dVec = backend.vector(n), diagVec = backend.vector(n), gVec = backend.vector(n), tmp = backend.vector(m);
  const rhs = backend.vector(bounded ? m + n : m);
  const rhsValues = new Float64Array(rhs.length); // [f; 0]: the tail stays zero
  const jh = rightScaledOperator(backend, jOp, dVec);
  // 'lsmr' with bounds: [J_h; diag(√(C + reg))] against [f; 0] (scipy's regularized_lsq_operator).
  const augmented = augmentedOperator(backend, jh, diagVec);
  // When d = 1, J_h is J: the products skip the two multiplications by d (x · 1 = x
  // exactly, so the iterates are the same).
  const augmentedJ = augmentedOperator(backend, jOp, diagVec);
  let unitD = false;
  // 'cg': B_h = J_hᵀJ_h + C, matrix-free (symmetric, so applyT = apply).
  const applyB = (x: Vec, y: Vec) => {
    const op = unitD ? jOp : jh;
    op.apply(x, tmp);
    op.applyT(tmp, y);
    if (bounded) backend.mul(diagVec, x, y, 1);
  };
  const bOp: Operator = { rows: n, cols: n, apply: applyB, applyT: applyB };
  const { regularize = true, atol, btol, conlim, maxiter } = ctx.trOptions;
  const lsmrOptions = {
    ...(atol !== undefined && { atol }), ...(btol !== undefined && { btol }), ...(conlim !== undefined && { conlim }),
    ...(maxiter !== undefined && { maxiter }), signal,
  };

  return {
    async prepare(it, hat, delta) {
      if (it.J !== uploaded) {
        if (device) backend.release(device);
        device = backend.matrix(it.J);
        uploaded = it.J;
      }
      backend.write(dVec, hat.d);
      unitD = hat.unitD;
      if (ctx.trSolver === 'cg') {
        if (hat.diagH) backend.write(diagVec, hat.diagH);
        backend.write(gVec, hat.gH);
        const cgOptions = { tol: cgTolerance(norm(hat.gH), atol), maxiter: maxiter ?? n, signal };
        return {
          async step(radius) {
            if (!(radius > 0)) return new Float64Array(n);
            const res = await withAbort(it.x, () => steihaugCgCore(backend, bOp, gVec, radius, cgOptions));
            return readAndRelease(backend, res.step);
          },
        };
      }
      let reg = 0;
      if (regularize) {
        const agH = negated(hat.gH);
        const { a, b } = buildQuadratic1d(hat.Jh.matvec(agH), hat.gH, agH, hat.diagH);
        reg = lsmrRegularization(a, b, norm(hat.gH), delta);
      }
      rhsValues.set(it.f);
      backend.write(rhs, rhsValues);
      if (hat.diagH) backend.write(diagVec, sqrtShifted(hat.diagH, reg));
      // Without bounds scipy damps LSMR instead of augmenting J_h (the same problem, other rounding).
      const res = await withAbort(it.x, () =>
        hat.diagH
          ? lsmrCore(backend, unitD ? augmentedJ : augmented, rhs, lsmrOptions)
          : lsmrCore(backend, unitD ? jOp : jh, rhs, { ...lsmrOptions, damp: Math.sqrt(reg) }));
      const gnH = await readAndRelease(backend, res.x);
      const S = subspaceBasis(hat.gH, gnH);
      const { B, g } = projectModel(S, S.map((s) => hat.Jh.matvec(s)), hat.gH, hat.diagH);
      return { step: async (radius) => solveSubspaceStep(S, B, g, radius) };
    },
    dispose() {
      if (device) backend.release(device);
      jh.release?.();
      backend.release(dVec, diagVec, gVec, tmp, rhs);
    },
  };
}

/**
 * CG stops at ||g_h + B_h p|| <= atol ||g_h|| (trOptions.atol, default 1e-6 as LSMR's). A
 * near-exact inner solve, not the inexact-Newton forcing term min(0.5, √||g_h||) of
 * trust-ncg: every extra outer iteration costs the user a fun and a jac evaluation, and on
 * scipy's large test set the loose term needed 30-150% more of them.
 */
function cgTolerance(gNorm: number, atol = 1e-6): number {
  return atol * gNorm;
}

/** Runs a backend solve, re-throwing its AbortError with the last accepted x. */
async function withAbort<T>(x: Float64Array, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw err instanceof AbortError ? abortError(x, err) : err;
  }
}

async function readAndRelease(backend: Backend, v: Vec): Promise<Float64Array> {
  try {
    return await backend.read(v);
  } finally {
    backend.release(v);
  }
}

// ---------------------------------------------------------------------------------------
// Elementwise helpers: plain loops, not TypedArray.prototype.map / every, which cost
// 15-20x a loop in V8 at n = 10^4 (same values, entry by entry). Each loop is a function
// of its own: a function that is called once per iteration but holds a 10^4-trip loop is
// compiled on stack at the loop and then deoptimized on the cold code after it, every call.

/** √a ∘ b */
const sqrtTimes = (a: Float64Array, b: Float64Array): Float64Array => {
  const out = new Float64Array(a.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.sqrt(a[i]) * b[i];
  return out;
};

/** a ∘ b ∘ c, multiplied left to right */
const product3 = (a: Float64Array, b: Float64Array, c: Float64Array): Float64Array => {
  const out = new Float64Array(a.length);
  for (let i = 0; i < out.length; i++) out[i] = a[i] * b[i] * c[i];
  return out;
};

/** (a ∘ b) / √c */
const scaledBySqrt = (a: Float64Array, b: Float64Array, c: Float64Array): Float64Array => {
  const out = new Float64Array(a.length);
  for (let i = 0; i < out.length; i++) out[i] = (a[i] * b[i]) / Math.sqrt(c[i]);
  return out;
};

/** √(a + t) */
const sqrtShifted = (a: Float64Array, t: number): Float64Array => {
  const out = new Float64Array(a.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.sqrt(a[i] + t);
  return out;
};

const reciprocal = (a: Float64Array): Float64Array => {
  const out = new Float64Array(a.length);
  for (let i = 0; i < out.length; i++) out[i] = 1 / a[i];
  return out;
};





const allOnes = (a: Float64Array): boolean => {
  for (let i = 0; i < a.length; i++) if (a[i] !== 1) return false;
  return true;
};

const allFinite = (a: Float64Array): boolean => {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
};
