/**
 * LSMR (Fong & Saunders 2011): min ||A x - b||² + damp² ||x||² by Golub-Kahan
 * bidiagonalization, with MINRES applied to the normal equations, so that ||Aᵀr||
 * decreases monotonically. Semantics, defaults, stopping codes and estimates follow
 * scipy 1.17's `scipy.sparse.linalg.lsmr`.
 *
 * Written once against the deferred Backend: every vector operation is a backend call,
 * and each iteration's scalar recurrence runs in three scalar kernels over one block:
 *
 *   u ← A v − α u;  β ← ||u||            [kernel `lsmr.beta`: itn, 1/β, −β]
 *   u ← u / β;  v ← Aᵀu − β v;  α ← ||v||
 *                                         [kernel `lsmr.rotate`: the rotations Q̂, Q, Q̄,
 *                                          the ||r||, ||A||, cond(A) estimates, and the
 *                                          coefficients of the h, h̄, x updates]
 *   v ← v / α;  h̄ ← h − (θ̄ρ/(ρ_old ρ̄_old)) h̄;  x ← x + (ζ/(ρρ̄)) h̄;  h ← v − (θ/ρ) h
 *   ||x||                                 [kernel `lsmr.test`: the stopping tests, istop, done]
 *
 * The `done` slot guards the loop body, so iterations encoded after the stopping test
 * fired change nothing; scalars are read back every `backend.syncInterval` iterations.
 * When β = 0 (the Krylov space is exhausted) u, v and α keep their values, as in scipy.
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
  checkSignal, requireFiniteNonNegative, requireNonNegative, requireOptions, runGuardedLoop,
  solveLeastSquaresOnHost, symOrtho, wgslOnePlusLeOne, wgslSymOrtho, type Rotation,
} from './krylov-common.js';

export interface LsmrOptions {
  /** Damping: minimize ||A x - b||² + damp² ||x||². Default 0. */
  damp?: number;
  /** Stopping tolerances (scipy's atol, btol). Default 1e-6 each. */
  atol?: number;
  btol?: number;
  /** Stop when the estimate of cond(Ā) exceeds conlim (0 disables). Default 1e8. */
  conlim?: number;
  /** Iteration limit. Default min(m, n). */
  maxiter?: number;
  /** Starting point (length n). Default zeros. */
  x0?: Float64Array;
  /** Aborts the solve (checked at each scalar read-back); throws AbortError. */
  signal?: AbortSignal;
}

export interface LsmrCoreResult {
  /** The solution, a vector on the backend owned by the caller. */
  x: Vec;
  /** The stopping code 0..7 (see {@link LSMR_MESSAGES}). */
  istop: number;
  /** Iterations run. */
  itn: number;
  /** Estimate of ||b - A x|| (with damping: of ||[b; 0] - [A; damp I] x||). */
  normr: number;
  /** Estimate of ||Aᵀ(b - A x) - damp² x||. */
  normar: number;
  /** Estimate of the Frobenius norm of [A; damp I]. */
  normA: number;
  /** Estimate of cond([A; damp I]). */
  condA: number;
  /** ||x||. */
  normx: number;
}

export interface LsmrResult {
  x: Float64Array;
  istop: number;
  itn: number;
  normr: number;
  normar: number;
  normA: number;
  condA: number;
  normx: number;
  /** scipy's message for `istop`. */
  message: string;
  /** Where the solve ran. */
  backend: BackendKind;
}

/** scipy's messages, indexed by istop. */
export const LSMR_MESSAGES: readonly string[] = [
  'The exact solution is x = 0, or x = x0, if x0 was given',
  'Ax - b is small enough, given atol, btol',
  'The least-squares solution is good enough, given atol',
  'The estimate of cond(Abar) has exceeded conlim',
  'Ax - b is small enough for this machine',
  'The least-squares solution is good enough for this machine',
  'Cond(Abar) seems to be too large for this machine',
  'The iteration limit has been reached',
];

const OPTION_NAMES = ['damp', 'atol', 'btol', 'conlim', 'maxiter', 'x0', 'signal'] as const;

// ---------------------------------------------------------------------------------------
// The scalar block. Inputs: MAXITER..CTOL (written by the host), NORMB, BETA, ALPHA_NEW,
// NORMX (written by nrm2). Everything else is recurrence state or a vector coefficient.

const DONE = 0; // guard: non-zero once the loop has stopped
const ISTOP = 1;
const ITN = 2;
const MAXITER = 3;
const DAMP = 4;
const ATOL = 5;
const BTOL = 6;
const CTOL = 7; // 1 / conlim, or 0
const NORMB = 8; // ||b||
const ALPHA = 9; // α_k
const BETA = 10; // ||u|| after u ← A v − α u
const ALPHA_NEW = 11; // ||v|| after v ← Aᵀu − β v
const U_SCALE = 12; // 1/β (1 when β = 0)
const V_COEF = 13; // −β (1 when β = 0: v is kept)
const V_SCALE = 14; // 1/α (1 when β = 0 or α = 0)
const X_KEEP = 15; // 0 when b = 0 (scipy then returns x = 0 even with x0), else 1
const ALPHABAR = 16;
const RHO = 17;
const RHOBAR = 18;
const CBAR = 19;
const SBAR = 20;
const ZETA = 21;
const ZETABAR = 22;
const BETADD = 23; // ||r|| estimate: β̈
const BETAD = 24; // β̇
const RHODOLD = 25;
const TAUTILDEOLD = 26;
const THETATILDE = 27;
const DSUM = 28; // d: the sum of β̌²
const NORMA2 = 29;
const MAXRBAR = 30;
const MINRBAR = 31; // min over ρ̄ of iterations ≥ 2 (scipy starts it at 1e100)
const NORMA = 32;
const CONDA = 33;
const NORMX = 34;
const NORMR = 35;
const NORMAR = 36;
const HBAR_COEF = 37; // h̄ ← h + HBAR_COEF h̄
const X_COEF = 38; // x ← x + X_COEF h̄
const H_COEF = 39; // h ← v + H_COEF h
const SLOTS = 40;

const rot: Rotation = { c: 0, s: 0, r: 0 };

/** Sets up the recurrences from α₁, β₁ and decides the early exits (istop 0). */
const LSMR_INIT: ScalarKernel = {
  name: 'lsmr.init',
  cpu: (s) => {
    const alpha = s[ALPHA], beta = s[BETA];
    s[ZETABAR] = alpha * beta;
    s[ALPHABAR] = alpha;
    s[RHO] = 1;
    s[RHOBAR] = 1;
    s[CBAR] = 1;
    s[SBAR] = 0;
    s[BETADD] = beta;
    s[BETAD] = 0;
    s[RHODOLD] = 1;
    s[TAUTILDEOLD] = 0;
    s[THETATILDE] = 0;
    s[ZETA] = 0;
    s[DSUM] = 0;
    s[NORMA2] = alpha * alpha;
    s[MAXRBAR] = 0;
    s[MINRBAR] = 0;
    s[NORMA] = Math.sqrt(alpha * alpha);
    s[CONDA] = 1;
    s[NORMX] = 0;
    s[ISTOP] = 0;
    s[ITN] = 0;
    s[NORMR] = beta;
    s[NORMAR] = alpha * beta;
    s[X_KEEP] = 1;
    s[DONE] = 0;
    if (s[NORMAR] === 0) s[DONE] = 1;
    else if (s[NORMB] === 0) {
      s[DONE] = 1;
      s[X_KEEP] = 0;
    } else if (s[MAXITER] <= 0) s[DONE] = 1;
  },
  // ||A|| starts at |α|, which is the cpu's sqrt(α²) exactly, without an f32 sqrt's rounding.
  wgsl: /* wgsl */ `
  let alpha = s[${ALPHA}];
  let beta = s[${BETA}];
  s[${ZETABAR}] = alpha * beta;
  s[${ALPHABAR}] = alpha;
  s[${RHO}] = 1.0;
  s[${RHOBAR}] = 1.0;
  s[${CBAR}] = 1.0;
  s[${SBAR}] = 0.0;
  s[${BETADD}] = beta;
  s[${BETAD}] = 0.0;
  s[${RHODOLD}] = 1.0;
  s[${TAUTILDEOLD}] = 0.0;
  s[${THETATILDE}] = 0.0;
  s[${ZETA}] = 0.0;
  s[${DSUM}] = 0.0;
  s[${NORMA2}] = alpha * alpha;
  s[${MAXRBAR}] = 0.0;
  s[${MINRBAR}] = 0.0;
  s[${NORMA}] = abs(alpha);
  s[${CONDA}] = 1.0;
  s[${NORMX}] = 0.0;
  s[${ISTOP}] = 0.0;
  s[${ITN}] = 0.0;
  s[${NORMR}] = beta;
  s[${NORMAR}] = alpha * beta;
  s[${X_KEEP}] = 1.0;
  s[${DONE}] = 0.0;
  if (s[${NORMAR}] == 0.0) {
    s[${DONE}] = 1.0;
  } else if (s[${NORMB}] == 0.0) {
    s[${DONE}] = 1.0;
    s[${X_KEEP}] = 0.0;
  } else if (s[${MAXITER}] <= 0.0) {
    s[${DONE}] = 1.0;
  }`,
};

/** After β = ||A v − α u||: counts the iteration and sets the u and v coefficients. */
const LSMR_BETA: ScalarKernel = {
  name: 'lsmr.beta',
  cpu: (s) => {
    s[ITN] = s[ITN] + 1;
    const beta = s[BETA];
    if (beta > 0) {
      s[U_SCALE] = 1 / beta;
      s[V_COEF] = -beta;
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
  } else {
    s[${U_SCALE}] = 1.0;
    s[${V_COEF}] = 1.0;
  }`,
};

/** After α = ||Aᵀu − β v||: the rotations, the estimates of ||r||, ||A||, cond(A), ||Aᵀr||. */
const LSMR_ROTATE: ScalarKernel = {
  name: 'lsmr.rotate',
  cpu: (s) => {
    const beta = s[BETA];
    if (beta > 0) {
      s[ALPHA] = s[ALPHA_NEW];
      s[V_SCALE] = s[ALPHA] > 0 ? 1 / s[ALPHA] : 1;
    } else {
      s[V_SCALE] = 1;
    }
    const alpha = s[ALPHA];
    const itn = s[ITN];

    // Rotation Q̂_{k,2k+1} eliminates damp.
    symOrtho(s[ALPHABAR], s[DAMP], rot);
    const chat = rot.c, shat = rot.s, alphahat = rot.r;

    // Rotation Q_k turns B_k into R_k.
    const rhoold = s[RHO];
    symOrtho(alphahat, beta, rot);
    const c = rot.c, sn = rot.s, rho = rot.r;
    s[RHO] = rho;
    const thetanew = sn * alpha;
    s[ALPHABAR] = c * alpha;

    // Rotation Q̄_k turns R_kᵀ into R̄_k.
    const rhobarold = s[RHOBAR];
    const zetaold = s[ZETA];
    const cbarold = s[CBAR];
    const thetabar = s[SBAR] * rho;
    const rhotemp = cbarold * rho;
    symOrtho(cbarold * rho, thetanew, rot);
    const cbar = rot.c, sbar = rot.s, rhobar = rot.r;
    s[CBAR] = cbar;
    s[SBAR] = sbar;
    s[RHOBAR] = rhobar;
    const zeta = cbar * s[ZETABAR];
    s[ZETA] = zeta;
    s[ZETABAR] = -sbar * s[ZETABAR];

    // Coefficients of the h̄, x and h updates.
    s[HBAR_COEF] = -((thetabar * rho) / (rhoold * rhobarold));
    s[X_COEF] = zeta / (rho * rhobar);
    s[H_COEF] = -(thetanew / rho);

    // Estimate of ||r||: apply Q̂, Q and Q̃_{k-1}.
    const betadd = s[BETADD];
    const betaacute = chat * betadd;
    const betacheck = -shat * betadd;
    const betahat = c * betaacute;
    s[BETADD] = -sn * betaacute;
    const thetatildeold = s[THETATILDE];
    symOrtho(s[RHODOLD], thetabar, rot);
    const ctildeold = rot.c, stildeold = rot.s, rhotildeold = rot.r;
    const thetatilde = stildeold * rhobar;
    s[THETATILDE] = thetatilde;
    const rhodold = ctildeold * rhobar;
    s[RHODOLD] = rhodold;
    const betad = -stildeold * s[BETAD] + ctildeold * betahat;
    s[BETAD] = betad;
    const tautildeold = (zetaold - thetatildeold * s[TAUTILDEOLD]) / rhotildeold;
    s[TAUTILDEOLD] = tautildeold;
    const taud = (zeta - thetatilde * tautildeold) / rhodold;
    s[DSUM] = s[DSUM] + betacheck * betacheck;
    const bt = betad - taud;
    s[NORMR] = Math.sqrt(s[DSUM] + bt * bt + s[BETADD] * s[BETADD]);

    // Estimate of ||A||.
    let normA2 = s[NORMA2] + beta * beta;
    s[NORMA] = Math.sqrt(normA2);
    normA2 = normA2 + alpha * alpha;
    s[NORMA2] = normA2;

    // Estimate of cond(A): max ρ̄ over min ρ̄ (ρ̄ from iteration 2 on), with ρ_temp.
    s[MAXRBAR] = Math.max(s[MAXRBAR], rhobarold);
    if (itn === 2) s[MINRBAR] = rhobarold;
    else if (itn > 2) s[MINRBAR] = Math.min(s[MINRBAR], rhobarold);
    const denom = itn > 1 ? Math.min(s[MINRBAR], rhotemp) : rhotemp;
    s[CONDA] = Math.max(s[MAXRBAR], rhotemp) / denom;

    s[NORMAR] = Math.abs(s[ZETABAR]);
  },
  // No denominator here is zero in a reachable state: ρ, ρ̄ and ρ̃ are > 0 while α ≠ 0,
  // and α = 0 makes ||Aᵀr|| = 0, which stops the loop (istop 1 or 2) before it is used.
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
  let itn = s[${ITN}];

  // Rotation Q̂_{k,2k+1} eliminates damp.
  ${wgslSymOrtho(`s[${ALPHABAR}]`, `s[${DAMP}]`, 'chat', 'shat', 'alphahat')}

  // Rotation Q_k turns B_k into R_k.
  let rhoold = s[${RHO}];
  ${wgslSymOrtho('alphahat', 'beta', 'c', 'sn', 'rho')}
  s[${RHO}] = rho;
  let thetanew = sn * alpha;
  s[${ALPHABAR}] = c * alpha;

  // Rotation Q̄_k turns R_kᵀ into R̄_k.
  let rhobarold = s[${RHOBAR}];
  let zetaold = s[${ZETA}];
  let cbarold = s[${CBAR}];
  let thetabar = s[${SBAR}] * rho;
  let rhotemp = cbarold * rho;
  ${wgslSymOrtho('cbarold * rho', 'thetanew', 'cbar', 'sbar', 'rhobar')}
  s[${CBAR}] = cbar;
  s[${SBAR}] = sbar;
  s[${RHOBAR}] = rhobar;
  let zeta = cbar * s[${ZETABAR}];
  s[${ZETA}] = zeta;
  s[${ZETABAR}] = -sbar * s[${ZETABAR}];

  // Coefficients of the h̄, x and h updates.
  s[${HBAR_COEF}] = -((thetabar * rho) / (rhoold * rhobarold));
  s[${X_COEF}] = zeta / (rho * rhobar);
  s[${H_COEF}] = -(thetanew / rho);

  // Estimate of ||r||: apply Q̂, Q and Q̃_{k-1}.
  let betadd = s[${BETADD}];
  let betaacute = chat * betadd;
  let betacheck = -shat * betadd;
  let betahat = c * betaacute;
  s[${BETADD}] = -sn * betaacute;
  let thetatildeold = s[${THETATILDE}];
  ${wgslSymOrtho(`s[${RHODOLD}]`, 'thetabar', 'ctildeold', 'stildeold', 'rhotildeold')}
  let thetatilde = stildeold * rhobar;
  s[${THETATILDE}] = thetatilde;
  let rhodold = ctildeold * rhobar;
  s[${RHODOLD}] = rhodold;
  let betad = -stildeold * s[${BETAD}] + ctildeold * betahat;
  s[${BETAD}] = betad;
  let tautildeold = (zetaold - thetatildeold * s[${TAUTILDEOLD}]) / rhotildeold;
  s[${TAUTILDEOLD}] = tautildeold;
  let taud = (zeta - thetatilde * tautildeold) / rhodold;
  s[${DSUM}] = s[${DSUM}] + betacheck * betacheck;
  let bt = betad - taud;
  s[${NORMR}] = sqrt(s[${DSUM}] + bt * bt + s[${BETADD}] * s[${BETADD}]);

  // Estimate of ||A||.
  var normA2 = s[${NORMA2}] + beta * beta;
  s[${NORMA}] = sqrt(normA2);
  normA2 = normA2 + alpha * alpha;
  s[${NORMA2}] = normA2;

  // Estimate of cond(A): max ρ̄ over min ρ̄ (ρ̄ from iteration 2 on), with ρ_temp.
  s[${MAXRBAR}] = max(s[${MAXRBAR}], rhobarold);
  if (itn == 2.0) {
    s[${MINRBAR}] = rhobarold;
  } else if (itn > 2.0) {
    s[${MINRBAR}] = min(s[${MINRBAR}], rhobarold);
  }
  let denom = select(rhotemp, min(s[${MINRBAR}], rhotemp), itn > 1.0);
  s[${CONDA}] = max(s[${MAXRBAR}], rhotemp) / denom;

  s[${NORMAR}] = abs(s[${ZETABAR}]);`,
};

/** After ||x||: scipy's stopping tests, the later ones taking precedence. */
const LSMR_TEST: ScalarKernel = {
  name: 'lsmr.test',
  cpu: (s) => {
    const normr = s[NORMR], normA = s[NORMA], normb = s[NORMB], normx = s[NORMX];
    const test1 = normr / normb;
    const haveTest2 = normA * normr !== 0; // else test2 = inf: neither test2 check passes
    const test2 = haveTest2 ? s[NORMAR] / (normA * normr) : 0;
    const test3 = 1 / s[CONDA];
    const t1 = test1 / (1 + (normA * normx) / normb);
    const rtol = s[BTOL] + (s[ATOL] * normA * normx) / normb;
    let istop = 0;
    if (s[ITN] >= s[MAXITER]) istop = 7;
    if (1 + test3 <= 1) istop = 6;
    if (haveTest2 && 1 + test2 <= 1) istop = 5;
    if (1 + t1 <= 1) istop = 4;
    if (test3 <= s[CTOL]) istop = 3;
    if (haveTest2 && test2 <= s[ATOL]) istop = 2;
    if (test1 <= rtol) istop = 1;
    s[ISTOP] = istop;
    if (istop > 0) s[DONE] = 1;
  },
  // ||b|| = 0 never reaches this kernel (lsmr.init stops the loop), and cond(A) > 0.
  wgsl: /* wgsl */ `
  let normr = s[${NORMR}];
  let normA = s[${NORMA}];
  let normb = s[${NORMB}];
  let normx = s[${NORMX}];
  let test1 = normr / normb;
  let haveTest2 = normA * normr != 0.0;
  var test2 = 0.0;
  if (haveTest2) { test2 = s[${NORMAR}] / (normA * normr); }
  let test3 = 1.0 / s[${CONDA}];
  let t1 = test1 / (1.0 + (normA * normx) / normb);
  let rtol = s[${BTOL}] + (s[${ATOL}] * normA * normx) / normb;
  var istop = 0.0;
  if (s[${ITN}] >= s[${MAXITER}]) { istop = 7.0; }
  if (${wgslOnePlusLeOne('test3')}) { istop = 6.0; }
  if (haveTest2 && ${wgslOnePlusLeOne('test2')}) { istop = 5.0; }
  if (${wgslOnePlusLeOne('t1')}) { istop = 4.0; }
  if (test3 <= s[${CTOL}]) { istop = 3.0; }
  if (haveTest2 && test2 <= s[${ATOL}]) { istop = 2.0; }
  if (test1 <= rtol) { istop = 1.0; }
  s[${ISTOP}] = istop;
  if (istop > 0.0) { s[${DONE}] = 1.0; }`,
};

interface CheckedOptions {
  damp: number;
  atol: number;
  btol: number;
  conlim: number;
  maxiter: number | undefined;
  x0: Float64Array | undefined;
  signal: AbortSignal | undefined;
}

function checkOptions(options: LsmrOptions | undefined, n: number): CheckedOptions {
  const o = requireOptions(options);
  const x0 = o.x0 === undefined ? undefined : toFloat64Array('x0', o.x0, n);
  if (x0) requireFinite('x0', x0);
  return {
    damp: requireFiniteNonNegative('damp', o.damp ?? 0),
    atol: requireNonNegative('atol', o.atol ?? 1e-6),
    btol: requireNonNegative('btol', o.btol ?? 1e-6),
    conlim: requireNonNegative('conlim', o.conlim ?? 1e8),
    maxiter: o.maxiter === undefined ? undefined : requireInteger('maxiter', o.maxiter, 0),
    x0,
    signal: checkSignal('signal', o.signal),
  };
}

/**
 * LSMR on a backend: the solution of min ||A x - b||² + damp² ||x||² for an Operator.
 * The caller owns `b` (left unchanged) and the returned `x`.
 */
export async function lsmrCore(backend: Backend, op: Operator, b: Vec, options?: LsmrOptions): Promise<LsmrCoreResult> {
  const m = op.rows, n = op.cols;
  if (b.length !== m) throw new ShapeMismatchError('b', `length ${m} (the rows of A)`, `length ${b.length}`);
  const o = checkOptions(options, n);
  if (o.signal?.aborted) throw new AbortError('lsmr was aborted before it started');
  const maxiter = o.maxiter ?? Math.min(m, n);

  const x = backend.vector(n, o.x0);
  const u = backend.vector(m);
  const v = backend.vector(n);
  const h = backend.vector(n);
  const hbar = backend.vector(n);
  const tm = backend.vector(m);
  const tn = backend.vector(n);
  const init = new Float64Array(SLOTS);
  init[MAXITER] = maxiter;
  init[DAMP] = o.damp;
  init[ATOL] = o.atol;
  init[BTOL] = o.btol;
  init[CTOL] = o.conlim > 0 ? 1 / o.conlim : 0;
  const blk = backend.scalars(SLOTS, init);
  const at = (i: number) => slot(blk, i);
  let ok = false;
  try {
    // β₁ u₁ = b − A x₀,  α₁ v₁ = Aᵀ u₁.
    backend.copy(b, u);
    if (o.x0) {
      op.apply(x, tm);
      backend.axpby(-1, tm, 1, u);
    }
    backend.nrm2(b, at(NORMB));
    backend.nrm2(u, at(BETA));
    backend.axpby({ ref: at(BETA), invert: true }, u, 0, u);
    op.applyT(u, v);
    backend.nrm2(v, at(ALPHA));
    backend.axpby({ ref: at(ALPHA), invert: true }, v, 0, v);
    backend.scalarKernel(LSMR_INIT, blk);
    if (o.x0) backend.axpby(at(X_KEEP), x, 0, x);
    backend.copy(v, h);
    backend.fill(hbar, 0);

    const iteration = () => {
      // Bidiagonalization: β u = A v − α u,  α v = Aᵀu − β v.
      op.apply(v, tm);
      backend.axpby(1, tm, { ref: at(ALPHA), scale: -1 }, u);
      backend.nrm2(u, at(BETA));
      backend.scalarKernel(LSMR_BETA, blk);
      backend.axpby(at(U_SCALE), u, 0, u);
      op.applyT(u, tn);
      backend.axpby(1, tn, at(V_COEF), v);
      backend.nrm2(v, at(ALPHA_NEW));
      backend.scalarKernel(LSMR_ROTATE, blk);
      backend.axpby(at(V_SCALE), v, 0, v);
      // h̄, x, h updates.
      backend.axpby(1, h, at(HBAR_COEF), hbar);
      backend.axpby(at(X_COEF), hbar, 1, x);
      backend.axpby(1, v, at(H_COEF), h);
      backend.nrm2(x, at(NORMX));
      backend.scalarKernel(LSMR_TEST, blk);
    };
    const out = await runGuardedLoop(backend, blk, DONE, maxiter, iteration, o.signal);
    if (out.aborted) throw new AbortError(`lsmr was aborted after ${out.scalars[ITN]} iterations`, await backend.read(x));
    const s = out.scalars;
    ok = true;
    return {
      x,
      istop: s[ISTOP],
      itn: s[ITN],
      normr: s[NORMR],
      normar: s[NORMAR],
      normA: s[NORMA],
      condA: s[CONDA],
      normx: s[NORMX],
    };
  } finally {
    backend.release(u, v, h, hbar, tm, tn, blk);
    if (!ok) backend.release(x);
  }
}

/**
 * LSMR: the least-squares solution of A x = b (with damping: of [A; damp I] x = [b; 0]),
 * as scipy.sparse.linalg.lsmr.
 * @param a CsrMatrix, DenseMatrix or LinearOperator (m x n)
 * @param b right-hand side, length m
 */
export async function lsmr(
  a: CsrMatrix | DenseMatrix | LinearOperator,
  b: ArrayLike<number>,
  options: LsmrOptions & { backend?: BackendChoice } = {},
): Promise<LsmrResult> {
  const { x, res, backend } = await solveLeastSquaresOnHost<LsmrOptions, Awaited<ReturnType<typeof lsmrCore>>>(
    a, b, options, OPTION_NAMES, checkOptions, lsmrCore,
  );
  const { istop, itn, normr, normar, normA, condA, normx } = res;
  return { x, istop, itn, normr, normar, normA, condA, normx, message: LSMR_MESSAGES[istop], backend };
}
