/**
 * LSQR (Paige & Saunders 1982): min ||A x - b||² + damp² ||x||² by Golub-Kahan
 * bidiagonalization, equivalent to CG on the normal equations but more stable.
 * Semantics, defaults, stopping codes and estimates follow scipy 1.17's
 * `scipy.sparse.linalg.lsqr` (without `calc_var`).
 *
 * Written once against the deferred Backend: every vector operation is a backend call,
 * and each iteration's scalar recurrence runs in scalar kernels over one block:
 *
 *   u ← A v − α u;  β ← ||u||            [kernel `lsqr.beta`: itn, ||A|| estimate, 1/β, −β]
 *   u ← u / β;  v ← Aᵀu − β v;  α ← ||v||;  ||w||
 *                                         [kernel `lsqr.step`: the damping rotation, the
 *                                          rotation Q_k, the ||x||, cond, ||r||, ||Aᵀr||
 *                                          estimates, the stopping tests, istop]
 *   v ← v / α;  x ← x + (φ/ρ) w;  w ← v − (θ/ρ) w
 *                                         [kernel `lsqr.stop`: done once istop > 0, only
 *                                          now, so that the guard lets the last update run]
 *
 * The `done` slot guards the loop body, so iterations encoded after the stopping test
 * fired change nothing; scalars are read back every `backend.syncInterval` iterations.
 * When β = 0 (the Krylov space is exhausted) u, v, α and ||A|| keep their values, as in scipy.
 */
import type { Backend, BackendKind, ScalarKernel, Vec } from '../backend/backend.js';
import { slot } from '../backend/backend.js';
import type { BackendChoice } from '../backend/create.js';
import type { CsrMatrix } from '../sparse/csr.js';
import type { DenseMatrix } from './dense-matrix.js';
import type { LinearOperator } from './operator.js';
import type { Operator } from './operators.js';
import { AbortError, ShapeMismatchError } from '../errors.js';
import { requireFinite, requireInteger, toFloat64Array } from '../validate.js';
import {
  EPS, EPS_WGSL, checkSignal, requireFiniteNonNegative, requireNonNegative, requireOptions, runGuardedLoop,
  solveLeastSquaresOnHost, symOrtho, wgslOnePlusLeOne, wgslSymOrtho, type Rotation,
} from './krylov-common.js';

export interface LsqrOptions {
  /** Damping: minimize ||A x - b||² + damp² ||x||². Default 0. */
  damp?: number;
  /** Stopping tolerances (scipy's atol, btol). Default 1e-6 each. */
  atol?: number;
  btol?: number;
  /** Stop when the estimate of cond(Ā) exceeds conlim (0 disables). Default 1e8. */
  conlim?: number;
  /** Iteration limit (scipy's iter_lim). Default 2n. */
  iterLim?: number;
  /** Starting point (length n). Default zeros. */
  x0?: Float64Array;
  /** Aborts the solve (checked at each scalar read-back); throws AbortError. */
  signal?: AbortSignal;
}

export interface LsqrCoreResult {
  /** The solution, a vector on the backend owned by the caller. */
  x: Vec;
  /** The stopping code 0..7 (see {@link LSQR_MESSAGES}). */
  istop: number;
  /** Iterations run. */
  itn: number;
  /** Estimate of ||b - A x|| (negative when the estimate's square came out negative, as scipy). */
  r1norm: number;
  /** Estimate of sqrt(||b - A x||² + damp² ||x||²). */
  r2norm: number;
  /** Estimate of the Frobenius norm of [A; damp I]. */
  anorm: number;
  /** Estimate of cond([A; damp I]). */
  acond: number;
  /** Estimate of ||Aᵀ(b - A x) - damp² x||. */
  arnorm: number;
  /** Estimate of ||x||. */
  xnorm: number;
}

export interface LsqrResult {
  x: Float64Array;
  istop: number;
  itn: number;
  r1norm: number;
  r2norm: number;
  anorm: number;
  acond: number;
  arnorm: number;
  xnorm: number;
  /** scipy's message for `istop`. */
  message: string;
  /** Where the solve ran. */
  backend: BackendKind;
}

/** scipy's messages, indexed by istop. */
export const LSQR_MESSAGES: readonly string[] = [
  'The exact solution is  x = 0',
  'Ax - b is small enough, given atol, btol',
  'The least-squares solution is good enough, given atol',
  'The estimate of cond(Abar) has exceeded conlim',
  'Ax - b is small enough for this machine',
  'The least-squares solution is good enough for this machine',
  'Cond(Abar) seems to be too large for this machine',
  'The iteration limit has been reached',
];

const OPTION_NAMES = ['damp', 'atol', 'btol', 'conlim', 'iterLim', 'x0', 'signal'] as const;

// ---------------------------------------------------------------------------------------
// The scalar block. Inputs: MAXITER..CTOL (written by the host), BNORM, BETA, ALPHA_NEW,
// WNORM (written by nrm2). Everything else is recurrence state or a vector coefficient.

const DONE = 0; // guard: non-zero once the loop has stopped
const ISTOP = 1;
const ITN = 2;
const MAXITER = 3;
const DAMP = 4;
const ATOL = 5;
const BTOL = 6;
const CTOL = 7; // 1 / conlim, or 0
const BNORM = 8; // ||b||
const ALPHA = 9; // α_k
const BETA = 10; // ||u|| after u ← A v − α u
const ALPHA_NEW = 11; // ||v|| after v ← Aᵀu − β v
const U_SCALE = 12; // 1/β (1 when β = 0)
const V_COEF = 13; // −β (1 when β = 0: v is kept)
const V_SCALE = 14; // 1/α (1 when β = 0 or α = 0)
const WNORM = 15; // ||w|| before its update (for ||d_k|| = ||w|| / ρ)
const ANORM = 16;
const ACOND = 17;
const DDNORM = 18;
const RES2 = 19;
const XNORM = 20;
const XXNORM = 21;
const Z = 22;
const CS2 = 23;
const SN2 = 24;
const RHOBAR = 25;
const PHIBAR = 26;
const R1NORM = 27;
const R2NORM = 28;
const ARNORM = 29;
const X_COEF = 30; // x ← x + X_COEF w  (t1 = φ/ρ)
const W_COEF = 31; // w ← v + W_COEF w  (t2 = −θ/ρ)
const SLOTS = 32;

const rot: Rotation = { c: 0, s: 0, r: 0 };

/** Sets up the recurrences from α₁, β₁ and decides the early exit (istop 0). */
const LSQR_INIT: ScalarKernel = {
  name: 'lsqr.init',
  cpu: (s) => {
    const alpha = s[ALPHA], beta = s[BETA];
    s[ISTOP] = 0;
    s[ITN] = 0;
    s[ANORM] = 0;
    s[ACOND] = 0;
    s[DDNORM] = 0;
    s[RES2] = 0;
    s[XNORM] = 0;
    s[XXNORM] = 0;
    s[Z] = 0;
    s[CS2] = -1;
    s[SN2] = 0;
    s[RHOBAR] = alpha;
    s[PHIBAR] = beta;
    s[R1NORM] = beta;
    s[R2NORM] = beta;
    s[ARNORM] = alpha * beta;
    s[DONE] = s[ARNORM] === 0 || s[MAXITER] <= 0 ? 1 : 0;
  },
  wgsl: /* wgsl */ `
  let alpha = s[${ALPHA}];
  let beta = s[${BETA}];
  s[${ISTOP}] = 0.0;
  s[${ITN}] = 0.0;
  s[${ANORM}] = 0.0;
  s[${ACOND}] = 0.0;
  s[${DDNORM}] = 0.0;
  s[${RES2}] = 0.0;
  s[${XNORM}] = 0.0;
  s[${XXNORM}] = 0.0;
  s[${Z}] = 0.0;
  s[${CS2}] = -1.0;
  s[${SN2}] = 0.0;
  s[${RHOBAR}] = alpha;
  s[${PHIBAR}] = beta;
  s[${R1NORM}] = beta;
  s[${R2NORM}] = beta;
  s[${ARNORM}] = alpha * beta;
  s[${DONE}] = select(0.0, 1.0, s[${ARNORM}] == 0.0 || s[${MAXITER}] <= 0.0);`,
};

/** After β = ||A v − α u||: counts the iteration, updates ||A||, sets the u and v coefficients. */
const LSQR_BETA: ScalarKernel = {
  name: 'lsqr.beta',
  cpu: (s) => {
    s[ITN] = s[ITN] + 1;
    const beta = s[BETA];
    if (beta > 0) {
      s[U_SCALE] = 1 / beta;
      s[V_COEF] = -beta;
      const anorm = s[ANORM], alpha = s[ALPHA], damp = s[DAMP];
      s[ANORM] = Math.sqrt(anorm * anorm + alpha * alpha + beta * beta + damp * damp);
    } else {
      s[U_SCALE] = 1;
      s[V_COEF] = 1;
    }
  },
  wgsl: /* wgsl */ `
  s[${ITN}] = s[${ITN}] + 1.0;
  let beta = s[${BETA}];
  if (beta > 0.0) {
    s[${U_SCALE}] = 1.0 / beta;
    s[${V_COEF}] = -beta;
    let anorm = s[${ANORM}];
    let alpha = s[${ALPHA}];
    let damp = s[${DAMP}];
    s[${ANORM}] = sqrt(anorm * anorm + alpha * alpha + beta * beta + damp * damp);
  } else {
    s[${U_SCALE}] = 1.0;
    s[${V_COEF}] = 1.0;
  }`,
};

/** After α = ||Aᵀu − β v|| and ||w||: the rotations, the estimates and scipy's stopping tests. */
const LSQR_STEP: ScalarKernel = {
  name: 'lsqr.step',
  cpu: (s) => {
    const beta = s[BETA];
    if (beta > 0) {
      s[ALPHA] = s[ALPHA_NEW];
      s[V_SCALE] = s[ALPHA] > 0 ? 1 / s[ALPHA] : 1;
    } else {
      s[V_SCALE] = 1;
    }
    const alpha = s[ALPHA];
    const damp = s[DAMP];
    const dampsq = damp * damp;

    // A plane rotation eliminates the damping parameter.
    let rhobar = s[RHOBAR];
    let phibar = s[PHIBAR];
    let rhobar1 = rhobar;
    let psi = 0;
    if (damp > 0) {
      rhobar1 = Math.sqrt(rhobar * rhobar + dampsq);
      const cs1 = rhobar / rhobar1;
      const sn1 = damp / rhobar1;
      psi = sn1 * phibar;
      phibar = cs1 * phibar;
    }

    // A plane rotation eliminates the subdiagonal β.
    symOrtho(rhobar1, beta, rot);
    const cs = rot.c, sn = rot.s, rho = rot.r;
    const theta = sn * alpha;
    rhobar = -cs * alpha;
    const phi = cs * phibar;
    phibar = sn * phibar;
    const tau = sn * phi;
    s[RHOBAR] = rhobar;
    s[PHIBAR] = phibar;

    // Coefficients of the x and w updates; ||d_k||² = ||w / ρ||².
    s[X_COEF] = phi / rho;
    s[W_COEF] = -theta / rho;
    const dk = (1 / rho) * s[WNORM];
    s[DDNORM] = s[DDNORM] + dk * dk;

    // A rotation on the right eliminates θ; the result estimates ||x||.
    const delta = s[SN2] * rho;
    const gambar = -s[CS2] * rho;
    const rhs = phi - delta * s[Z];
    const zbar = rhs / gambar;
    const xnorm = Math.sqrt(s[XXNORM] + zbar * zbar);
    s[XNORM] = xnorm;
    const gamma = Math.sqrt(gambar * gambar + theta * theta);
    s[CS2] = gambar / gamma;
    s[SN2] = theta / gamma;
    const z = rhs / gamma;
    s[Z] = z;
    s[XXNORM] = s[XXNORM] + z * z;

    // cond(Ā), ||r̄|| and ||Āᵀr̄||.
    const anorm = s[ANORM];
    const acond = anorm * Math.sqrt(s[DDNORM]);
    s[ACOND] = acond;
    const res1 = phibar * phibar;
    s[RES2] = s[RES2] + psi * psi;
    const rnorm = Math.sqrt(res1 + s[RES2]);
    const arnorm = alpha * Math.abs(tau);
    s[ARNORM] = arnorm;
    if (damp > 0) {
      const r1sq = rnorm * rnorm - dampsq * s[XXNORM];
      const r1 = Math.sqrt(Math.abs(r1sq));
      s[R1NORM] = r1sq < 0 ? -r1 : r1;
    } else {
      s[R1NORM] = rnorm;
    }
    s[R2NORM] = rnorm;

    // The stopping tests, the later ones taking precedence.
    const bnorm = s[BNORM];
    const test1 = rnorm / bnorm;
    const test2 = arnorm / (anorm * rnorm + EPS);
    const test3 = 1 / (acond + EPS);
    const t1 = test1 / (1 + (anorm * xnorm) / bnorm);
    const rtol = s[BTOL] + (s[ATOL] * anorm * xnorm) / bnorm;
    let istop = 0;
    if (s[ITN] >= s[MAXITER]) istop = 7;
    if (1 + test3 <= 1) istop = 6;
    if (1 + test2 <= 1) istop = 5;
    if (1 + t1 <= 1) istop = 4;
    if (test3 <= s[CTOL]) istop = 3;
    if (test2 <= s[ATOL]) istop = 2;
    if (test1 <= rtol) istop = 1;
    s[ISTOP] = istop;
  },
  // rho = 0 would need rhobar = β = 0 with damp = 0, and rhobar = 0 only follows α = 0,
  // which stops the loop (istop 2) first; gambar and gamma are then non-zero too. The one
  // reachable zero denominator is ||b|| = 0 (b = 0 with x0): the cpu function's
  // rnorm / 0 and friends are spelled out in the else branch, as WGSL leaves x / 0 undefined.
  // f32 range: ddnorm grows to about (cond(Ā) / ||Ā||)², so it overflows only when ||Ā|| is
  // below about 1e-12 (f32's istop 6 ends a solve by cond(Ā) ≈ 1.7e7).
  wgsl: /* wgsl */ `
  let beta = s[${BETA}];
  if (beta > 0.0) {
    s[${ALPHA}] = s[${ALPHA_NEW}];
    if (s[${ALPHA}] > 0.0) {
      s[${V_SCALE}] = 1.0 / s[${ALPHA}];
    } else {
      s[${V_SCALE}] = 1.0;
    }
  } else {
    s[${V_SCALE}] = 1.0;
  }
  let alpha = s[${ALPHA}];
  let damp = s[${DAMP}];
  let dampsq = damp * damp;

  // A plane rotation eliminates the damping parameter.
  var rhobar = s[${RHOBAR}];
  var phibar = s[${PHIBAR}];
  var rhobar1 = rhobar;
  var psi = 0.0;
  if (damp > 0.0) {
    rhobar1 = sqrt(rhobar * rhobar + dampsq);
    let cs1 = rhobar / rhobar1;
    let sn1 = damp / rhobar1;
    psi = sn1 * phibar;
    phibar = cs1 * phibar;
  }

  // A plane rotation eliminates the subdiagonal β.
  ${wgslSymOrtho('rhobar1', 'beta', 'cs', 'sn', 'rho')}
  let theta = sn * alpha;
  rhobar = -cs * alpha;
  let phi = cs * phibar;
  phibar = sn * phibar;
  let tau = sn * phi;
  s[${RHOBAR}] = rhobar;
  s[${PHIBAR}] = phibar;

  // Coefficients of the x and w updates; ||d_k||² = ||w / ρ||².
  s[${X_COEF}] = phi / rho;
  s[${W_COEF}] = -theta / rho;
  let dk = (1.0 / rho) * s[${WNORM}];
  s[${DDNORM}] = s[${DDNORM}] + dk * dk;

  // A rotation on the right eliminates θ; the result estimates ||x||.
  let delta = s[${SN2}] * rho;
  let gambar = -s[${CS2}] * rho;
  let rhs = phi - delta * s[${Z}];
  let zbar = rhs / gambar;
  let xnorm = sqrt(s[${XXNORM}] + zbar * zbar);
  s[${XNORM}] = xnorm;
  let gamma = sqrt(gambar * gambar + theta * theta);
  s[${CS2}] = gambar / gamma;
  s[${SN2}] = theta / gamma;
  let z = rhs / gamma;
  s[${Z}] = z;
  s[${XXNORM}] = s[${XXNORM}] + z * z;

  // cond(Ā), ||r̄|| and ||Āᵀr̄||.
  let anorm = s[${ANORM}];
  let acond = anorm * sqrt(s[${DDNORM}]);
  s[${ACOND}] = acond;
  let res1 = phibar * phibar;
  s[${RES2}] = s[${RES2}] + psi * psi;
  let rnorm = sqrt(res1 + s[${RES2}]);
  let arnorm = alpha * abs(tau);
  s[${ARNORM}] = arnorm;
  if (damp > 0.0) {
    let r1sq = rnorm * rnorm - dampsq * s[${XXNORM}];
    let r1 = sqrt(abs(r1sq));
    s[${R1NORM}] = select(r1, -r1, r1sq < 0.0);
  } else {
    s[${R1NORM}] = rnorm;
  }
  s[${R2NORM}] = rnorm;

  // The stopping tests, the later ones taking precedence.
  let bnorm = s[${BNORM}];
  let test2 = arnorm / (anorm * rnorm + ${EPS_WGSL});
  let test3 = 1.0 / (acond + ${EPS_WGSL});
  var t1Machine = false;
  var test1Passes = false;
  if (bnorm != 0.0) {
    let test1 = rnorm / bnorm;
    let t1 = test1 / (1.0 + (anorm * xnorm) / bnorm);
    let rtol = s[${BTOL}] + (s[${ATOL}] * anorm * xnorm) / bnorm;
    t1Machine = ${wgslOnePlusLeOne('t1')};
    test1Passes = test1 <= rtol;
  } else {
    // cpu: t1 is NaN; test1 <= rtol is inf <= inf when rnorm > 0 and atol·anorm·xnorm > 0,
    // else a comparison with NaN.
    test1Passes = rnorm > 0.0 && s[${ATOL}] * anorm * xnorm > 0.0;
  }
  var istop = 0.0;
  if (s[${ITN}] >= s[${MAXITER}]) { istop = 7.0; }
  if (${wgslOnePlusLeOne('test3')}) { istop = 6.0; }
  if (${wgslOnePlusLeOne('test2')}) { istop = 5.0; }
  if (t1Machine) { istop = 4.0; }
  if (test3 <= s[${CTOL}]) { istop = 3.0; }
  if (test2 <= s[${ATOL}]) { istop = 2.0; }
  if (test1Passes) { istop = 1.0; }
  s[${ISTOP}] = istop;`,
};

/** After the x and w updates (which the guard would skip): stops once istop is set. */
const LSQR_STOP: ScalarKernel = {
  name: 'lsqr.stop',
  cpu: (s) => {
    if (s[ISTOP] > 0) s[DONE] = 1;
  },
  wgsl: /* wgsl */ `
  if (s[${ISTOP}] > 0.0) { s[${DONE}] = 1.0; }`,
};

interface CheckedOptions {
  damp: number;
  atol: number;
  btol: number;
  conlim: number;
  iterLim: number | undefined;
  x0: Float64Array | undefined;
  signal: AbortSignal | undefined;
}

function checkOptions(options: LsqrOptions | undefined, n: number): CheckedOptions {
  const o = requireOptions(options);
  const x0 = o.x0 === undefined ? undefined : toFloat64Array('x0', o.x0, n);
  if (x0) requireFinite('x0', x0);
  return {
    damp: requireFiniteNonNegative('damp', o.damp ?? 0),
    atol: requireNonNegative('atol', o.atol ?? 1e-6),
    btol: requireNonNegative('btol', o.btol ?? 1e-6),
    conlim: requireNonNegative('conlim', o.conlim ?? 1e8),
    iterLim: o.iterLim === undefined ? undefined : requireInteger('iterLim', o.iterLim, 0),
    x0,
    signal: checkSignal('signal', o.signal),
  };
}

/**
 * LSQR on a backend: the solution of min ||A x - b||² + damp² ||x||² for an Operator.
 * The caller owns `b` (left unchanged) and the returned `x`.
 */
export async function lsqrCore(backend: Backend, op: Operator, b: Vec, options?: LsqrOptions): Promise<LsqrCoreResult> {
  const m = op.rows, n = op.cols;
  if (b.length !== m) throw new ShapeMismatchError('b', `length ${m} (the rows of A)`, `length ${b.length}`);
  const o = checkOptions(options, n);
  if (o.signal?.aborted) throw new AbortError('lsqr was aborted before it started');
  const iterLim = o.iterLim ?? 2 * n;

  const x = backend.vector(n, o.x0);
  const u = backend.vector(m);
  const v = backend.vector(n);
  const w = backend.vector(n);
  const tm = backend.vector(m);
  const tn = backend.vector(n);
  const init = new Float64Array(SLOTS);
  init[MAXITER] = iterLim;
  init[DAMP] = o.damp;
  init[ATOL] = o.atol;
  init[BTOL] = o.btol;
  init[CTOL] = o.conlim > 0 ? 1 / o.conlim : 0;
  const blk = backend.scalars(SLOTS, init);
  const at = (i: number) => slot(blk, i);
  let ok = false;
  try {
    // β₁ u₁ = b − A x₀,  α₁ v₁ = Aᵀ u₁,  w₁ = v₁.
    backend.copy(b, u);
    if (o.x0) {
      op.apply(x, tm);
      backend.axpby(-1, tm, 1, u);
    }
    backend.nrm2(b, at(BNORM));
    backend.nrm2(u, at(BETA));
    backend.axpby({ ref: at(BETA), invert: true }, u, 0, u);
    op.applyT(u, v);
    backend.nrm2(v, at(ALPHA));
    backend.axpby({ ref: at(ALPHA), invert: true }, v, 0, v);
    backend.copy(v, w);
    backend.scalarKernel(LSQR_INIT, blk);

    const iteration = () => {
      // Bidiagonalization: β u = A v − α u,  α v = Aᵀu − β v.
      op.apply(v, tm);
      backend.axpby(1, tm, { ref: at(ALPHA), scale: -1 }, u);
      backend.nrm2(u, at(BETA));
      backend.scalarKernel(LSQR_BETA, blk);
      backend.axpby(at(U_SCALE), u, 0, u);
      op.applyT(u, tn);
      backend.axpby(1, tn, at(V_COEF), v);
      backend.nrm2(v, at(ALPHA_NEW));
      backend.nrm2(w, at(WNORM));
      backend.scalarKernel(LSQR_STEP, blk);
      backend.axpby(at(V_SCALE), v, 0, v);
      // x and w updates.
      backend.axpby(at(X_COEF), w, 1, x);
      backend.axpby(1, v, at(W_COEF), w);
      backend.scalarKernel(LSQR_STOP, blk);
    };
    const out = await runGuardedLoop(backend, blk, DONE, iterLim, iteration, o.signal);
    if (out.aborted) throw new AbortError(`lsqr was aborted after ${out.scalars[ITN]} iterations`, await backend.read(x));
    const s = out.scalars;
    ok = true;
    return {
      x,
      istop: s[ISTOP],
      itn: s[ITN],
      r1norm: s[R1NORM],
      r2norm: s[R2NORM],
      anorm: s[ANORM],
      acond: s[ACOND],
      arnorm: s[ARNORM],
      xnorm: s[XNORM],
    };
  } finally {
    backend.release(u, v, w, tm, tn, blk);
    if (!ok) backend.release(x);
  }
}

/**
 * LSQR: the least-squares solution of A x = b (with damping: of [A; damp I] x = [b; 0]),
 * as scipy.sparse.linalg.lsqr.
 * @param a CsrMatrix, DenseMatrix or LinearOperator (m x n)
 * @param b right-hand side, length m
 */
export async function lsqr(
  a: CsrMatrix | DenseMatrix | LinearOperator,
  b: ArrayLike<number>,
  options: LsqrOptions & { backend?: BackendChoice } = {},
): Promise<LsqrResult> {
  const { x, res, backend } = await solveLeastSquaresOnHost<LsqrOptions, Awaited<ReturnType<typeof lsqrCore>>>(
    a, b, options, OPTION_NAMES, checkOptions, lsqrCore,
  );
  const { istop, itn, r1norm, r2norm, anorm, acond, arnorm, xnorm } = res;
  return { x, istop, itn, r1norm, r2norm, anorm, acond, arnorm, xnorm, message: LSQR_MESSAGES[istop], backend };
}
