/**
 * leastSquares: nonlinear least squares with bounds, scipy.optimize.least_squares's
 * semantics (camelCased, async).
 *
 *     minimize F(x) = ½ Σ ρ(fᵢ(x)²)  subject to  lb <= x <= ub
 *
 * This module is the front end: it validates every option before any work, wraps the
 * user's fun and jac in a counting, checking evaluator, picks the Jacobian kind and the
 * trust-region solver, runs one of the drivers (trf, dogbox, lm) and assembles the result.
 */
import { CsrMatrix } from '../sparse/csr.js';
import { DenseMatrix } from '../linear/dense-matrix.js';
import { isLinearOperator } from '../linear/operator.js';
import type { BackendKind } from '../backend/backend.js';
import { resolveBackend, type BackendChoice } from '../backend/create.js';
import { EvaluationError, InvalidArgumentError } from '../errors.js';
import { describe, rejectUnknownOptions, requireInteger, requireNumber, requireOneOf, toFloat64Array } from '../validate.js';
import { isUnbounded, prepareBounds, type BoundsOption } from './bounds.js';
import { EPS, inBounds, makeStrictlyFeasible } from './common.js';
import { LOSS_NAMES, makeLoss, type LossCallback, type LossName } from './losses.js';
import type { DriverContext, DriverOutcome, IterationState, Jacobian, ProblemEvaluator, TrOptions } from './types.js';
import { approxDerivative, validateSparsity, type SparsityStructure } from './finite-diff.js';
import { trf } from './trf.js';
import { dogbox } from './dogbox.js';
import { lm } from './lm.js';
import { fmtE } from '../format.js';

/** The residual function: x ↦ f(x) of a fixed length m. */
export type ResidualFunction = (x: Float64Array) => Float64Array | ArrayLike<number> | Promise<Float64Array | ArrayLike<number>>;
/** An analytic Jacobian: x (and f(x)) ↦ J(x), m x n. */
export type JacobianFunction = (x: Float64Array, f: Float64Array) => Jacobian | Promise<Jacobian>;

export interface LeastSquaresOptions {
  /** '2-point' (default), '3-point' or a function returning a DenseMatrix, CsrMatrix or LinearOperator. */
  jac?: '2-point' | '3-point' | JacobianFunction;
  /** [lb, ub], each a number (broadcast) or an array of length n. Default: no bounds. */
  bounds?: BoundsOption;
  /** 'trf' (default), 'dogbox' or 'lm' (no bounds, no robust loss, dense J, m >= n). */
  method?: 'trf' | 'dogbox' | 'lm';
  /** Tolerance on the relative cost reduction. Default 1e-8; null disables it. */
  ftol?: number | null;
  /** Tolerance on the relative step size. Default 1e-8; null disables it. */
  xtol?: number | null;
  /** Tolerance on the scaled gradient. Default 1e-8; null disables it. */
  gtol?: number | null;
  /** Characteristic scale of each variable: a number, an array or 'jac' (default 1; 'jac' for lm). */
  xScale?: number | ArrayLike<number> | 'jac';
  /** 'linear' (default), 'soft_l1', 'huber', 'cauchy', 'arctan' or a callback filling ρ, ρ', ρ''. */
  loss?: LossName | LossCallback;
  /** The soft margin C between inliers and outliers. Default 1. */
  fScale?: number;
  /** Relative finite-difference step (number or array). Default √eps (2-point), ∛eps (3-point). */
  diffStep?: number | ArrayLike<number> | null;
  /** 'exact' (dense SVD), 'lsmr', or 'cg' (Steihaug-CG; trf only). Default: exact for a dense J, else lsmr. */
  trSolver?: 'exact' | 'lsmr' | 'cg';
  /** Options of the trust-region solver: regularize (trf lsmr), atol, btol, conlim, maxiter. */
  trOptions?: TrOptions;
  /** The sparsity pattern of J for grouped finite differences: a CsrMatrix, a 0/1 DenseMatrix or [row, col] pairs. Forces lsmr. */
  jacSparsity?: CsrMatrix | DenseMatrix | ReadonlyArray<readonly [number, number]> | null;
  /** The limit on residual evaluations (finite differences not counted). Default 100 n (trf, dogbox). */
  maxNfev?: number | null;
  /** 0 silent (default), 1 a final report, 2 one line per iteration. */
  verbose?: 0 | 1 | 2;
  /** Where verbose lines go. Default console.log. */
  log?: (line: string) => void;
  /** Called once per iteration; returning true stops the solve with status -2. Not called by 'lm'. */
  callback?: (state: IterationState) => boolean | void | Promise<boolean | void>;
  /** Stops the solve at the next evaluation: it rejects with an AbortError carrying the last accepted x. */
  signal?: AbortSignal;
  /** Where the linear algebra runs: 'auto' (default), 'cpu' or a Backend. */
  backend?: BackendChoice;
}

export interface LeastSquaresResult {
  x: Float64Array;
  /** ½ Σ ρ(fᵢ²) at x */
  cost: number;
  /** The residuals f(x). */
  fun: Float64Array;
  /** The Jacobian at x; with a robust loss, scaled by the loss weights as scipy returns it. */
  jac: Jacobian;
  /** Jᵀ ρ' f: the gradient of the cost. */
  grad: Float64Array;
  /** First-order optimality: ||v ∘ grad||∞ with the Coleman–Li scaling v (1 without bounds). */
  optimality: number;
  /** -1 at a lower bound, 1 at an upper bound, 0 free. */
  activeMask: Int8Array;
  /** Residual evaluations (finite-difference ones excluded). */
  nfev: number;
  /** Jacobian evaluations; null for 'lm' with finite differences (as scipy's None). */
  njev: number | null;
  status: -2 | -1 | 0 | 1 | 2 | 3 | 4;
  message: string;
  success: boolean;
  /** ½ Σ ρ(fᵢ²) at x0 */
  initialCost: number;
  method: 'trf' | 'dogbox' | 'lm';
  /** Where the linear algebra ran. */
  backend: BackendKind;
}

export const LEAST_SQUARES_MESSAGES: Record<number, string> = {
  [-2]: 'Stopped because `callback` function raised `StopIteration` or returned `True`',
  [-1]: 'Improper input parameters status returned from `leastsq`',
  0: 'The maximum number of function evaluations is exceeded.',
  1: '`gtol` termination condition is satisfied.',
  2: '`ftol` termination condition is satisfied.',
  3: '`xtol` termination condition is satisfied.',
  4: 'Both `ftol` and `xtol` termination conditions are satisfied.',
};

const OPTION_NAMES = [
  'jac', 'bounds', 'method', 'ftol', 'xtol', 'gtol', 'xScale', 'loss', 'fScale', 'diffStep', 'trSolver',
  'trOptions', 'jacSparsity', 'maxNfev', 'verbose', 'log', 'callback', 'signal', 'backend',
] as const;
const TR_OPTION_NAMES = ['regularize', 'atol', 'btol', 'conlim', 'maxiter'] as const;

/**
 * Solves a nonlinear least-squares problem with bounds on the variables.
 * @param fun residuals f(x) (may return a Promise)
 * @param x0 the starting point (inside the bounds)
 */
export async function leastSquares(fun: ResidualFunction, x0: ArrayLike<number>, options: LeastSquaresOptions = {}): Promise<LeastSquaresResult> {
  const o = validateOptions(fun, x0, options);
  const { n, lb, ub, method } = o;
  // trf works strictly inside the box (scipy: rstep 1e-10).
  const xStart = method === 'trf' ? makeStrictlyFeasible(o.x0, lb, ub) : o.x0;
  const { backend, owned: ownsBackend } = await resolveBackend(options.backend);
  try {
    const evaluator = new CountingEvaluator(fun, o, n);
    const f0 = await evaluator.fun(xStart);
    for (let i = 0; i < f0.length; i++) {
      if (!Number.isFinite(f0[i])) throw new EvaluationError('fun', `residuals are not finite at the initial point (f[${i}] = ${f0[i]})`, xStart);
    }
    const m = f0.length;
    if (method === 'lm' && m < n) {
      throw new InvalidArgumentError('method', "'trf' or 'dogbox' when there are fewer residuals than variables", `'lm' needs m >= n, got m = ${m}, n = ${n}`);
    }
    evaluator.prepareFiniteDifferences(m);
    const loss = makeLoss(o.loss, o.fScale);
    const initialCost = loss ? loss.cost(f0) : 0.5 * f0.reduce((s, v) => s + v * v, 0);
    const J0 = await evaluator.jac(xStart, f0);

    const dense = J0 instanceof DenseMatrix;
    if (!dense && method === 'lm') throw new InvalidArgumentError('jac', "a DenseMatrix with method 'lm'", `got ${J0 instanceof CsrMatrix ? 'a CsrMatrix' : 'a LinearOperator'}`);
    if (!dense && o.trSolver === 'exact') throw new InvalidArgumentError('trSolver', "'lsmr' or 'cg' when jac is sparse or a LinearOperator", "got 'exact'");
    if (isLinearOperator(J0) && !(J0 instanceof DenseMatrix || J0 instanceof CsrMatrix) && o.xScale === 'jac') {
      throw new InvalidArgumentError('xScale', 'a number or an array when jac returns a LinearOperator', "got 'jac'");
    }
    const trSolver = o.trSolver ?? (dense ? 'exact' : 'lsmr');
    if (trSolver === 'cg' && method !== 'trf') throw new InvalidArgumentError('trSolver', "'exact' or 'lsmr' with method '" + method + "'", "'cg' is a trf solver");

    const ctx: DriverContext = {
      evaluator, x0: xStart, f0, J0, lb, ub, ftol: o.ftol, xtol: o.xtol, gtol: o.gtol, maxNfev: o.maxNfev,
      xScale: o.xScale, loss, trSolver, trOptions: o.trOptions, verbose: o.verbose, log: o.log,
      callback: o.callback, signal: options.signal, backend,
    };
    const out: DriverOutcome = method === 'trf' ? await trf(ctx) : method === 'dogbox' ? await dogbox(ctx) : await lm(ctx);
    const message = LEAST_SQUARES_MESSAGES[out.status];
    if (o.verbose >= 1) {
      o.log(message);
      o.log(`Function evaluations ${out.nfev}, initial cost ${fmtE(initialCost, 4)}, final cost ${fmtE(out.cost, 4)}, first-order optimality ${fmtE(out.optimality, 2)}.`);
    }
    const njev = method === 'lm' && typeof o.jac !== 'function' ? null : out.njev;
    return { ...out, njev, message, success: out.status > 0, initialCost, method, backend: backend.kind };
  } finally {
    if (ownsBackend) backend.dispose();
  }
}

interface ValidatedOptions {
  n: number;
  x0: Float64Array;
  lb: Float64Array;
  ub: Float64Array;
  method: 'trf' | 'dogbox' | 'lm';
  jac: '2-point' | '3-point' | JacobianFunction;
  ftol: number;
  xtol: number;
  gtol: number;
  xScale: Float64Array | 'jac';
  loss: LossName | LossCallback;
  fScale: number;
  diffStep: number | Float64Array | null;
  trSolver: 'exact' | 'lsmr' | 'cg' | undefined;
  trOptions: TrOptions;
  jacSparsity: LeastSquaresOptions['jacSparsity'];
  maxNfev: number | null;
  verbose: 0 | 1 | 2;
  log: (line: string) => void;
  callback: DriverContext['callback'];
  signal: AbortSignal | undefined;
}

/** Checks every option before any work; each problem is a typed error naming the option. */
function validateOptions(fun: ResidualFunction, x0In: ArrayLike<number>, options: LeastSquaresOptions): ValidatedOptions {
  if (typeof fun !== 'function') throw new InvalidArgumentError('fun', 'a function x => residuals', `got ${describe(fun)}`);
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options', 'an object', `got ${describe(options)}`);
  rejectUnknownOptions('options', options, OPTION_NAMES);
  const x0 = toFloat64Array('x0', x0In);
  const n = x0.length;
  if (n === 0) throw new InvalidArgumentError('x0', 'at least one variable', 'got length 0');
  for (let i = 0; i < n; i++) if (!Number.isFinite(x0[i])) throw new InvalidArgumentError('x0', 'finite values', `x0[${i}] = ${x0[i]}`);

  const method = requireOneOf('method', options.method ?? 'trf', ['trf', 'dogbox', 'lm'] as const);
  const jac = options.jac ?? '2-point';
  if (typeof jac !== 'function') requireOneOf('jac', jac, ['2-point', '3-point'] as const);
  const { lb, ub } = prepareBounds(options.bounds, n);
  if (method === 'lm' && !isUnbounded(lb, ub)) {
    throw new InvalidArgumentError('bounds', "no bounds with method 'lm' (use 'trf' or 'dogbox')", 'bounds given');
  }
  if (!inBounds(x0, lb, ub)) {
    const i = x0.findIndex((v, k) => v < lb[k] || v > ub[k]);
    throw new InvalidArgumentError('x0', 'a point inside the bounds', `x0[${i}] = ${x0[i]} is outside [${lb[i]}, ${ub[i]}]`);
  }

  const tol = (name: 'ftol' | 'xtol' | 'gtol'): number => {
    const v = options[name];
    if (v === null) return 0;
    return requireNumber(name, v ?? 1e-8, 0);
  };
  const ftol = tol('ftol'), xtol = tol('xtol'), gtol = tol('gtol');
  if (method === 'lm' && (ftol < EPS || xtol < EPS || gtol < EPS)) {
    throw new InvalidArgumentError('ftol/xtol/gtol', `each at least machine epsilon (${fmtE(EPS, 2)}) for method 'lm'`, `got ${ftol}, ${xtol}, ${gtol}`);
  }
  if (ftol < EPS && xtol < EPS && gtol < EPS) {
    throw new InvalidArgumentError('ftol/xtol/gtol', `at least one of them >= machine epsilon (${fmtE(EPS, 2)})`, `got ${ftol}, ${xtol}, ${gtol}`);
  }

  let xScale: Float64Array | 'jac';
  const xs = options.xScale ?? (method === 'lm' ? 'jac' : 1);
  if (xs === 'jac') xScale = 'jac';
  else if (typeof xs === 'number') xScale = new Float64Array(n).fill(xs);
  else if (typeof xs === 'string') throw new InvalidArgumentError('xScale', "'jac', a positive number or an array of them", `got '${xs}'`);
  else xScale = toFloat64Array('xScale', xs, n);
  if (xScale !== 'jac' && !xScale.every((v) => Number.isFinite(v) && v > 0)) {
    throw new InvalidArgumentError('xScale', "'jac', a positive number or an array of them", 'a value is not a finite positive number');
  }

  const loss = options.loss ?? 'linear';
  if (typeof loss !== 'function') requireOneOf('loss', loss, LOSS_NAMES);
  if (method === 'lm' && loss !== 'linear') throw new InvalidArgumentError('loss', "'linear' with method 'lm'", `got ${describe(loss)}`);
  const fScale = requireNumber('fScale', options.fScale ?? 1, 0, true);
  if (!Number.isFinite(fScale)) throw new InvalidArgumentError('fScale', 'a finite number > 0', 'got Infinity');

  let diffStep: number | Float64Array | null = null;
  if (options.diffStep !== undefined && options.diffStep !== null) {
    diffStep = typeof options.diffStep === 'number' ? requireNumber('diffStep', options.diffStep, 0) : toFloat64Array('diffStep', options.diffStep, n);
  }
  const trSolver = options.trSolver === undefined ? undefined : requireOneOf('trSolver', options.trSolver, ['exact', 'lsmr', 'cg'] as const);
  const trOptions = options.trOptions ?? {};
  if (typeof trOptions !== 'object' || trOptions === null) throw new InvalidArgumentError('trOptions', 'an object', `got ${describe(trOptions)}`);
  rejectUnknownOptions('trOptions', trOptions, TR_OPTION_NAMES);
  const jacSparsity = options.jacSparsity ?? null;
  if (jacSparsity !== null) {
    if (method === 'lm') throw new InvalidArgumentError('jacSparsity', "null with method 'lm'", 'a pattern was given');
    if (trSolver === 'exact') throw new InvalidArgumentError('trSolver', "'lsmr' or 'cg' with jacSparsity", "got 'exact'");
    if (typeof jac === 'function') throw new InvalidArgumentError('jacSparsity', "null when jac is a function (it is for finite differences)", 'a pattern was given');
  }
  const maxNfev = options.maxNfev === undefined || options.maxNfev === null ? null : requireInteger('maxNfev', options.maxNfev, 1);
  const verbose = options.verbose ?? 0;
  if (verbose !== 0 && verbose !== 1 && verbose !== 2) throw new InvalidArgumentError('verbose', '0, 1 or 2', `got ${describe(verbose)}`);
  const log = options.log ?? ((line: string) => console.log(line));
  if (typeof log !== 'function') throw new InvalidArgumentError('log', 'a function', `got ${describe(log)}`);
  const callback = options.callback ?? null;
  if (callback !== null && typeof callback !== 'function') throw new InvalidArgumentError('callback', 'a function', `got ${describe(callback)}`);
  const signal = options.signal;
  if (signal !== undefined && !(typeof signal === 'object' && signal !== null && 'aborted' in signal)) {
    throw new InvalidArgumentError('signal', 'an AbortSignal', `got ${describe(signal)}`);
  }
  return {
    n, x0, lb, ub, method, jac, ftol, xtol, gtol, xScale, loss, fScale, diffStep, trSolver, trOptions,
    jacSparsity, maxNfev, verbose, log, callback, signal,
  };
}

/**
 * The user's fun and jac behind checks and counters. Residual evaluations made for finite
 * differences are not counted in nfev (scipy's rule); each finite-difference Jacobian
 * counts one njev.
 */
class CountingEvaluator implements ProblemEvaluator {
  nfev = 0;
  njev = 0;
  m = -1;
  private sparsity: SparsityStructure | null = null;

  constructor(private readonly userFun: ResidualFunction, private readonly o: ValidatedOptions, readonly n: number) {}

  /** Called once m is known: checks jacSparsity and groups its columns. */
  prepareFiniteDifferences(m: number): void {
    this.m = m;
    // Checked and grouped once: every finite-difference Jacobian reuses the groups.
    if (this.o.jacSparsity) this.sparsity = validateSparsity(this.o.jacSparsity, m, this.n);
  }

  async fun(x: Float64Array): Promise<Float64Array> {
    this.nfev++;
    return this.evaluate(x);
  }

  private async evaluate(x: Float64Array): Promise<Float64Array> {
    let raw: Float64Array | ArrayLike<number>;
    try {
      raw = await this.userFun(new Float64Array(x));
    } catch (err) {
      throw new EvaluationError('fun', `threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`, x, err);
    }
    if (raw === null || typeof raw !== 'object' || typeof (raw as ArrayLike<number>).length !== 'number') {
      throw new EvaluationError('fun', `must return a Float64Array or an array of numbers, returned ${describe(raw)}`, x);
    }
    const f = raw instanceof Float64Array ? new Float64Array(raw) : Float64Array.from(raw as ArrayLike<number>);
    if (this.m >= 0 && f.length !== this.m) {
      throw new EvaluationError('fun', `returned ${f.length} residuals, expected ${this.m} (as at x0)`, x);
    }
    if (this.m < 0 && f.length === 0) throw new EvaluationError('fun', 'returned no residuals', x);
    return f;
  }

  async jac(x: Float64Array, f: Float64Array): Promise<Jacobian> {
    this.njev++;
    const jac = this.o.jac;
    if (typeof jac !== 'function') {
      return approxDerivative((xx: Float64Array) => this.evaluate(xx), x, f, {
        method: jac, relStep: this.o.diffStep, lb: this.o.lb, ub: this.o.ub, sparsity: this.sparsity, signal: this.o.signal,
      });
    }
    let J: Jacobian;
    try {
      J = await jac(new Float64Array(x), new Float64Array(f));
    } catch (err) {
      throw new EvaluationError('jac', `threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`, x, err);
    }
    if (!(J instanceof DenseMatrix || J instanceof CsrMatrix || isLinearOperator(J))) {
      throw new EvaluationError('jac', `must return a DenseMatrix, CsrMatrix or LinearOperator, returned ${describe(J)}`, x);
    }
    if (J.rows !== this.m || J.cols !== this.n) {
      throw new EvaluationError('jac', `returned a ${J.rows} x ${J.cols} matrix, expected ${this.m} x ${this.n}`, x);
    }
    if (J instanceof DenseMatrix || J instanceof CsrMatrix) {
      for (let k = 0; k < J.data.length; k++) {
        if (!Number.isFinite(J.data[k])) throw new EvaluationError('jac', `returned a non-finite entry (${J.data[k]})`, x);
      }
    }
    return J;
  }
}

