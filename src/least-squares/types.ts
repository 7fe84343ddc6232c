/**
 * The contract between the leastSquares front end (options, validation, counting,
 * result) and the three drivers (trf, dogbox, lm). A driver receives a validated
 * {@link DriverContext} and returns a {@link DriverOutcome}; it never sees user options.
 */
import type { Backend } from '../backend/backend.js';
import type { CsrMatrix } from '../sparse/csr.js';
import type { DenseMatrix } from '../linear/dense-matrix.js';
import type { LinearOperator } from '../linear/operator.js';
import type { Loss } from './losses.js';

/** A Jacobian as the user's jac (or finite differences) returns it. */
export type Jacobian = DenseMatrix | CsrMatrix | LinearOperator;

/**
 * The user's problem behind validation and counting. `fun` counts one evaluation (nfev)
 * per call and throws a typed error for a wrong length or a throwing fun; `jac` counts
 * njev (finite-difference evaluations are not counted in nfev, as in scipy).
 */
export interface ProblemEvaluator {
  readonly m: number;
  readonly n: number;
  fun(x: Float64Array): Promise<Float64Array>;
  /** The Jacobian at x; `f` = fun(x) is passed so finite differences can reuse it. */
  jac(x: Float64Array, f: Float64Array): Promise<Jacobian>;
  readonly nfev: number;
  readonly njev: number;
}

/** What the callback receives each iteration (scipy's intermediate_result). */
export interface IterationState {
  iteration: number;
  x: Float64Array;
  cost: number;
  fun: Float64Array;
  grad: Float64Array;
  optimality: number;
  nfev: number;
  njev: number;
  stepNorm: number | null;
  costReduction: number | null;
}

export interface TrOptions {
  /** trf 'lsmr': add a regularizing diagonal (scipy's regularize, default true). */
  regularize?: boolean;
  /** LSMR / CG tolerances and limits. */
  atol?: number;
  btol?: number;
  conlim?: number;
  maxiter?: number;
}

export interface DriverContext {
  evaluator: ProblemEvaluator;
  x0: Float64Array;
  f0: Float64Array;
  J0: Jacobian;
  lb: Float64Array;
  ub: Float64Array;
  /** 0 disables a test (scipy's None). */
  ftol: number;
  xtol: number;
  gtol: number;
  /** null: no limit beyond the driver's default (100 n for trf/dogbox). */
  maxNfev: number | null;
  xScale: Float64Array | 'jac';
  loss: Loss | null;
  trSolver: 'exact' | 'lsmr' | 'cg';
  trOptions: TrOptions;
  verbose: 0 | 1 | 2;
  log: (line: string) => void;
  /** Return true to stop (status -2). */
  callback: ((state: IterationState) => boolean | void | Promise<boolean | void>) | null;
  signal: AbortSignal | undefined;
  backend: Backend;
}

export interface DriverOutcome {
  x: Float64Array;
  cost: number;
  fun: Float64Array;
  jac: Jacobian;
  grad: Float64Array;
  optimality: number;
  activeMask: Int8Array;
  nfev: number;
  njev: number;
  /** scipy's codes: -2 callback, -1 improper input (lm), 0 maxNfev, 1 gtol, 2 ftol, 3 xtol, 4 ftol and xtol. */
  status: -2 | -1 | 0 | 1 | 2 | 3 | 4;
}
