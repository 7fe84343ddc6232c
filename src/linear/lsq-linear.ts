/**
 * lsqLinear: linear least squares with bounds, scipy.optimize.lsq_linear's semantics.
 *
 *     minimize ½ ||A x - b||²  subject to  lb <= x <= ub
 *
 * The unbounded solution comes first (dense SVD least squares for 'exact', LSMR
 * otherwise); when it is feasible it is the answer (status 3, nit 0). Otherwise 'trf'
 * (Trust Region Reflective) or 'bvls' (active set) takes over.
 */
import { CsrMatrix } from '../sparse/csr.js';
import { DenseMatrix } from './dense-matrix.js';
import { isLinearOperator, type LinearOperator } from './operator.js';
import type { BackendKind } from '../backend/backend.js';
import { resolveBackend, type BackendChoice } from '../backend/create.js';
import { InvalidArgumentError, ShapeMismatchError } from '../errors.js';
import { describe, rejectUnknownOptions, requireFinite, requireInteger, requireNumber, requireOneOf, toFloat64Array } from '../validate.js';
import { prepareBounds, type BoundsOption } from '../least-squares/bounds.js';
import { dot, inBounds, normInf } from '../least-squares/common.js';
import { lstsq } from './dense.js';
import { lsmr } from './lsmr.js';
import { residual, trfLinear, type LinearSolveOutcome } from './trf-linear.js';
import { bvls } from './bvls.js';
import { fmtE } from '../format.js';

export interface LsqLinearOptions {
  /** [lb, ub]: each a number (broadcast) or an array of length n. Default: no bounds. */
  bounds?: BoundsOption;
  /** 'trf' (default) or 'bvls' (dense A only). */
  method?: 'trf' | 'bvls';
  /** Tolerance on the relative cost change and on first-order optimality. Default 1e-10. */
  tol?: number;
  /** Unbounded sub-solver: 'exact' (dense SVD/QR) or 'lsmr'. Default: 'exact' for DenseMatrix, else 'lsmr'. */
  lsqSolver?: 'exact' | 'lsmr';
  /** LSMR's atol = btol. Default 1e-2 · tol; 'auto' adapts it to the current optimality. */
  lsmrTol?: number | 'auto';
  /** LSMR's iteration limit. Default min(m, n). */
  lsmrMaxiter?: number;
  /** Iteration limit: default 100 for trf, n for bvls (plus its initialization). */
  maxIter?: number;
  /** 0 silent (default), 1 a termination report, 2 one line per iteration. */
  verbose?: 0 | 1 | 2;
  /** Where verbose lines go. Default console.log. */
  log?: (line: string) => void;
  /** Where the iterative work runs: 'auto' (default), 'cpu', or a Backend. */
  backend?: BackendChoice;
  /** Stops the solve; it rejects with an AbortError carrying the last iterate. */
  signal?: AbortSignal;
}

/** The unbounded least-squares solution and what the sub-solver reported about it. */
export interface UnboundedSolution {
  x: Float64Array;
  /** 'exact': the rank of A and its singular values. */
  rank?: number;
  singularValues?: Float64Array;
  /** 'lsmr': its stopping code and iterations. */
  istop?: number;
  itn?: number;
}

export interface LsqLinearResult {
  x: Float64Array;
  /** ½ ||A x - b||² */
  cost: number;
  /** A x - b */
  fun: Float64Array;
  /** First-order optimality: the CL-scaled gradient's ∞-norm (trf) or the KKT violation (bvls). */
  optimality: number;
  /** -1 at a lower bound, 1 at an upper bound, 0 free. */
  activeMask: Int8Array;
  unboundedSol: UnboundedSolution;
  nit: number;
  /** -1 no progress, 0 maxIter reached, 1 optimality < tol, 2 cost change < tol, 3 the unbounded solution is optimal. */
  status: -1 | 0 | 1 | 2 | 3;
  message: string;
  success: boolean;
  /** Where the iterative work ran. */
  backend: BackendKind;
}

export const LSQ_LINEAR_MESSAGES: Record<number, string> = {
  [-1]: 'The algorithm was not able to make progress on the last iteration.',
  0: 'The maximum number of iterations is exceeded.',
  1: 'The first-order optimality measure is less than `tol`.',
  2: 'The relative change of the cost function is less than `tol`.',
  3: 'The unconstrained solution is optimal.',
};

const OPTION_NAMES = ['bounds', 'method', 'tol', 'lsqSolver', 'lsmrTol', 'lsmrMaxiter', 'maxIter', 'verbose', 'log', 'backend', 'signal'] as const;

/**
 * Solves min ½||A x - b||² subject to lb <= x <= ub.
 * @param a DenseMatrix, CsrMatrix or LinearOperator (operators only with method 'trf' and lsqSolver 'lsmr')
 * @param b right-hand side of length a.rows
 */
export async function lsqLinear(
  a: DenseMatrix | CsrMatrix | LinearOperator,
  b: ArrayLike<number>,
  options: LsqLinearOptions = {},
): Promise<LsqLinearResult> {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options', 'an object', `got ${describe(options)}`);
  rejectUnknownOptions('options', options, OPTION_NAMES);
  const isDense = a instanceof DenseMatrix;
  if (!isDense && !(a instanceof CsrMatrix) && !isLinearOperator(a)) {
    throw new InvalidArgumentError('A', 'a DenseMatrix, CsrMatrix or LinearOperator', `got ${describe(a)}`);
  }
  const m = a.rows, n = a.cols;
  const bv = toFloat64Array('b', b);
  if (bv.length !== m) throw new ShapeMismatchError('b', `length ${m} (the rows of A)`, `length ${bv.length}`);
  requireFinite('b', bv);

  const method = requireOneOf('method', options.method ?? 'trf', ['trf', 'bvls'] as const);
  const tol = requireNumber('tol', options.tol ?? 1e-10, 0, true);
  const lsqSolver = options.lsqSolver === undefined ? (isDense ? 'exact' : 'lsmr') : requireOneOf('lsqSolver', options.lsqSolver, ['exact', 'lsmr'] as const);
  if (method === 'bvls' && !isDense) throw new InvalidArgumentError('method', "'trf' when A is sparse or a LinearOperator", "'bvls' needs a DenseMatrix");
  if (method === 'bvls' && lsqSolver === 'lsmr') throw new InvalidArgumentError('lsqSolver', "'exact' (or unset) with method 'bvls'", "got 'lsmr'");
  if (lsqSolver === 'exact' && !isDense) throw new InvalidArgumentError('lsqSolver', "'lsmr' (or unset) when A is sparse or a LinearOperator", "got 'exact'");
  const lsmrTol = options.lsmrTol;
  if (lsmrTol !== undefined && lsmrTol !== 'auto' && !(typeof lsmrTol === 'number' && lsmrTol > 0 && Number.isFinite(lsmrTol))) {
    throw new InvalidArgumentError('lsmrTol', "a positive number or 'auto'", `got ${describe(lsmrTol)}`);
  }
  const lsmrMaxiter = options.lsmrMaxiter === undefined ? undefined : requireInteger('lsmrMaxiter', options.lsmrMaxiter, 1);
  const maxIter = options.maxIter === undefined ? undefined : requireInteger('maxIter', options.maxIter, 1);
  const verbose = options.verbose ?? 0;
  if (verbose !== 0 && verbose !== 1 && verbose !== 2) throw new InvalidArgumentError('verbose', '0, 1 or 2', `got ${describe(verbose)}`);
  const log = options.log ?? ((line: string) => console.log(line));
  const { lb, ub } = prepareBounds(options.bounds, n);
  const signal = options.signal;
  const { backend, owned: ownsBackend } = await resolveBackend(options.backend);

  try {
    // The unbounded solution.
    let unboundedSol: UnboundedSolution;
    if (lsqSolver === 'exact') {
      const { x, rank, s } = lstsq(a as DenseMatrix, bv, EPS_RCOND);
      unboundedSol = { x, rank, singularValues: s };
    } else {
      const firstTol = typeof lsmrTol === 'number' ? lsmrTol : 1e-2 * tol;
      const res = await lsmr(a, bv, { atol: firstTol, btol: firstTol, maxiter: lsmrMaxiter, backend, signal });
      unboundedSol = { x: res.x, istop: res.istop, itn: res.itn };
    }

    let outcome: LinearSolveOutcome;
    if (inBounds(unboundedSol.x, lb, ub)) {
      const r = residual(a, unboundedSol.x, bv);
      const cost = 0.5 * dot(r, r);
      outcome = {
        x: unboundedSol.x, fun: r, cost, optimality: normInf(a.rmatvec(r)), activeMask: new Int8Array(n),
        nit: 0, status: 3, initialCost: cost,
      };
    } else if (method === 'trf') {
      outcome = await trfLinear(a, bv, unboundedSol.x, lb, ub, {
        tol, lsqSolver, lsmrTol, lsmrMaxiter, maxIter: maxIter ?? 100, verbose, log, backend, signal,
      });
    } else {
      outcome = bvls(a as DenseMatrix, bv, unboundedSol.x, lb, ub, { tol, maxIter, verbose, log, signal });
    }

    const status = outcome.status as LsqLinearResult['status'];
    const message = LSQ_LINEAR_MESSAGES[status];
    if (verbose > 0) {
      log(message);
      if (status === 3) log(`Final cost ${fmtE(outcome.cost, 4)}, first-order optimality ${fmtE(outcome.optimality, 2)}`);
      else {
        log(`Number of iterations ${outcome.nit}, initial cost ${fmtE(outcome.initialCost, 4)}, ` +
          `final cost ${fmtE(outcome.cost, 4)}, first-order optimality ${fmtE(outcome.optimality, 2)}.`);
      }
    }
    return {
      x: outcome.x, cost: outcome.cost, fun: outcome.fun, optimality: outcome.optimality,
      activeMask: outcome.activeMask, unboundedSol, nit: outcome.nit, status, message,
      success: status > 0, backend: backend.kind,
    };
  } finally {
    if (ownsBackend) backend.dispose();
  }
}

/** numpy's lstsq with rcond = -1: LAPACK drops singular values below its machine precision (2⁻⁵³) · s_max. */
const EPS_RCOND = 2 ** -53;
