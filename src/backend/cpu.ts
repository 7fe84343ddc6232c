/**
 * The CPU backend: Float64Arrays, every call executed eagerly. It is the reference the
 * WebGPU backend is tested against, and the fallback when no adapter exists.
 */
import type { Backend, Coef, DeviceMatrix, ScalarBlock, ScalarKernel, ScalarRef, Vec } from './backend.js';
import { CsrMatrix, StagedCsr, TransposeCache, hasFastProducts } from '../sparse/csr.js';
import { DenseMatrix } from '../linear/dense-matrix.js';
import type { LinearOperator } from '../linear/operator.js';
import { BackendError, ShapeMismatchError } from '../errors.js';

class CpuVec implements Vec {
  constructor(readonly data: Float64Array) {}
  get length(): number {
    return this.data.length;
  }
}

class CpuScalars implements ScalarBlock {
  constructor(readonly data: Float64Array) {}
  get size(): number {
    return this.data.length;
  }
}

/**
 * Products Aᵀy by the scatter over A's rows before a CSR matrix gets its stored Aᵀ, where
 * the scatter is as fast as the gather (CSR products in WebAssembly): a trust-region
 * iteration's Jacobian typically meets only a few Aᵀy, a long Krylov solve thousands.
 */
const SCATTERS_BEFORE_TRANSPOSE = 32;

class CpuMatrix implements DeviceMatrix {
  /**
   * Aᵀ stored as its own CSR, made on the first Aᵀy (or, with the WebAssembly products,
   * after SCATTERS_BEFORE_TRANSPOSE of them): with the JS loops a row-wise gather is about
   * twice as fast as the scatter over A's rows, and Krylov loops call Aᵀy every iteration.
   * The backend's TransposeCache makes it a gather of the values when the previous matrix
   * had the same structure (each iteration's Jacobian of a solve, typically). The scatter
   * and the gather add the same products in the same order (row index ascending, from +0;
   * the scatter's skipped y_i = 0 terms add ±0 to a sum that is never -0), so either gives
   * the same Aᵀy to the bit.
   */
  private t: CsrMatrix | null = null;
  private scatters = 0;
  /**
   * A and Aᵀ kept in the WebAssembly kernels' memory after their first product, so that a
   * Krylov solve copies only vectors per product, not the matrix (the upload's snapshot,
   * as on the GPU). Freed by release(); the JS loops take over where they cannot be used.
   */
  private stagedA: StagedCsr | null = null;
  private stagedT: StagedCsr | null = null;
  constructor(readonly a: CsrMatrix | DenseMatrix | LinearOperator, private readonly transposes: TransposeCache) {}
  transposed(a: CsrMatrix): CsrMatrix {
    return (this.t ??= this.transposes.transpose(a));
  }
  /** y = A x for the CSR A. */
  productA(a: CsrMatrix, x: Float64Array, y: Float64Array): void {
    if (!(this.stagedA ??= new StagedCsr(a)).product(false, x, y)) a.matvec(x, y);
  }
  /** x = Aᵀ y for the CSR A: the scatter over A, or the gather over the stored Aᵀ. */
  productAT(a: CsrMatrix, y: Float64Array, x: Float64Array): void {
    if (this.scatterNext(a, y, x)) {
      if (!(this.stagedA ??= new StagedCsr(a)).product(true, y, x)) a.rmatvec(y, x);
      return;
    }
    const t = this.transposed(a);
    if (!(this.stagedT ??= new StagedCsr(t)).product(false, y, x)) t.matvec(y, x);
  }
  releaseStaged(): void {
    this.stagedA?.release();
    this.stagedT?.release();
  }
  /** Whether this Aᵀy should be the scatter over A (see SCATTERS_BEFORE_TRANSPOSE). */
  scatterNext(a: CsrMatrix, y: Float64Array, x: Float64Array): boolean {
    if (this.t !== null || this.scatters >= SCATTERS_BEFORE_TRANSPOSE) return false;
    if (y.buffer === x.buffer || y.length !== a.rows || x.length !== a.cols || !hasFastProducts(a)) return false;
    this.scatters++;
    return true;
  }
  get rows(): number {
    return this.a.rows;
  }
  get cols(): number {
    return this.a.cols;
  }
}

function vec(v: Vec): Float64Array {
  if (!(v instanceof CpuVec)) throw new BackendError('a vector from another backend was passed to the CPU backend');
  return v.data;
}

function block(b: ScalarBlock): Float64Array {
  if (!(b instanceof CpuScalars)) throw new BackendError('a scalar block from another backend was passed to the CPU backend');
  return b.data;
}

function sameLength(a: Float64Array, b: Float64Array, what: string): void {
  if (a.length !== b.length) throw new ShapeMismatchError(what, `length ${a.length}`, `length ${b.length}`);
}

/** Creates a CPU backend. */
export function createCpuBackend(): Backend {
  return new CpuBackend();
}

export class CpuBackend implements Backend {
  readonly kind = 'cpu' as const;
  readonly syncInterval = 1;
  private guard: ScalarRef | null = null;
  private readonly transposes = new TransposeCache();

  private skipped(): boolean {
    return this.guard !== null && block(this.guard.block)[this.guard.index] !== 0;
  }

  private coef(c: Coef): number {
    if (typeof c === 'number') return c;
    if ('block' in c) return block(c.block)[c.index];
    const v = block(c.ref.block)[c.ref.index];
    const base = c.invert ? (v === 0 ? 0 : 1 / v) : v;
    return base * (c.scale ?? 1);
  }

  vector(n: number, init?: Float64Array): Vec {
    if (init && init.length !== n) throw new ShapeMismatchError('init', `length ${n}`, `length ${init.length}`);
    return new CpuVec(init ? new Float64Array(init) : new Float64Array(n));
  }

  subvector(v: Vec, offset: number, length: number): Vec {
    const d = vec(v);
    if (offset < 0 || length < 0 || offset + length > d.length) {
      throw new ShapeMismatchError('subvector', `a range inside [0, ${d.length})`, `[${offset}, ${offset + length})`);
    }
    return new CpuVec(d.subarray(offset, offset + length));
  }

  write(v: Vec, values: Float64Array): void {
    const d = vec(v);
    sameLength(d, values, 'values');
    d.set(values);
  }

  async read(v: Vec): Promise<Float64Array> {
    return new Float64Array(vec(v));
  }

  scalars(size: number, init?: ArrayLike<number>): ScalarBlock {
    const b = new CpuScalars(new Float64Array(size));
    if (init) b.data.set(init);
    return b;
  }

  writeScalars(b: ScalarBlock, values: ArrayLike<number>, offset = 0): void {
    block(b).set(values, offset);
  }

  async readScalars(b: ScalarBlock): Promise<Float64Array> {
    return new Float64Array(block(b));
  }

  scalarKernel(kernel: ScalarKernel, b: ScalarBlock): void {
    if (this.skipped()) return;
    kernel.cpu(block(b));
  }

  matrix(a: CsrMatrix | DenseMatrix | LinearOperator): DeviceMatrix {
    return new CpuMatrix(a, this.transposes);
  }

  matvec(a: DeviceMatrix, x: Vec, y: Vec): void {
    if (this.skipped()) return;
    const m = (a as CpuMatrix).a;
    const xd = vec(x), yd = vec(y);
    if (m instanceof CsrMatrix) (a as CpuMatrix).productA(m, xd, yd);
    else if (m instanceof DenseMatrix) m.matvec(xd, yd);
    else {
      const r = m.matvec(xd);
      if (r.length !== yd.length) throw new ShapeMismatchError('LinearOperator.matvec', `a result of length ${yd.length}`, `length ${r.length}`);
      yd.set(r);
    }
  }

  rmatvec(a: DeviceMatrix, y: Vec, x: Vec): void {
    if (this.skipped()) return;
    const dm = a as CpuMatrix;
    const m = dm.a;
    const xd = vec(x), yd = vec(y);
    if (m instanceof CsrMatrix) dm.productAT(m, yd, xd);
    else if (m instanceof DenseMatrix) m.rmatvec(yd, xd);
    else {
      const r = m.rmatvec(yd);
      if (r.length !== xd.length) throw new ShapeMismatchError('LinearOperator.rmatvec', `a result of length ${xd.length}`, `length ${r.length}`);
      xd.set(r);
    }
  }

  copy(src: Vec, dst: Vec): void {
    if (this.skipped()) return;
    const s = vec(src), d = vec(dst);
    sameLength(s, d, 'copy');
    d.set(s);
  }

  fill(v: Vec, value: number): void {
    if (this.skipped()) return;
    vec(v).fill(value);
  }

  axpby(a: Coef, x: Vec, b: Coef, y: Vec): void {
    if (this.skipped()) return;
    const xd = vec(x), yd = vec(y);
    sameLength(xd, yd, 'axpby');
    const av = this.coef(a), bv = this.coef(b);
    if (bv === 0) scaleInto(av, xd, yd);
    else if (bv === 1) axpyInto(av, xd, yd);
    else axpbyInto(av, xd, bv, yd);
  }

  mul(x: Vec, y: Vec, z: Vec, b: Coef = 0): void {
    if (this.skipped()) return;
    const xd = vec(x), yd = vec(y), zd = vec(z);
    sameLength(xd, yd, 'mul');
    sameLength(xd, zd, 'mul');
    const bv = this.coef(b);
    if (bv === 0) mulInto(xd, yd, zd);
    else mulAddInto(xd, yd, bv, zd);
  }

  dot(x: Vec, y: Vec, out: ScalarRef): void {
    if (this.skipped()) return;
    const xd = vec(x), yd = vec(y);
    sameLength(xd, yd, 'dot');
    block(out.block)[out.index] = dotOf(xd, yd);
  }

  nrm2(x: Vec, out: ScalarRef): void {
    if (this.skipped()) return;
    block(out.block)[out.index] = norm2(vec(x));
  }

  setGuard(guard: ScalarRef | null): void {
    this.guard = guard;
  }

  async flush(): Promise<void> {}

  release(...handles: (Vec | ScalarBlock | DeviceMatrix)[]): void {
    // Vectors and scalars are garbage-collected; a matrix frees its staged copies.
    for (const h of handles) if (h instanceof CpuMatrix) h.releaseStaged();
  }

  dispose(): void {
    this.guard = null;
    this.transposes.clear();
  }
}

/**
 * ||x||₂ without overflow or underflow: a plain sum of squares when it is safely in
 * range, else the scaled form (as LAPACK's dnrm2).
 */
export function norm2(x: ArrayLike<number>): number {
  const s = x instanceof Float64Array ? dotOf(x, x) : plainSumOfSquares(x);
  if (s > 1e-280 && s < 1e280) return Math.sqrt(s);
  if (s === 0) {
    // may be an underflow of tiny entries
    let any = false;
    for (let i = 0; i < x.length; i++) if (x[i] !== 0) { any = true; break; }
    if (!any) return 0;
  }
  let scale = 0, ssq = 1;
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i]);
    if (a === 0) continue;
    if (scale < a) {
      ssq = 1 + ssq * (scale / a) ** 2;
      scale = a;
    } else ssq += (a / scale) ** 2;
  }
  return scale * Math.sqrt(ssq);
}

function plainSumOfSquares(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s;
}

// ---------------------------------------------------------------------------------------
// Vector kernels, four entries per loop trip. V8 does not unroll loops; doing it by hand
// takes 25-35% off each pass over a 10^4-vector. Every entry is computed by the same
// statement, in the same order, as in a one-entry loop (a reduction keeps its single
// accumulator), so the results, and the effect of aliased arguments, are unchanged.

/** y = a x */
function scaleInto(a: number, x: Float64Array, y: Float64Array): void {
  const n = y.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    y[i] = a * x[i];
    y[i + 1] = a * x[i + 1];
    y[i + 2] = a * x[i + 2];
    y[i + 3] = a * x[i + 3];
  }
  for (; i < n; i++) y[i] = a * x[i];
}

/** y += a x */
function axpyInto(a: number, x: Float64Array, y: Float64Array): void {
  const n = y.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    y[i] += a * x[i];
    y[i + 1] += a * x[i + 1];
    y[i + 2] += a * x[i + 2];
    y[i + 3] += a * x[i + 3];
  }
  for (; i < n; i++) y[i] += a * x[i];
}

/** y = a x + b y */
function axpbyInto(a: number, x: Float64Array, b: number, y: Float64Array): void {
  const n = y.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    y[i] = a * x[i] + b * y[i];
    y[i + 1] = a * x[i + 1] + b * y[i + 1];
    y[i + 2] = a * x[i + 2] + b * y[i + 2];
    y[i + 3] = a * x[i + 3] + b * y[i + 3];
  }
  for (; i < n; i++) y[i] = a * x[i] + b * y[i];
}

/** z = x ∘ y */
function mulInto(x: Float64Array, y: Float64Array, z: Float64Array): void {
  const n = z.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    z[i] = x[i] * y[i];
    z[i + 1] = x[i + 1] * y[i + 1];
    z[i + 2] = x[i + 2] * y[i + 2];
    z[i + 3] = x[i + 3] * y[i + 3];
  }
  for (; i < n; i++) z[i] = x[i] * y[i];
}

/** z = x ∘ y + b z */
function mulAddInto(x: Float64Array, y: Float64Array, b: number, z: Float64Array): void {
  const n = z.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    z[i] = x[i] * y[i] + b * z[i];
    z[i + 1] = x[i + 1] * y[i + 1] + b * z[i + 1];
    z[i + 2] = x[i + 2] * y[i + 2] + b * z[i + 2];
    z[i + 3] = x[i + 3] * y[i + 3] + b * z[i + 3];
  }
  for (; i < n; i++) z[i] = x[i] * y[i] + b * z[i];
}

/** x · y, summed in index order from +0 */
function dotOf(x: Float64Array, y: Float64Array): number {
  const n = x.length;
  let s = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s += x[i] * y[i];
    s += x[i + 1] * y[i + 1];
    s += x[i + 2] * y[i + 2];
    s += x[i + 3] * y[i + 3];
  }
  for (; i < n; i++) s += x[i] * y[i];
  return s;
}
