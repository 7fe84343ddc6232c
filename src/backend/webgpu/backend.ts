/// <reference types="@webgpu/types" />
/**
 * The WebGPU backend: f32 storage buffers and WGSL kernels (shaders/*.wgsl), deferred.
 * Every vector operation, SpMV, reduction and scalar kernel is encoded into one open
 * command encoder; `flush`, `read` and `readScalars` submit it. Scalars live in one arena
 * buffer, so coefficients, guards and Krylov recurrences never leave the GPU between the
 * read-backs a solver asks for (every `syncInterval` iterations).
 *
 * - Vectors are {buffer, offset, length}; a subvector is a view of its parent's buffer,
 *   its offset passed to kernels as a uniform.
 * - A CsrMatrix is uploaded with its transpose as a second CSR (Aᵀ y is an SpMV too, no
 *   float atomics). A DenseMatrix is uploaded as a CSR holding every entry (a first pass:
 *   a dense kernel would read less index data). A LinearOperator is not supported: its
 *   products are host callbacks, which a deferred backend would have to interleave with
 *   submits and read-backs; use the CPU backend for it.
 * - Buffers come from a pool keyed by size class; `release` returns them, `dispose`
 *   destroys everything (and the device when the backend created it).
 * - SpMV and the reductions come in two flavours (kernels.ts, KernelFlavor): workgroup
 *   reductions on GPUs, barrier-free kernels on CPU adapters such as SwiftShader, where a
 *   barrier costs more than the arithmetic.
 * - Vectors that share a buffer (y = a y + b y, dot(v, v), two views of one vector) are
 *   bound once: WebGPU forbids binding a buffer twice when one binding is writable.
 */
import type { Backend, Coef, DeviceMatrix, ScalarBlock, ScalarKernel, ScalarRef, Vec } from '../backend.js';
import { CsrMatrix } from '../../sparse/csr.js';
import { DenseMatrix } from '../../linear/dense-matrix.js';
import type { LinearOperator } from '../../linear/operator.js';
import { BackendError, InvalidArgumentError, ShapeMismatchError } from '../../errors.js';
import { acquireDevice, type AcquiredDevice } from './device.js';
import { BufferPool, bufferId, type PooledBuffer } from './buffers.js';
import { SlotAllocator, type SlotRange } from './arena.js';
import { Recorder, type BufferRef } from './recorder.js';
import {
  KERNELS, PARTIALS, ZERO_COEF, elementwiseGroups, fold, isCpuAdapter, packReduce, packScalar, packSpmv, packVector,
  reductionGroups, rowBlocks, scalarKernelSpec, vectorKernel, type CoefCode, type KernelDef, type KernelFlavor, type KernelSpec,
} from './kernels.js';

const STORAGE = 0x80 | 0x04 | 0x08; // GPUBufferUsage.STORAGE | COPY_SRC | COPY_DST
const MAP_STAGING = 0x01 | 0x08; // GPUBufferUsage.MAP_READ | COPY_DST
const MAP_READ_MODE = 0x01; // GPUMapMode.READ

/** A vector's storage: a pooled buffer, null once released. */
class VecStore {
  constructor(public buf: PooledBuffer | null) {}
}

class GpuVec implements Vec {
  constructor(
    readonly owner: WebGpuBackend,
    readonly store: VecStore,
    readonly offset: number,
    readonly length: number,
    readonly isView: boolean,
  ) {}
}

class GpuScalars implements ScalarBlock {
  released = false;
  constructor(readonly owner: WebGpuBackend, readonly range: SlotRange, readonly size: number) {}
}

/** One CSR on the device, with its SpMV row blocks ('workgroup' kernels only). */
interface DeviceCsr {
  rows: number;
  indptr: PooledBuffer;
  indices: PooledBuffer;
  values: PooledBuffer;
  blocks: PooledBuffer | null;
  nblocks: number;
}

class GpuMatrix implements DeviceMatrix {
  released = false;
  constructor(
    readonly owner: WebGpuBackend,
    readonly rows: number,
    readonly cols: number,
    readonly a: DeviceCsr,
    readonly t: DeviceCsr,
    /** Aᵀ slot t holds A's slot slots[t] (for a later on-device value refresh). */
    readonly slots: Int32Array,
  ) {}
}

/** Counts for tests: buffers held by live handles, and everything allocated. */
export interface WebGpuStats {
  /** Buffers held by vectors and matrices not yet released. */
  liveBuffers: number;
  /** Every GPUBuffer the backend holds: live, pooled, staging, arena, partials, uniform ring. */
  allocatedBuffers: number;
  arenaCapacity: number;
  arenaSlotsInUse: number;
  dispatches: number;
  submits: number;
  pipelines: number;
}

/** Tuning and test hooks. */
export interface WebGpuBackendOptions {
  /** Caps workgroups per grid dimension below the device's limit (tests use it to exercise 2-D folding). */
  maxWorkgroupsPerDimension?: number;
  /** SpMV and reduction kernels: 'flat' on CPU adapters (SwiftShader...), else 'workgroup'. */
  flavor?: KernelFlavor;
}

/** Creates a WebGPU backend on `device`, or on a device of its own (destroyed by dispose()). */
export async function createWebGpuBackend(device?: GPUDevice, options?: WebGpuBackendOptions): Promise<WebGpuBackend> {
  return new WebGpuBackend(await acquireDevice(device), options);
}

export class WebGpuBackend implements Backend {
  readonly kind = 'webgpu' as const;
  readonly syncInterval = 16;
  readonly device: GPUDevice;
  readonly adapterInfo: AcquiredDevice['adapterInfo'];
  /** The SpMV and reduction kernels in use. */
  readonly flavor: KernelFlavor;
  private readonly owned: boolean;
  private readonly rec: Recorder;
  private readonly pool: BufferPool;
  private readonly staging: BufferPool;
  private readonly slotsAlloc = new SlotAllocator();
  private arena: BufferRef;
  private readonly partials: BufferRef;
  private readonly scalarSpecs = new Map<string, { spec: KernelSpec; body: string }>();
  private readonly maxBytes: number;
  private readonly maxDim: number;
  private guardSlot = -1;
  private lostReason: string | null = null;
  private disposed = false;

  constructor(acquired: AcquiredDevice, options: WebGpuBackendOptions = {}) {
    this.device = acquired.device;
    this.adapterInfo = acquired.adapterInfo;
    this.owned = acquired.owned;
    const lim = this.device.limits;
    this.maxBytes = Math.min(lim.maxStorageBufferBindingSize, lim.maxBufferSize) & ~3;
    this.flavor = options.flavor ?? (isCpuAdapter(this.adapterInfo) ? 'flat' : 'workgroup');
    this.maxDim = Math.max(1, Math.min(lim.maxComputeWorkgroupsPerDimension, options.maxWorkgroupsPerDimension ?? Infinity));
    this.rec = new Recorder(this.device);
    this.pool = new BufferPool(this.device, 'trustgpu storage');
    this.staging = new BufferPool(this.device, 'trustgpu staging');
    this.device.lost.then((info) => {
      if (!this.disposed) this.lostReason = `${info.reason}: ${info.message}`;
    }, () => {});
    this.arena = this.newBuffer(this.slotsAlloc.capacity * 4, 'trustgpu scalar arena');
    this.partials = this.newBuffer(PARTIALS * 4, 'trustgpu partial sums');
  }

  private newBuffer(bytes: number, label: string): BufferRef {
    return { buffer: this.device.createBuffer({ size: bytes, usage: STORAGE, label }), id: bufferId() };
  }

  // ---- handles ------------------------------------------------------------------------

  private alive(): void {
    if (this.disposed) throw new BackendError('the WebGPU backend was disposed');
    if (this.lostReason) throw new BackendError(`the GPU device was lost (${this.lostReason})`);
  }

  private vec(v: Vec): GpuVec & { store: { buf: PooledBuffer } } {
    this.alive();
    if (!(v instanceof GpuVec) || v.owner !== this) throw new BackendError('a vector from another backend was passed to the WebGPU backend');
    if (!v.store.buf) throw new BackendError('a released vector was used');
    return v as GpuVec & { store: { buf: PooledBuffer } };
  }

  private block(b: ScalarBlock): GpuScalars {
    this.alive();
    if (!(b instanceof GpuScalars) || b.owner !== this) throw new BackendError('a scalar block from another backend was passed to the WebGPU backend');
    if (b.released) throw new BackendError('a released scalar block was used');
    return b;
  }

  private slotOf(r: ScalarRef): number {
    const b = this.block(r.block);
    if (!Number.isInteger(r.index) || r.index < 0 || r.index >= b.size) {
      throw new InvalidArgumentError('slot index', `an integer in [0, ${b.size})`, `got ${r.index}`);
    }
    return b.range.base + r.index;
  }

  private coef(c: Coef): CoefCode {
    if (typeof c === 'number') return { value: c, slot: -1, invert: false, scale: 1 };
    if ('block' in c) return { value: 0, slot: this.slotOf(c), invert: false, scale: 1 };
    return { value: 0, slot: this.slotOf(c.ref), invert: c.invert === true, scale: c.scale ?? 1 };
  }

  private acquire(bytes: number, what: string): { buf: PooledBuffer; fresh: boolean } {
    if (bytes > this.maxBytes) {
      throw new BackendError(`${what} needs ${bytes} bytes, more than this device's largest storage binding (${this.maxBytes} bytes)`);
    }
    return this.pool.acquire(Math.max(4, bytes), STORAGE);
  }

  /** Buffers held by live vectors and matrices (pooled free buffers not counted). */
  liveBuffers(): number {
    return this.pool.live;
  }

  stats(): WebGpuStats {
    const c = this.rec.counts;
    return {
      liveBuffers: this.pool.live,
      allocatedBuffers: this.disposed ? 0 : this.pool.allocated + this.staging.allocated + this.rec.buffers + 2,
      arenaCapacity: this.slotsAlloc.capacity,
      arenaSlotsInUse: this.slotsAlloc.inUse,
      dispatches: c.dispatches,
      submits: c.submits,
      pipelines: c.pipelines,
    };
  }

  // ---- vectors ------------------------------------------------------------------------

  vector(n: number, init?: Float64Array): Vec {
    this.alive();
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('n', 'an integer >= 0', `got ${n}`);
    if (init && init.length !== n) throw new ShapeMismatchError('init', `length ${n}`, `length ${init.length}`);
    const { buf, fresh } = this.acquire(n * 4, `a vector of length ${n}`);
    const v = new GpuVec(this, new VecStore(buf), 0, n, false);
    if (init) this.rec.write(buf.buffer, 0, Float32Array.from(init));
    else if (!fresh) this.rec.clear(buf.buffer, 0, Math.max(4, n * 4));
    return v;
  }

  subvector(v: Vec, offset: number, length: number): Vec {
    const p = this.vec(v);
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > p.length) {
      throw new ShapeMismatchError('subvector', `a range inside [0, ${p.length})`, `[${offset}, ${offset + length})`);
    }
    return new GpuVec(this, p.store, p.offset + offset, length, true);
  }

  write(v: Vec, values: Float64Array): void {
    const d = this.vec(v);
    if (values.length !== d.length) throw new ShapeMismatchError('values', `length ${d.length}`, `length ${values.length}`);
    this.rec.write(d.store.buf.buffer, d.offset * 4, Float32Array.from(values));
  }

  async read(v: Vec): Promise<Float64Array> {
    const d = this.vec(v);
    return this.readBack(d.store.buf.buffer, d.offset, d.length);
  }

  /** Copies `length` f32 from `offset` of `buffer` to the host, after all work so far. */
  private async readBack(buffer: GPUBuffer, offset: number, length: number): Promise<Float64Array> {
    if (length === 0) {
      await this.rec.check();
      return new Float64Array(0);
    }
    const { buf } = this.staging.acquire(length * 4, MAP_STAGING);
    this.rec.copy(buffer, offset * 4, buf.buffer, 0, length * 4);
    try {
      const checked = this.rec.check(); // submits the copy before the map is requested
      await Promise.all([buf.buffer.mapAsync(MAP_READ_MODE, 0, length * 4), checked]);
    } catch (e) {
      this.staging.discard(buf);
      this.alive();
      throw e instanceof BackendError ? e : new BackendError(`reading back from the GPU failed: ${(e as Error)?.message ?? e}`, e);
    }
    const out = Float64Array.from(new Float32Array(buf.buffer.getMappedRange(0, length * 4)));
    buf.buffer.unmap();
    this.staging.release(buf);
    return out;
  }

  // ---- scalars ------------------------------------------------------------------------

  scalars(size: number, init?: ArrayLike<number>): ScalarBlock {
    this.alive();
    if (!Number.isInteger(size) || size < 1) throw new InvalidArgumentError('size', 'an integer >= 1', `got ${size}`);
    const { range, grownTo } = this.slotsAlloc.allocate(size);
    if (grownTo !== null) this.growArena(grownTo);
    const b = new GpuScalars(this, range, size);
    const values = new Float32Array(size);
    if (init) values.set(init);
    this.rec.write(this.arena.buffer, range.base * 4, values);
    return b;
  }

  /** A bigger arena; slots keep their positions, the old contents are copied in queue order. */
  private growArena(capacity: number): void {
    if (capacity * 4 > this.maxBytes) throw new BackendError(`the scalar arena cannot grow to ${capacity} slots on this device`);
    const old = this.arena;
    this.arena = this.newBuffer(capacity * 4, 'trustgpu scalar arena');
    this.rec.copy(old.buffer, 0, this.arena.buffer, 0, old.buffer.size);
    this.rec.destroyLater(old.buffer);
  }

  writeScalars(block: ScalarBlock, values: ArrayLike<number>, offset = 0): void {
    const b = this.block(block);
    if (!Number.isInteger(offset) || offset < 0 || offset + values.length > b.size) {
      throw new ShapeMismatchError('values', `at most ${b.size - offset} values from offset ${offset}`, `${values.length}`);
    }
    this.rec.write(this.arena.buffer, (b.range.base + offset) * 4, Float32Array.from(values));
  }

  async readScalars(block: ScalarBlock): Promise<Float64Array> {
    const b = this.block(block);
    return this.readBack(this.arena.buffer, b.range.base, b.size);
  }

  scalarKernel(kernel: ScalarKernel, block: ScalarBlock): void {
    const b = this.block(block);
    if (kernel.wgsl === undefined) throw new BackendError(`the scalar kernel '${kernel.name}' has no WGSL twin, so it cannot run on WebGPU`);
    const key = `${kernel.name}:${b.size}`;
    let cached = this.scalarSpecs.get(key);
    if (!cached) {
      cached = { spec: scalarKernelSpec(kernel.name, kernel.wgsl, b.size), body: kernel.wgsl };
      this.scalarSpecs.set(key, cached);
    } else if (cached.body !== kernel.wgsl) {
      throw new BackendError(`two scalar kernels are named '${kernel.name}' with different WGSL`);
    }
    const base = b.range.base, guard = this.guardSlot;
    this.rec.dispatch(cached.spec, [this.arena], (d) => packScalar(d, base, guard), [1, 1]);
  }

  setGuard(guard: ScalarRef | null): void {
    this.guardSlot = guard === null ? -1 : this.slotOf(guard);
  }

  // ---- matrices -----------------------------------------------------------------------

  matrix(a: CsrMatrix | DenseMatrix | LinearOperator): DeviceMatrix {
    this.alive();
    let csr: CsrMatrix;
    if (a instanceof CsrMatrix) csr = a;
    else if (a instanceof DenseMatrix) csr = denseAsCsr(a);
    else throw new BackendError('a LinearOperator needs the CPU backend: its products are host callbacks (pass backend: "cpu")');
    const { matrix: t, slots } = csr.transposeWithSlots();
    const up = this.upload(csr), upT = this.upload(t);
    return new GpuMatrix(this, csr.rows, csr.cols, up, upT, slots);
  }

  private upload(m: CsrMatrix): DeviceCsr {
    const what = `a ${m.rows} x ${m.cols} matrix with ${m.nnz} entries`;
    const put = (data: Float32Array | Uint32Array): PooledBuffer => {
      const { buf } = this.acquire(data.byteLength, what);
      this.rec.write(buf.buffer, 0, data);
      return buf;
    };
    const blocks = this.flavor === 'workgroup' ? rowBlocks(m.indptr, m.rows) : null;
    return {
      rows: m.rows,
      indptr: put(new Uint32Array(m.indptr.buffer, m.indptr.byteOffset, m.indptr.length)),
      indices: put(new Uint32Array(m.indices.buffer, m.indices.byteOffset, m.indices.length)),
      values: put(Float32Array.from(m.data)),
      blocks: blocks && put(blocks),
      nblocks: blocks ? blocks.length - 1 : 0,
    };
  }

  private mat(a: DeviceMatrix): GpuMatrix {
    this.alive();
    if (!(a instanceof GpuMatrix) || a.owner !== this) throw new BackendError('a matrix from another backend was passed to the WebGPU backend');
    if (a.released) throw new BackendError('a released matrix was used');
    return a;
  }

  private spmv(m: DeviceCsr, x: Vec, y: Vec, xName: string, yName: string, rows: number, cols: number): void {
    const xv = this.vec(x), yv = this.vec(y);
    if (xv.length !== cols) throw new ShapeMismatchError(xName, `length ${cols}`, `length ${xv.length}`);
    if (yv.length !== rows) throw new ShapeMismatchError(yName, `length ${rows}`, `length ${yv.length}`);
    if (m.rows === 0) return;
    const guard = this.guardSlot, xoff = xv.offset, yoff = yv.offset;
    const vecs = [xv.store.buf, yv.store.buf];
    if (m.blocks) {
      const nb = m.nblocks, k = vectorKernel(KERNELS.spmv, vecs);
      this.rec.dispatch(k.spec, [this.arena, m.indptr, m.indices, m.values, m.blocks, ...k.bind],
        (d) => packSpmv(d, nb, guard, xoff, yoff), this.grid(nb));
    } else {
      const rows = m.rows, k = vectorKernel(KERNELS.spmvRows, vecs);
      this.rec.dispatch(k.spec, [this.arena, m.indptr, m.indices, m.values, ...k.bind],
        (d) => packSpmv(d, rows, guard, xoff, yoff), this.grid(elementwiseGroups(rows)));
    }
  }

  matvec(a: DeviceMatrix, x: Vec, y: Vec): void {
    const m = this.mat(a);
    this.spmv(m.a, x, y, 'x', 'y', m.rows, m.cols);
  }

  rmatvec(a: DeviceMatrix, y: Vec, x: Vec): void {
    const m = this.mat(a);
    this.spmv(m.t, y, x, 'y', 'x', m.cols, m.rows);
  }

  // ---- vector operations --------------------------------------------------------------

  private grid(groups: number): [number, number] {
    const g = fold(groups, this.maxDim);
    if (g[1] > this.maxDim) throw new BackendError(`${groups} workgroups do not fit a ${this.maxDim} x ${this.maxDim} grid`);
    return g;
  }

  private elementwise(def: KernelDef, bufs: BufferRef[], n: number, xoff: number, yoff: number, zoff: number, a: CoefCode, b: CoefCode): void {
    if (n === 0) return;
    const guard = this.guardSlot;
    const k = vectorKernel(def, bufs);
    this.rec.dispatch(k.spec, [this.arena, ...k.bind], (d) => packVector(d, n, guard, xoff, yoff, zoff, a, b), this.grid(elementwiseGroups(n)));
  }

  copy(src: Vec, dst: Vec): void {
    const s = this.vec(src), d = this.vec(dst);
    if (s.length !== d.length) throw new ShapeMismatchError('copy', `length ${s.length}`, `length ${d.length}`);
    if (s.store === d.store && s.offset === d.offset) return;
    const overlap = s.store === d.store && s.offset < d.offset + d.length && d.offset < s.offset + s.length;
    if (overlap) {
      // Through a scratch vector, as memmove: the kernel reads and writes in parallel.
      const tmp = this.vector(s.length);
      this.copy(s, tmp);
      this.copy(tmp, d);
      this.release(tmp);
      return;
    }
    this.elementwise(KERNELS.copy, [s.store.buf, d.store.buf], s.length, s.offset, d.offset, 0, ZERO_COEF, ZERO_COEF);
  }

  fill(v: Vec, value: number): void {
    const d = this.vec(v);
    this.elementwise(KERNELS.fill, [d.store.buf], d.length, 0, d.offset, 0, { ...ZERO_COEF, value }, ZERO_COEF);
  }

  axpby(a: Coef, x: Vec, b: Coef, y: Vec): void {
    const xv = this.vec(x), yv = this.vec(y);
    if (xv.length !== yv.length) throw new ShapeMismatchError('axpby', `length ${xv.length}`, `length ${yv.length}`);
    this.elementwise(KERNELS.axpby, [xv.store.buf, yv.store.buf], yv.length, xv.offset, yv.offset, 0, this.coef(a), this.coef(b));
  }

  mul(x: Vec, y: Vec, z: Vec, b: Coef = 0): void {
    const xv = this.vec(x), yv = this.vec(y), zv = this.vec(z);
    if (xv.length !== yv.length) throw new ShapeMismatchError('mul', `length ${xv.length}`, `length ${yv.length}`);
    if (xv.length !== zv.length) throw new ShapeMismatchError('mul', `length ${xv.length}`, `length ${zv.length}`);
    this.elementwise(KERNELS.mul, [xv.store.buf, yv.store.buf, zv.store.buf], zv.length, xv.offset, yv.offset, zv.offset, ZERO_COEF, this.coef(b));
  }

  dot(x: Vec, y: Vec, out: ScalarRef): void {
    const xv = this.vec(x), yv = this.vec(y);
    if (xv.length !== yv.length) throw new ShapeMismatchError('dot', `length ${xv.length}`, `length ${yv.length}`);
    const [p, f] = this.flavor === 'flat' ? [KERNELS.dotPartialFlat, KERNELS.dotFinalFlat] : [KERNELS.dotPartial, KERNELS.dotFinal];
    this.reduce(p, f, [xv.store.buf, yv.store.buf], xv.length, xv.offset, yv.offset, this.slotOf(out));
  }

  nrm2(x: Vec, out: ScalarRef): void {
    const xv = this.vec(x);
    const [p, f] = this.flavor === 'flat' ? [KERNELS.nrm2PartialFlat, KERNELS.nrm2FinalFlat] : [KERNELS.nrm2Partial, KERNELS.nrm2Final];
    this.reduce(p, f, [xv.store.buf], xv.length, xv.offset, 0, this.slotOf(out));
  }

  private reduce(partial: KernelDef, final: KernelDef, bufs: BufferRef[], n: number, xoff: number, yoff: number, out: number): void {
    const groups = reductionGroups(n, this.flavor), guard = this.guardSlot;
    const pack = (d: DataView) => packReduce(d, n, guard, xoff, yoff, out, groups);
    const p = vectorKernel(partial, bufs), f = vectorKernel(final, []);
    this.rec.dispatch(p.spec, [this.partials, this.arena, ...p.bind], pack, [groups, 1]);
    this.rec.dispatch(f.spec, [this.arena, this.partials], pack, [1, 1]);
  }

  // ---- lifetime -----------------------------------------------------------------------

  async flush(): Promise<void> {
    this.alive();
    await Promise.all([this.rec.check(), this.device.queue.onSubmittedWorkDone()]);
  }

  release(...handles: (Vec | ScalarBlock | DeviceMatrix)[]): void {
    if (this.disposed) return;
    for (const h of handles) {
      if (h instanceof GpuVec && h.owner === this) {
        if (h.isView || !h.store.buf) continue;
        this.pool.release(h.store.buf);
        h.store.buf = null;
      } else if (h instanceof GpuScalars && h.owner === this) {
        if (h.released) continue;
        h.released = true;
        this.slotsAlloc.release(h.range);
      } else if (h instanceof GpuMatrix && h.owner === this) {
        if (h.released) continue;
        h.released = true;
        for (const c of [h.a, h.t]) for (const b of [c.indptr, c.indices, c.values, c.blocks]) if (b) this.pool.release(b);
      } else {
        throw new BackendError('release() was given a handle from another backend');
      }
    }
  }

  /** Destroys every buffer and cached object; the device too when this backend created it. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.guardSlot = -1;
    this.rec.destroy();
    this.pool.destroyAll();
    this.staging.destroyAll();
    this.arena.buffer.destroy();
    this.partials.buffer.destroy();
    this.scalarSpecs.clear();
    if (this.owned) this.device.destroy();
  }
}

/** A DenseMatrix as a CSR holding every entry (zeros included), row-major order. */
function denseAsCsr(a: DenseMatrix): CsrMatrix {
  const { rows, cols } = a;
  const indptr = new Int32Array(rows + 1);
  for (let i = 0; i <= rows; i++) indptr[i] = i * cols;
  const indices = new Int32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) indices[i * cols + j] = j;
  return new CsrMatrix(rows, cols, indptr, indices, new Float64Array(a.data));
}
