/**
 * The CPU backend: Float64Arrays, every call executed eagerly. It is the reference the
 * WebGPU backend is tested against, and the fallback when no adapter exists.
 *
 * Where WebAssembly (with SIMD) is available, vectors of WASM_VECTOR_MIN entries or more
 * live in the memory of the WebAssembly kernels of sparse/csr.ts, and the vector
 * operations and CSR products on them run there (the vectors are still Float64Arrays to
 * everything else: views, refreshed when that memory grows). The kernels do the JS loops'
 * arithmetic entry for entry, in the same order (see csr.ts), so results do not depend on
 * where a vector lives.
 */
import type { Backend, Coef, DeviceMatrix, ScalarBlock, ScalarKernel, ScalarRef, Vec } from './backend.js';
import {
  CsrMatrix, StagedCsr, TransposeCache, allocKernelMemory, freeKernelMemory, hasFastProducts, vectorKernels,
  type Region, type VectorKernels,
} from '../sparse/csr.js';
import { DenseMatrix } from '../linear/dense-matrix.js';
import type { LinearOperator } from '../linear/operator.js';
import { BackendError, ShapeMismatchError } from '../errors.js';

/** Vectors this long or longer go to the kernels' memory (below, a call costs more than it saves). */
const WASM_VECTOR_MIN = 256;

/** Regions of vectors dropped without release() go back when the vectors are collected. */
const vectorRegions = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<Region>(freeKernelMemory) : null;

class CpuVec implements Vec {
  readonly length: number;
  /**
   * @param view the entries (a view of the kernels' memory when off >= 0)
   * @param off byte offset in the kernels' memory, or -1 for a JS array
   * @param region the memory this vector owns (null for a JS array or a subvector)
   * @param parent the vector a subvector views, kept alive with it (so that its memory is)
   * @param kernels the vector kernels when the entries are in their memory
   */
  constructor(
    private view: Float64Array,
    readonly off: number,
    public region: Region | null,
    private readonly parent: CpuVec | null,
    readonly kernels: VectorKernels | null,
  ) {
    this.length = view.length;
  }
  /** The entries; a view of the kernels' memory is remade after that memory grew (which detaches views). */
  get data(): Float64Array {
    if (this.off >= 0 && this.view.buffer !== this.kernels!.memory.buffer) {
      this.view = new Float64Array(this.kernels!.memory.buffer, this.off, this.length);
    }
    return this.view;
  }
}

/** The kernels when every vector is in their memory, any two either the same entries or disjoint. */
function kernelsFor(...vs: CpuVec[]): VectorKernels | null {
  const k = vs[0].kernels;
  if (!k) return null;
  for (let i = 1; i < vs.length; i++) if (vs[i].kernels !== k) return null;
  for (let i = 0; i < vs.length; i++) {
    for (let j = i + 1; j < vs.length; j++) {
      const a = vs[i], b = vs[j];
      const same = a.off === b.off && a.length === b.length;
      if (!same && a.off < b.off + 8 * b.length && b.off < a.off + 8 * a.length) return null;
    }
  }
  return k;
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
    if (this.scatterNext(a, y.buffer !== x.buffer, y.length, x.length)) {
      if (!(this.stagedA ??= new StagedCsr(a)).product(true, y, x)) a.rmatvec(y, x);
      return;
    }
    const t = this.transposed(a);
    if (!(this.stagedT ??= new StagedCsr(t)).product(false, y, x)) t.matvec(y, x);
  }
  /** y = A x for vectors in the kernels' memory; false where the other paths must do it. */
  productAInPlace(a: CsrMatrix, x: CpuVec, y: CpuVec): boolean {
    if (!inKernelMemory(x, y, a.cols, a.rows)) return false;
    return (this.stagedA ??= new StagedCsr(a)).productAt(false, x.off, y.off);
  }
  /** x = Aᵀ y for vectors in the kernels' memory; false where the other paths must do it. */
  productATInPlace(a: CsrMatrix, y: CpuVec, x: CpuVec): boolean {
    if (!inKernelMemory(y, x, a.rows, a.cols)) return false;
    if (this.scatterNext(a, true, y.length, x.length)) return (this.stagedA ??= new StagedCsr(a)).productAt(true, y.off, x.off);
    const t = this.transposed(a);
    return (this.stagedT ??= new StagedCsr(t)).productAt(false, y.off, x.off);
  }
  releaseStaged(): void {
    this.stagedA?.release();
    this.stagedT?.release();
  }
  /**
   * Whether this Aᵀy should be the scatter over A (see SCATTERS_BEFORE_TRANSPOSE): y and x
   * of A's lengths, disjoint, and A's products in WebAssembly.
   */
  scatterNext(a: CsrMatrix, disjoint: boolean, yLength: number, xLength: number): boolean {
    if (this.t !== null || this.scatters >= SCATTERS_BEFORE_TRANSPOSE) return false;
    if (!disjoint || yLength !== a.rows || xLength !== a.cols || !hasFastProducts(a)) return false;
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

/** Both vectors in the kernels' memory, of the product's lengths, and disjoint. */
function inKernelMemory(vin: CpuVec, vout: CpuVec, inLength: number, outLength: number): boolean {
  if (vin.off < 0 || vout.off < 0 || vin.length !== inLength || vout.length !== outLength) return false;
  return vin.off + 8 * inLength <= vout.off || vout.off + 8 * outLength <= vin.off;
}

function cpuVec(v: Vec): CpuVec {
  if (!(v instanceof CpuVec)) throw new BackendError('a vector from another backend was passed to the CPU backend');
  return v;
}

function vec(v: Vec): Float64Array {
  return cpuVec(v).data;
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
    const k = n >= WASM_VECTOR_MIN ? vectorKernels() : null;
    // A view of the kernels' memory as `init` would be detached if the allocation grows it.
    if (k && init && init.buffer === k.memory.buffer) init = init.slice();
    const region = k ? allocKernelMemory(8 * n) : null;
    if (!k || !region) return new CpuVec(init ? new Float64Array(init) : new Float64Array(n), -1, null, null, null);
    const view = new Float64Array(k.memory.buffer, region.off, n);
    if (init) view.set(init);
    else view.fill(0);
    const v = new CpuVec(view, region.off, region, null, k);
    vectorRegions?.register(v, region, v);
    return v;
  }

  subvector(v: Vec, offset: number, length: number): Vec {
    const p = cpuVec(v), d = p.data;
    if (offset < 0 || length < 0 || offset + length > d.length) {
      throw new ShapeMismatchError('subvector', `a range inside [0, ${d.length})`, `[${offset}, ${offset + length})`);
    }
    const k = p.off >= 0 ? vectorKernels() : null;
    return new CpuVec(d.subarray(offset, offset + length), p.off >= 0 ? p.off + 8 * offset : -1, null, p, k);
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
    if (m instanceof CsrMatrix && (a as CpuMatrix).productAInPlace(m, cpuVec(x), cpuVec(y))) return;
    const xd = vec(x), yd = vec(y);
    if (m instanceof CsrMatrix) (a as CpuMatrix).productA(m, xd, yd);
    else if (m instanceof DenseMatrix) m.matvec(xd, yd);
    else {
      // A LinearOperator is the caller's code: it gets its own copy of a vector that lives
      // in the kernels' memory (that memory may grow while it runs, detaching views), and
      // the output view is taken after it returns.
      const r = m.matvec(cpuVec(x).off >= 0 ? xd.slice() : xd);
      const out = vec(y);
      if (r.length !== out.length) throw new ShapeMismatchError('LinearOperator.matvec', `a result of length ${out.length}`, `length ${r.length}`);
      out.set(r);
    }
  }

  rmatvec(a: DeviceMatrix, y: Vec, x: Vec): void {
    if (this.skipped()) return;
    const dm = a as CpuMatrix;
    const m = dm.a;
    if (m instanceof CsrMatrix && dm.productATInPlace(m, cpuVec(y), cpuVec(x))) return;
    const xd = vec(x), yd = vec(y);
    if (m instanceof CsrMatrix) dm.productAT(m, yd, xd);
    else if (m instanceof DenseMatrix) m.rmatvec(yd, xd);
    else {
      const r = m.rmatvec(cpuVec(y).off >= 0 ? yd.slice() : yd);
      const out = vec(x);
      if (r.length !== out.length) throw new ShapeMismatchError('LinearOperator.rmatvec', `a result of length ${out.length}`, `length ${r.length}`);
      out.set(r);
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
    const xv = cpuVec(x), yv = cpuVec(y);
    sameLength(xv.data, yv.data, 'axpby');
    const av = this.coef(a), bv = this.coef(b);
    const k = kernelsFor(xv, yv), n = yv.length;
    if (k) {
      if (bv === 0) k.scale(av, xv.off, yv.off, n);
      else if (bv === 1) k.axpy(av, xv.off, yv.off, n);
      else k.axpby(av, xv.off, bv, yv.off, n);
      return;
    }
    const xd = xv.data, yd = yv.data;
    if (bv === 0) scaleInto(av, xd, yd);
    else if (bv === 1) axpyInto(av, xd, yd);
    else axpbyInto(av, xd, bv, yd);
  }

  mul(x: Vec, y: Vec, z: Vec, b: Coef = 0): void {
    if (this.skipped()) return;
    const xv = cpuVec(x), yv = cpuVec(y), zv = cpuVec(z);
    sameLength(xv.data, yv.data, 'mul');
    sameLength(xv.data, zv.data, 'mul');
    const bv = this.coef(b);
    const k = kernelsFor(xv, yv, zv), n = zv.length;
    if (k) {
      if (bv === 0) k.mul(xv.off, yv.off, zv.off, n);
      else k.muladd(xv.off, yv.off, bv, zv.off, n);
      return;
    }
    const xd = xv.data, yd = yv.data, zd = zv.data;
    if (bv === 0) mulInto(xd, yd, zd);
    else mulAddInto(xd, yd, bv, zd);
  }

  dot(x: Vec, y: Vec, out: ScalarRef): void {
    if (this.skipped()) return;
    const xv = cpuVec(x), yv = cpuVec(y);
    sameLength(xv.data, yv.data, 'dot');
    const k = kernelsFor(xv, yv);
    block(out.block)[out.index] = k ? k.dot(xv.off, yv.off, xv.length) : dotOf(xv.data, yv.data);
  }

  nrm2(x: Vec, out: ScalarRef): void {
    if (this.skipped()) return;
    const xv = cpuVec(x);
    const k = kernelsFor(xv);
    block(out.block)[out.index] = k ? norm2(xv.data, k.dot(xv.off, xv.off, xv.length)) : norm2(xv.data);
  }

  setGuard(guard: ScalarRef | null): void {
    this.guard = guard;
  }

  async flush(): Promise<void> {}

  release(...handles: (Vec | ScalarBlock | DeviceMatrix)[]): void {
    // A vector in the kernels' memory and a matrix's staged copies go back to that memory;
    // JS arrays and scalar blocks are garbage-collected.
    for (const h of handles) {
      if (h instanceof CpuMatrix) h.releaseStaged();
      else if (h instanceof CpuVec && h.region) {
        freeKernelMemory(h.region);
        vectorRegions?.unregister(h);
        h.region = null;
      }
    }
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
export function norm2(x: ArrayLike<number>, sumOfSquares?: number): number {
  const s = sumOfSquares ?? (x instanceof Float64Array ? dotOf(x, x) : plainSumOfSquares(x));
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
