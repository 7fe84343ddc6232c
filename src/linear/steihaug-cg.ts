/**
 * Steihaug-Toint truncated conjugate gradients for the trust-region subproblem
 *
 *   min  m(p) = gᵀp + ½ pᵀB p   subject to  ||p|| <= delta,
 *
 * with B symmetric (possibly indefinite) given only through products. Semantics follow
 * scipy 1.17's trust-ncg subproblem (Nocedal & Wright, algorithm 7.2): CG from p = 0 until
 * the residual r = g + B p has ||r|| < tol (default min(0.5, sqrt(||g||)) ||g||); on
 * non-positive curvature dᵀBd <= 0 the step goes to the boundary along d, at whichever of
 * the two crossings has the lower model value; an iterate that would leave the region is
 * replaced by the boundary point along d (positive tau).
 *
 * Written once against the deferred Backend. One iteration:
 *
 *   Bd ← B d;  dᵀBd, zᵀd, dᵀd, zᵀz, rᵀd   [kernel `steihaug.curvature`: α = rᵀr / dᵀBd,
 *                                          or the boundary tau; sets `finish`]
 *   z ← z + t d;  r ← r + t Bd;  rᵀr      [kernel `steihaug.converge`: done on finish or
 *                                          ||r|| < tol, else β = rᵀr_new / rᵀr]
 *   d ← −r + β d
 *
 * ||z + α d||² is formed from the dots as zᵀz + 2α zᵀd + α² dᵀd: all three terms are
 * non-negative along Steihaug's iterates (zᵀd > 0), so no cancellation occurs. The model
 * difference along d is t rᵀd + ½ t² dᵀBd (r = g + B z).
 */
import type { Backend, BackendKind, ScalarKernel, Vec } from '../backend/backend.js';
import { slot } from '../backend/backend.js';
import type { BackendChoice } from '../backend/create.js';
import type { CsrMatrix } from '../sparse/csr.js';
import type { DenseMatrix } from './dense-matrix.js';
import type { LinearOperator } from './operator.js';
import { matrixOperator, type Operator } from './operators.js';
import { AbortError, InvalidArgumentError, ShapeMismatchError } from '../errors.js';
import { describe, rejectUnknownOptions, requireFinite, requireInteger, toFloat64Array } from '../validate.js';
import { checkSignal, requireFiniteNonNegative, requireOperand, requireOptions, runGuardedLoop, withBackend } from './krylov-common.js';

export interface SteihaugOptions {
  /** Absolute tolerance on ||g + B p||. Default min(0.5, sqrt(||g||)) ||g|| (scipy's trust-ncg). */
  tol?: number;
  /** Iteration limit. Default 10 n (scipy has none; CG ends in about n steps in exact arithmetic). */
  maxiter?: number;
  /** Aborts the solve (checked at each scalar read-back); throws AbortError. */
  signal?: AbortSignal;
}

export interface SteihaugCoreResult {
  /** The step, a vector on the backend owned by the caller. */
  step: Vec;
  /** The step ends on the trust-region boundary. */
  hitsBoundary: boolean;
  /** CG met a direction with dᵀBd <= 0. */
  negativeCurvature: boolean;
  /** CG iterations (products with B). */
  iterations: number;
}

export interface SteihaugResult {
  step: Float64Array;
  hitsBoundary: boolean;
  negativeCurvature: boolean;
  iterations: number;
  /** Where the solve ran. */
  backend: BackendKind;
}

const OPTION_NAMES = ['tol', 'maxiter', 'signal'] as const;

// ---------------------------------------------------------------------------------------
// The scalar block. Inputs: DELTA, TOL (host; TOL < 0 asks for the default), GNORM, RR,
// RR_NEW and the dots (written by nrm2/dot). The rest is state or a vector coefficient.

const DONE = 0; // guard: non-zero once the loop has stopped
const FINISH = 1; // this iteration's step ends the loop (boundary or negative curvature)
const NEG = 2; // negative (or zero) curvature met
const BOUNDARY = 3; // the step is on the boundary
const ITN = 4;
const DELTA = 5;
const TOL = 6;
const GNORM = 7; // ||g||
const RR = 8; // rᵀr
const RR_NEW = 9; // rᵀr after r ← r + α Bd
const DBD = 10; // dᵀBd
const ZD = 11; // zᵀd
const DD = 12; // dᵀd
const ZZ = 13; // zᵀz
const RD = 14; // rᵀd
const STEP = 15; // z ← z + STEP d, r ← r + STEP Bd
const BETA = 16; // d ← −r + BETA d
const SLOTS = 17;

/** Sets the tolerance; stops at once when g = 0 (or ||g|| < tol): the step is 0. */
const STEIHAUG_INIT: ScalarKernel = {
  name: 'steihaug.init',
  cpu: (s) => {
    const gnorm = s[GNORM];
    if (s[TOL] < 0) s[TOL] = Math.min(0.5, Math.sqrt(gnorm)) * gnorm;
    s[ITN] = 0;
    s[FINISH] = 0;
    s[NEG] = 0;
    s[BOUNDARY] = 0;
    s[DONE] = gnorm === 0 || gnorm < s[TOL] ? 1 : 0;
  },
  wgsl: /* wgsl */ `
  let gnorm = s[${GNORM}];
  if (s[${TOL}] < 0.0) { s[${TOL}] = min(0.5, sqrt(gnorm)) * gnorm; }
  s[${ITN}] = 0.0;
  s[${FINISH}] = 0.0;
  s[${NEG}] = 0.0;
  s[${BOUNDARY}] = 0.0;
  s[${DONE}] = select(0.0, 1.0, gnorm == 0.0 || gnorm < s[${TOL}]);`,
};

/**
 * The crossings ta <= tb of ||z + t d|| = delta (scipy's get_boundaries_intersections,
 * in its cancellation-free form); written into STEP (ta) and BETA (tb) as scratch.
 */
function boundaryCrossings(s: Float64Array): void {
  const a = s[DD];
  const b = 2 * s[ZD];
  const c = s[ZZ] - s[DELTA] * s[DELTA];
  const sq = Math.sqrt(b * b - 4 * a * c);
  const aux = b + (b >= 0 ? sq : -sq);
  const t1 = -aux / (2 * a);
  const t2 = (-2 * c) / aux;
  s[STEP] = Math.min(t1, t2);
  s[BETA] = Math.max(t1, t2);
}

/**
 * The WGSL twin of {@link boundaryCrossings}, a block of statements. f32 hazard: b² and
 * 4ac are products of two squared norms (b = 2 zᵀd, a = dᵀd, c = ||z||² − δ²), so they
 * leave f32's range once ||z||·||d|| passes about 1e19 or falls below about 1e-19 —
 * ||g|| = δ = 1e10, or a gradient of 1e-12 in a region of 1e-10 near convergence — where
 * b² − 4ac would come out inf, or 0 and then aux = 0 and t2 = −2c/0. So sqrt(b² − 4ac) is
 * formed as sqrt(a) sqrt((b/sqrt(a))² − 4c), whose terms are squares of norms like the dots
 * themselves. a > 0: d = 0 only once r = 0, which stops the loop unless tol = 0 (where the
 * cpu function divides by zero too).
 */
const BOUNDARY_CROSSINGS_WGSL = /* wgsl */ `{
    let a = s[${DD}];
    let b = 2.0 * s[${ZD}];
    let c = s[${ZZ}] - s[${DELTA}] * s[${DELTA}];
    let ra = sqrt(a);
    let bs = b / ra;
    let sq = ra * sqrt(bs * bs - 4.0 * c);
    let aux = b + select(-sq, sq, b >= 0.0);
    let t1 = -aux / (2.0 * a);
    let t2 = (-2.0 * c) / aux;
    s[${STEP}] = min(t1, t2);
    s[${BETA}] = max(t1, t2);
  }`;

/** After the dots: the CG step α, or the boundary step on non-positive curvature or exit. */
const STEIHAUG_CURVATURE: ScalarKernel = {
  name: 'steihaug.curvature',
  cpu: (s) => {
    s[ITN] = s[ITN] + 1;
    const dbd = s[DBD];
    if (dbd <= 0) {
      // Both crossings; keep the one with the lower model value m(z + t d) − m(z).
      boundaryCrossings(s);
      const ta = s[STEP], tb = s[BETA], rd = s[RD];
      const ma = ta * rd + 0.5 * ta * ta * dbd;
      const mb = tb * rd + 0.5 * tb * tb * dbd;
      s[STEP] = ma < mb ? ta : tb;
      s[FINISH] = 1;
      s[NEG] = 1;
      s[BOUNDARY] = 1;
    } else {
      const alpha = s[RR] / dbd;
      const zn2 = s[ZZ] + 2 * alpha * s[ZD] + alpha * alpha * s[DD];
      if (Math.sqrt(zn2) >= s[DELTA]) {
        boundaryCrossings(s);
        s[STEP] = s[BETA];
        s[FINISH] = 1;
        s[BOUNDARY] = 1;
      } else {
        s[STEP] = alpha;
      }
    }
  },
  wgsl: /* wgsl */ `
  s[${ITN}] = s[${ITN}] + 1.0;
  let dbd = s[${DBD}];
  if (dbd <= 0.0) {
    // Both crossings; keep the one with the lower model value m(z + t d) − m(z).
    ${BOUNDARY_CROSSINGS_WGSL}
    let ta = s[${STEP}];
    let tb = s[${BETA}];
    let rd = s[${RD}];
    let ma = ta * rd + 0.5 * ta * ta * dbd;
    let mb = tb * rd + 0.5 * tb * tb * dbd;
    s[${STEP}] = select(tb, ta, ma < mb);
    s[${FINISH}] = 1.0;
    s[${NEG}] = 1.0;
    s[${BOUNDARY}] = 1.0;
  } else {
    let alpha = s[${RR}] / dbd;
    let zn2 = s[${ZZ}] + 2.0 * alpha * s[${ZD}] + alpha * alpha * s[${DD}];
    if (sqrt(zn2) >= s[${DELTA}]) {
      ${BOUNDARY_CROSSINGS_WGSL}
      s[${STEP}] = s[${BETA}];
      s[${FINISH}] = 1.0;
      s[${BOUNDARY}] = 1.0;
    } else {
      s[${STEP}] = alpha;
    }
  }`,
};

/** After rᵀr: done on a boundary step or when ||r|| < tol, else the CG coefficient β. */
const STEIHAUG_CONVERGE: ScalarKernel = {
  name: 'steihaug.converge',
  cpu: (s) => {
    if (s[FINISH] !== 0) {
      s[DONE] = 1;
    } else if (Math.sqrt(s[RR_NEW]) < s[TOL]) {
      s[DONE] = 1;
    } else {
      s[BETA] = s[RR_NEW] / s[RR];
      s[RR] = s[RR_NEW];
    }
  },
  // rᵀr > 0 here: the last iteration went on with rᵀr >= tol² > 0, or this is the first
  // (rᵀr = gᵀg > 0); with tol = 0, rᵀr = 0 gives d = 0 and the next iteration finishes.
  wgsl: /* wgsl */ `
  if (s[${FINISH}] != 0.0) {
    s[${DONE}] = 1.0;
  } else if (sqrt(s[${RR_NEW}]) < s[${TOL}]) {
    s[${DONE}] = 1.0;
  } else {
    s[${BETA}] = s[${RR_NEW}] / s[${RR}];
    s[${RR}] = s[${RR_NEW}];
  }`,
};

interface CheckedOptions {
  tol: number | undefined;
  maxiter: number | undefined;
  signal: AbortSignal | undefined;
}

function checkOptions(options: SteihaugOptions | undefined): CheckedOptions {
  const o = requireOptions(options);
  return {
    tol: o.tol === undefined ? undefined : requireFiniteNonNegative('tol', o.tol),
    maxiter: o.maxiter === undefined ? undefined : requireInteger('maxiter', o.maxiter, 0),
    signal: checkSignal('signal', o.signal),
  };
}

function checkDelta(delta: unknown): number {
  if (typeof delta !== 'number' || !Number.isFinite(delta) || delta <= 0) {
    throw new InvalidArgumentError('delta', 'a finite number > 0', `got ${describe(delta)}`);
  }
  return delta;
}

/**
 * Steihaug-CG on a backend: min g·p + ½ pᵀBp subject to ||p|| <= delta, B given as an
 * Operator (square, symmetric). The caller owns `g` (left unchanged) and the returned step.
 */
export async function steihaugCgCore(
  backend: Backend,
  b: Operator,
  g: Vec,
  delta: number,
  options?: SteihaugOptions,
): Promise<SteihaugCoreResult> {
  const n = b.cols;
  if (b.rows !== n) throw new ShapeMismatchError('B', 'a square operator', `${b.rows} x ${n}`);
  if (g.length !== n) throw new ShapeMismatchError('g', `length ${n} (the size of B)`, `length ${g.length}`);
  checkDelta(delta);
  const o = checkOptions(options);
  if (o.signal?.aborted) throw new AbortError('steihaugCg was aborted before it started');
  const maxiter = o.maxiter ?? 10 * n;

  const z = backend.vector(n);
  const r = backend.vector(n);
  const d = backend.vector(n);
  const bd = backend.vector(n);
  const init = new Float64Array(SLOTS);
  init[DELTA] = delta;
  init[TOL] = o.tol ?? -1;
  const blk = backend.scalars(SLOTS, init);
  const at = (i: number) => slot(blk, i);
  let ok = false;
  try {
    // z = 0, r = g, d = −g.
    backend.copy(g, r);
    backend.axpby(-1, g, 0, d);
    backend.nrm2(g, at(GNORM));
    backend.dot(r, r, at(RR));
    backend.scalarKernel(STEIHAUG_INIT, blk);

    const iteration = () => {
      b.apply(d, bd);
      backend.dot(d, bd, at(DBD));
      backend.dot(z, d, at(ZD));
      backend.dot(d, d, at(DD));
      backend.dot(z, z, at(ZZ));
      backend.dot(r, d, at(RD));
      backend.scalarKernel(STEIHAUG_CURVATURE, blk);
      backend.axpby(at(STEP), d, 1, z);
      backend.axpby(at(STEP), bd, 1, r);
      backend.dot(r, r, at(RR_NEW));
      backend.scalarKernel(STEIHAUG_CONVERGE, blk);
      backend.axpby(-1, r, at(BETA), d);
    };
    const out = await runGuardedLoop(backend, blk, DONE, maxiter, iteration, o.signal);
    if (out.aborted) throw new AbortError(`steihaugCg was aborted after ${out.scalars[ITN]} iterations`, await backend.read(z));
    const s = out.scalars;
    ok = true;
    return { step: z, hitsBoundary: s[BOUNDARY] !== 0, negativeCurvature: s[NEG] !== 0, iterations: s[ITN] };
  } finally {
    backend.release(r, d, bd, blk);
    if (!ok) backend.release(z);
  }
}

/**
 * Steihaug-CG: the approximate minimizer of g·p + ½ pᵀBp subject to ||p|| <= delta, as
 * the subproblem of scipy's trust-ncg.
 * @param b the symmetric n x n matrix B: CsrMatrix, DenseMatrix or LinearOperator (symmetry is not checked)
 * @param g the gradient, length n
 * @param delta the trust-region radius, > 0
 */
export async function steihaugCg(
  b: CsrMatrix | DenseMatrix | LinearOperator,
  g: ArrayLike<number>,
  delta: number,
  options: SteihaugOptions & { backend?: BackendChoice } = {},
): Promise<SteihaugResult> {
  const o = requireOptions(options);
  rejectUnknownOptions('options', o, [...OPTION_NAMES, 'backend']);
  requireOperand('B', b);
  if (b.rows !== b.cols) throw new ShapeMismatchError('B', 'a square matrix', `${b.rows} x ${b.cols}`);
  const gv = toFloat64Array('g', g);
  if (gv.length !== b.cols) throw new ShapeMismatchError('g', `length ${b.cols} (the size of B)`, `length ${gv.length}`);
  requireFinite('g', gv);
  checkDelta(delta);
  const { backend: backendOption, ...solverOptions } = o;
  checkOptions(solverOptions);
  return withBackend(backendOption, async (backend) => {
    const dev = backend.matrix(b);
    const gVec = backend.vector(gv.length, gv);
    try {
      const res = await steihaugCgCore(backend, matrixOperator(backend, dev), gVec, delta, solverOptions);
      try {
        const step = await backend.read(res.step);
        return { step, hitsBoundary: res.hitsBoundary, negativeCurvature: res.negativeCurvature, iterations: res.iterations, backend: backend.kind };
      } finally {
        backend.release(res.step);
      }
    } finally {
      backend.release(gVec, dev);
    }
  });
}
