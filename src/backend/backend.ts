/**
 * The Backend interface: the vector and sparse-matrix work that the Krylov solvers
 * (LSQR, LSMR, Steihaug-CG) and the trust-region drivers need, written once against
 * this interface and run by either backend.
 *
 * The interface is *deferred*: vectors and scalars are opaque handles that live where
 * the backend computes (Float64Arrays on the CPU, f32 GPUBuffers on WebGPU). A dot
 * product writes into a device-side scalar slot instead of returning a number, and the
 * scalar recurrences of a Krylov loop (alpha, beta, Givens rotations) run as one
 * {@link ScalarKernel} over a small {@link ScalarBlock}. Only `read*` calls bring numbers
 * back to the caller, so a GPU backend can encode many iterations per submit and read
 * back every `syncInterval` iterations; the CPU backend runs every call eagerly.
 *
 * A *guard* makes later work conditional: while a guard is set, every vector operation
 * and scalar kernel is skipped once the guard slot is non-zero. A Krylov loop sets its
 * "done" flag slot as guard so that iterations encoded past convergence change nothing.
 */
import type { CsrMatrix } from '../sparse/csr.js';
import type { DenseMatrix } from '../linear/dense-matrix.js';
import type { LinearOperator } from '../linear/operator.js';

/** A vector handle of fixed length. Views made by {@link Backend.subvector} share storage. */
export interface Vec {
  readonly length: number;
}

/** A small array of device-resident scalars (Krylov recurrence state, flags, dot products). */
export interface ScalarBlock {
  readonly size: number;
}

/** One slot of a {@link ScalarBlock}. */
export interface ScalarRef {
  readonly block: ScalarBlock;
  readonly index: number;
}

/**
 * A coefficient for vector operations: a plain number, or a scalar slot read on the
 * device at execution time, optionally inverted (1/s, with 1/0 taken as 0) and then
 * multiplied by `scale`.
 */
export type Coef = number | ScalarRef | { readonly ref: ScalarRef; readonly scale?: number; readonly invert?: boolean };

/**
 * A scalar recurrence run on the device over one ScalarBlock. `cpu` is the reference
 * implementation (used by the CPU backend); `wgsl` is its twin for WebGPU (the body of
 * a one-thread kernel over `s: array<f32>`), tested against `cpu`.
 */
export interface ScalarKernel {
  readonly name: string;
  readonly cpu: (s: Float64Array) => void;
  readonly wgsl?: string;
}

/** A matrix uploaded to a backend. */
export interface DeviceMatrix {
  readonly rows: number;
  readonly cols: number;
}

export type BackendKind = 'cpu' | 'webgpu';

export interface Backend {
  readonly kind: BackendKind;
  /** How many Krylov iterations to encode between scalar read-backs (1 on the CPU). */
  readonly syncInterval: number;

  /** A new vector of zeros, or holding `init`. */
  vector(n: number, init?: Float64Array): Vec;
  /** A view of `length` entries of `v` from `offset`, sharing storage. */
  subvector(v: Vec, offset: number, length: number): Vec;
  /** Copies host values into `v`. */
  write(v: Vec, values: Float64Array): void;
  /** Reads `v` back to the host, in f64. */
  read(v: Vec): Promise<Float64Array>;

  /** A new block of `size` scalars, zeros or `init`. */
  scalars(size: number, init?: ArrayLike<number>): ScalarBlock;
  writeScalars(block: ScalarBlock, values: ArrayLike<number>, offset?: number): void;
  readScalars(block: ScalarBlock): Promise<Float64Array>;
  /** Runs a scalar recurrence over `block` (skipped under a set guard). */
  scalarKernel(kernel: ScalarKernel, block: ScalarBlock): void;

  /** Uploads a matrix. A LinearOperator is called through its JS products. */
  matrix(a: CsrMatrix | DenseMatrix | LinearOperator): DeviceMatrix;
  /** y = A x */
  matvec(a: DeviceMatrix, x: Vec, y: Vec): void;
  /** x = Aᵀ y */
  rmatvec(a: DeviceMatrix, y: Vec, x: Vec): void;

  /** dst = src */
  copy(src: Vec, dst: Vec): void;
  /** v = value for every entry */
  fill(v: Vec, value: number): void;
  /** y = a x + b y */
  axpby(a: Coef, x: Vec, b: Coef, y: Vec): void;
  /** z = x ∘ y + b z (elementwise product; z may alias x or y) */
  mul(x: Vec, y: Vec, z: Vec, b?: Coef): void;
  /** out = x · y */
  dot(x: Vec, y: Vec, out: ScalarRef): void;
  /** out = ||x||₂ (computed without overflow for the CPU's f64) */
  nrm2(x: Vec, out: ScalarRef): void;

  /** Makes later operations conditional on `guard` being zero; null clears it. */
  setGuard(guard: ScalarRef | null): void;
  /** Completes queued work (a no-op on the CPU). */
  flush(): Promise<void>;
  /** Frees handles (vectors, scalar blocks, matrices). Views are freed with their parent. */
  release(...handles: (Vec | ScalarBlock | DeviceMatrix)[]): void;
  /** Frees everything this backend allocated. */
  dispose(): void;
}

/** A reference to slot `index` of `block`. */
export function slot(block: ScalarBlock, index: number): ScalarRef {
  return { block, index };
}
