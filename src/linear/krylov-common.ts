/**
 * Pieces shared by the Krylov solvers written against the deferred Backend (LSQR, LSMR,
 * Steihaug-CG): the stable plane rotation used inside their scalar kernels, the guarded
 * iteration loop with periodic read-back, and option checks.
 *
 * The scalar helpers here are called from `ScalarKernel.cpu` functions, so they keep to
 * what a one-thread WGSL kernel can do: plain arithmetic, sqrt, abs, min/max and branches.
 */
import type { Backend, BackendKind, ScalarBlock, Vec } from '../backend/backend.js';
import { slot } from '../backend/backend.js';
import { InvalidArgumentError, ShapeMismatchError } from '../errors.js';
import { describe, rejectUnknownOptions, requireFinite, toFloat64Array } from '../validate.js';
import { matrixOperator, type Operator } from './operators.js';
import { resolveBackend, type BackendChoice } from '../backend/create.js';
import { CsrMatrix } from '../sparse/csr.js';
import { DenseMatrix } from './dense-matrix.js';
import { isLinearOperator, type LinearOperator } from './operator.js';

/**
 * Machine epsilon of f64 (numpy's `eps`). LSQR adds it to keep a denominator off zero;
 * the WGSL twins add the same value ({@link EPS_WGSL}), while their "for this machine"
 * tests `1 + x <= 1` are the f32 machine's ({@link wgslOnePlusLeOne}).
 */
export const EPS = 2.220446049250313e-16;

// The WGSL twins run in f32 and otherwise follow their cpu functions operation for
// operation. Slots holding squares (LSQR's ddnorm, res2, xxnorm; LSMR's normA2 and d;
// Steihaug-CG's dots) bound what an f32 solve can represent to norms of about 1e±18;
// a twin departs from the cpu order only where an intermediate would leave f32's range
// inside those bounds (Steihaug's boundary crossings), and says so.

/**
 * {@link EPS} as a WGSL literal. f32 holds it (a normal number), so a twin keeps the
 * `cpu` function's guard against a zero denominator at every scale instead of adding
 * f32's 1.19e-7, which would bias a ratio like ||Aᵀr|| / (||A|| ||r|| + eps) whenever
 * ||A|| ||r|| is small (a badly scaled problem, not a converged one).
 */
export const EPS_WGSL = '2.220446049250313e-16';

/**
 * WGSL for the `cpu` test `1 + x <= 1` run in f32 (round to nearest even): it holds
 * exactly when x <= 2⁻²⁴ (1 + 2⁻²⁴ ties to 1), NaN failing both. Written as the
 * comparison because a shader compiler allowed fast math may fold `1 + x <= 1` to
 * `x <= 0`. So the twins' "for this machine" stopping codes (LSQR/LSMR istop 4, 5, 6)
 * fire at f32's precision, where an f32 solve stops making progress.
 */
export function wgslOnePlusLeOne(x: string): string {
  return `(${x} <= 0x1p-24f)`;
}

/** The result of {@link symOrtho}: [c s; s -c]·[a; b] = [r; 0]. */
export interface Rotation {
  c: number;
  s: number;
  r: number;
}

/** numpy's sign: -1, 0 or 1 (0 for ±0). */
export function sign(x: number): number {
  return x > 0 ? 1 : x < 0 ? -1 : 0;
}

/**
 * The stable plane rotation of Choi's SymOrtho (scipy's `_sym_ortho`): c, s, r with
 * c a + s b = r, c b - s a = 0 and r = ±||(a, b)||, avoiding 1/eps. Writes into `out`
 * (no allocation); the WGSL twin is a function returning vec3(c, s, r).
 */
export function symOrtho(a: number, b: number, out: Rotation): void {
  if (b === 0) {
    out.c = sign(a);
    out.s = 0;
    out.r = Math.abs(a);
  } else if (a === 0) {
    out.c = 0;
    out.s = sign(b);
    out.r = Math.abs(b);
  } else if (Math.abs(b) > Math.abs(a)) {
    const tau = a / b;
    const s = sign(b) / Math.sqrt(1 + tau * tau);
    out.s = s;
    out.c = s * tau;
    out.r = b / s;
  } else {
    const tau = b / a;
    const c = sign(a) / Math.sqrt(1 + tau * tau);
    out.c = c;
    out.s = c * tau;
    out.r = a / c;
  }
}

/**
 * The WGSL twin of {@link symOrtho}, written out inline (a kernel body cannot declare a
 * function): declares `var c, s, r: f32` under the given names and assigns them exactly
 * as symOrtho does, branch for branch. |tau| <= 1, so 1 + tau² cannot overflow or lose
 * the rotation in f32 either. `a` and `b` are WGSL expressions, evaluated once.
 */
export function wgslSymOrtho(a: string, b: string, c: string, s: string, r: string): string {
  return `var ${c}: f32;
  var ${s}: f32;
  var ${r}: f32;
  {
    let so_a = ${a};
    let so_b = ${b};
    if (so_b == 0.0) {
      ${c} = sgn(so_a);
      ${s} = 0.0;
      ${r} = abs(so_a);
    } else if (so_a == 0.0) {
      ${c} = 0.0;
      ${s} = sgn(so_b);
      ${r} = abs(so_b);
    } else if (abs(so_b) > abs(so_a)) {
      let so_tau = so_a / so_b;
      let so_s = sgn(so_b) / sqrt(1.0 + so_tau * so_tau);
      ${s} = so_s;
      ${c} = so_s * so_tau;
      ${r} = so_b / so_s;
    } else {
      let so_tau = so_b / so_a;
      let so_c = sgn(so_a) / sqrt(1.0 + so_tau * so_tau);
      ${c} = so_c;
      ${s} = so_c * so_tau;
      ${r} = so_a / so_c;
    }
  }`;
}

/** How a guarded loop ended. */
export interface LoopOutcome {
  /** The scalar block as last read back. */
  scalars: Float64Array;
  /** Iterations encoded (not all of them need have run: those past `done` were no-ops). */
  encoded: number;
  /** The signal fired before the loop finished. */
  aborted: boolean;
}

/**
 * Runs a Krylov loop the deferred way: `body` encodes one iteration; it is encoded up to
 * `maxIter` times under the guard `block[doneIndex]`, so that iterations encoded after
 * the loop's own stopping test fired change nothing. Scalars are read back every
 * `backend.syncInterval` iterations (every iteration on the CPU) to decide whether to
 * stop and to check `signal`. The guard is cleared on every exit.
 */
export async function runGuardedLoop(
  backend: Backend,
  block: ScalarBlock,
  doneIndex: number,
  maxIter: number,
  body: () => void,
  signal: AbortSignal | undefined,
): Promise<LoopOutcome> {
  const interval = Math.max(1, Math.floor(backend.syncInterval));
  let encoded = 0;
  backend.setGuard(slot(block, doneIndex));
  try {
    for (;;) {
      const batch = Math.min(interval, maxIter - encoded);
      for (let i = 0; i < batch; i++) body();
      encoded += Math.max(0, batch);
      const scalars = await backend.readScalars(block);
      if (scalars[doneIndex] !== 0 || encoded >= maxIter) return { scalars, encoded, aborted: false };
      if (signal?.aborted) return { scalars, encoded, aborted: true };
    }
  } finally {
    backend.setGuard(null);
  }
}

/** Throws unless `signal` is undefined or looks like an AbortSignal. */
export function checkSignal(name: string, signal: unknown): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (typeof signal !== 'object' || signal === null || typeof (signal as AbortSignal).aborted !== 'boolean') {
    throw new InvalidArgumentError(name, 'an AbortSignal', `got ${describe(signal)}`);
  }
  return signal as AbortSignal;
}

/** Throws unless `v` is a finite number >= 0 (damping and the like). */
export function requireFiniteNonNegative(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new InvalidArgumentError(name, 'a finite number >= 0', `got ${describe(v)}`);
  }
  return v;
}

/** Throws unless `v` is a number >= 0, Infinity allowed (tolerances, conlim). */
export function requireNonNegative(name: string, v: unknown): number {
  if (typeof v !== 'number' || Number.isNaN(v) || v < 0) {
    throw new InvalidArgumentError(name, 'a number >= 0', `got ${describe(v)}`);
  }
  return v;
}

/** Throws unless `options` is undefined or an object; returns it (or {}). */
export function requireOptions<T extends object>(options: T | undefined): T {
  if (options === undefined) return {} as T;
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('options', 'an object', `got ${describe(options)}`);
  }
  return options;
}

/** Throws unless `a` is a CsrMatrix, a DenseMatrix or a LinearOperator. */
export function requireOperand(name: string, a: unknown): CsrMatrix | DenseMatrix | LinearOperator {
  if (a instanceof CsrMatrix || a instanceof DenseMatrix || isLinearOperator(a)) return a;
  throw new InvalidArgumentError(name, 'a CsrMatrix, DenseMatrix or LinearOperator', `got ${describe(a)}`);
}

/**
 * Resolves a public `backend` option, runs `fn` on it and disposes the backend when it
 * was created here (a Backend instance passed in belongs to the caller).
 */
export async function withBackend<T>(option: BackendChoice | undefined, fn: (backend: Backend) => Promise<T>): Promise<T> {
  if (option === null) throw new InvalidArgumentError('backend', "'auto', 'cpu' or a Backend", 'got null');
  const { backend, owned } = await resolveBackend(option);
  try {
    return await fn(backend);
  } finally {
    if (owned) backend.dispose();
  }
}

/**
 * The host-level entry of a least-squares Krylov solver (lsqr, lsmr): checks A, b and the
 * options, uploads A and b to the backend, runs `core`, reads x back and frees everything.
 */
export async function solveLeastSquaresOnHost<O extends object, R extends { x: Vec }>(
  a: CsrMatrix | DenseMatrix | LinearOperator,
  b: ArrayLike<number>,
  options: (O & { backend?: BackendChoice }) | undefined,
  optionNames: readonly string[],
  checkOptions: (o: O, n: number) => void,
  core: (backend: Backend, op: Operator, b: Vec, o: O) => Promise<R>,
): Promise<{ x: Float64Array; res: R; backend: BackendKind }> {
  const o = requireOptions(options);
  rejectUnknownOptions('options', o, [...optionNames, 'backend']);
  requireOperand('A', a);
  const m = a.rows;
  const bv = toFloat64Array('b', b);
  if (bv.length !== m) throw new ShapeMismatchError('b', `length ${m} (the rows of A)`, `length ${bv.length}`);
  requireFinite('b', bv);
  const { backend: backendOption, ...rest } = o;
  const solverOptions = rest as unknown as O;
  checkOptions(solverOptions, a.cols);
  return withBackend(backendOption, async (backend) => {
    const dev = backend.matrix(a);
    const bVec = backend.vector(m, bv);
    try {
      const res = await core(backend, matrixOperator(backend, dev), bVec, solverOptions);
      try {
        return { x: await backend.read(res.x), res, backend: backend.kind };
      } finally {
        backend.release(res.x);
      }
    } finally {
      backend.release(bVec, dev);
    }
  });
}
