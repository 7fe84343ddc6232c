/**
 * The WGSL kernels of the WebGPU backend as specs: which module and entry point, the
 * bind-group layout, the pipeline cache key, how to pack the uniforms and how many
 * workgroups to dispatch. The backend owns pipelines, bind groups, the uniform ring and
 * buffers; this file owns everything that must agree with the .wgsl sources.
 */
import { SHADERS, type ShaderName } from './wgsl.generated.js';
import { scalarKernelModule } from './scalar-kernel.js';

/** How a binding is declared: the uniform block, read-only storage or read_write storage. */
export type BindingKind = 'uniform' | 'read' | 'rw';

export interface KernelSpec {
  /** The pipeline cache key. */
  readonly key: string;
  /** The WGSL module. */
  readonly source: string;
  readonly entry: string;
  /** [binding number, kind] for each binding the entry point uses. */
  readonly bindings: readonly (readonly [number, BindingKind])[];
}

/** A `const NAME: u32 = <n>u;` of a shader, so the host's constants cannot drift from the WGSL. */
export function shaderConst(shader: ShaderName, name: string): number {
  const m = new RegExp(`const\\s+${name}\\s*:\\s*u32\\s*=\\s*(\\d+)u\\s*;`).exec(SHADERS[shader]);
  if (!m) throw new Error(`shaders/${shader}.wgsl has no const ${name}: u32`);
  return Number(m[1]);
}

/** Threads per workgroup of the vector and reduction kernels and of SpMV. */
export const WG = shaderConst('vector', 'WG');
/** SpMV: most entries of a multi-row block (the workgroup-memory product buffer). */
export const STREAM_NNZ = shaderConst('spmv', 'STREAM_NNZ');
/** Partial sums of the first reduction level (the partials buffer holds 2 per group). */
export const MAX_GROUPS = 1024;
/** Workgroups of a 'flat' reduction at most: each thread leaves a partial, so 2 * 16 * WG floats. */
export const MAX_FLAT_GROUPS = 16;
/** Floats of the partials buffer, for either flavour. */
export const PARTIALS = 2 * Math.max(MAX_GROUPS, MAX_FLAT_GROUPS * WG);
/** Entries each thread of a reduction handles at least, before more groups are used. */
const PER_THREAD = 4;

/** A shader's vector names (in the order of its VECTORS block) and its first vector binding. */
const VECTOR_BINDINGS = {
  vector: { names: ['x', 'y', 'z'], first: 2 },
  reduce: { names: ['x', 'y'], first: 4 },
  spmv: { names: ['x', 'y'], first: 6 },
} as const;

type VectorShader = keyof typeof VECTOR_BINDINGS;

/** One entry point: its fixed bindings (uniform first) and the vectors it takes, in argument order. */
export interface KernelDef {
  readonly shader: VectorShader;
  readonly entry: string;
  readonly fixed: readonly (readonly [number, BindingKind])[];
  readonly vectors: readonly string[];
}

const BLOCK = /\/\/ VECTORS BEGIN[\s\S]*?\/\/ VECTORS END\n/;

/**
 * The VECTORS block of a shader: one read_write binding per distinct buffer (from
 * `first` on) and `<name>_get` / `<name>_set` accessors, `groups[k]` being the binding
 * index (from 0) that vector `names[k]` lives in.
 */
export function vectorBlock(names: readonly string[], groups: readonly number[], first: number): string {
  const lines = [
    '// VECTORS BEGIN: the vectors are read and written only through these accessors. The host',
    '// regenerates this block for each aliasing pattern (kernels.ts, vectorBlock): vectors that',
    '// share a buffer must share one binding, as WebGPU forbids two writable bindings of a buffer.',
  ];
  const k = Math.max(...groups) + 1;
  for (let g = 0; g < k; g++) lines.push(`@group(0) @binding(${first + g}) var<storage, read_write> v${g}: array<f32>;`);
  names.forEach((n, i) => {
    lines.push(`fn ${n}_get(i: u32) -> f32 { return v${groups[i]}[i]; }`);
    lines.push(`fn ${n}_set(i: u32, value: f32) { v${groups[i]}[i] = value; }`);
  });
  lines.push('// VECTORS END');
  return lines.join('\n') + '\n';
}

/** The VECTORS block as written in shaders/<shader>.wgsl (every vector in its own binding). */
export function shaderVectorBlock(shader: VectorShader): string {
  return BLOCK.exec(SHADERS[shader])?.[0] ?? '';
}

/** The block for distinct buffers, which the .wgsl file must hold verbatim (a test checks). */
export function distinctVectorBlock(shader: VectorShader): string {
  const { names, first } = VECTOR_BINDINGS[shader];
  return vectorBlock(names, names.map((_, i) => i), first);
}

const specCache = new Map<string, KernelSpec>();

/**
 * The spec of `def` for these vector buffers (in def.vectors order) and the buffers to
 * bind after the fixed ones: one per distinct buffer, so aliased vectors share a binding.
 */
export function vectorKernel<B extends { id: number }>(def: KernelDef, buffers: readonly B[]): { spec: KernelSpec; bind: B[] } {
  const { names, first } = VECTOR_BINDINGS[def.shader];
  const bind: B[] = [];
  const groupOf = new Map<string, number>();
  def.vectors.forEach((name, i) => {
    let g = bind.findIndex((b) => b.id === buffers[i].id);
    if (g < 0) g = bind.push(buffers[i]) - 1;
    groupOf.set(name, g);
  });
  let fresh = bind.length;
  const groups = names.map((n) => groupOf.get(n) ?? fresh++);
  const key = `${def.shader}.${def.entry}:${groups.join('')}`;
  let spec = specCache.get(key);
  if (!spec) {
    spec = {
      key,
      source: SHADERS[def.shader].replace(BLOCK, vectorBlock(names, groups, first)),
      entry: def.entry,
      bindings: [...def.fixed, ...bind.map((_, g) => [first + g, 'rw'] as const)],
    };
    specCache.set(key, spec);
  }
  return { spec, bind };
}

const U = [0, 'uniform'] as const;
/** Buffers after the uniform: vector ops [arena]; spmv [arena, indptr, indices, values, row blocks]; partials [partials, arena]; finals [arena, partials]. */
export const KERNELS = {
  axpby: { shader: 'vector', entry: 'axpby', fixed: [U, [1, 'read']], vectors: ['x', 'y'] },
  mul: { shader: 'vector', entry: 'mul', fixed: [U, [1, 'read']], vectors: ['x', 'y', 'z'] },
  fill: { shader: 'vector', entry: 'fill', fixed: [U, [1, 'read']], vectors: ['y'] },
  copy: { shader: 'vector', entry: 'copy', fixed: [U, [1, 'read']], vectors: ['x', 'y'] },
  spmv: { shader: 'spmv', entry: 'spmv', fixed: [U, [1, 'read'], [2, 'read'], [3, 'read'], [4, 'read'], [5, 'read']], vectors: ['x', 'y'] },
  spmvRows: { shader: 'spmv', entry: 'spmv_rows', fixed: [U, [1, 'read'], [2, 'read'], [3, 'read'], [4, 'read']], vectors: ['x', 'y'] },
  dotPartial: { shader: 'reduce', entry: 'dot_partial', fixed: [U, [2, 'rw'], [3, 'read']], vectors: ['x', 'y'] },
  dotFinal: { shader: 'reduce', entry: 'dot_final', fixed: [U, [1, 'rw'], [2, 'rw']], vectors: [] },
  nrm2Partial: { shader: 'reduce', entry: 'nrm2_partial', fixed: [U, [2, 'rw'], [3, 'read']], vectors: ['x'] },
  nrm2Final: { shader: 'reduce', entry: 'nrm2_final', fixed: [U, [1, 'rw'], [2, 'rw']], vectors: [] },
  dotPartialFlat: { shader: 'reduce', entry: 'dot_partial_flat', fixed: [U, [2, 'rw'], [3, 'read']], vectors: ['x', 'y'] },
  dotFinalFlat: { shader: 'reduce', entry: 'dot_final_flat', fixed: [U, [1, 'rw'], [2, 'rw']], vectors: [] },
  nrm2PartialFlat: { shader: 'reduce', entry: 'nrm2_partial_flat', fixed: [U, [2, 'rw'], [3, 'read']], vectors: ['x'] },
  nrm2FinalFlat: { shader: 'reduce', entry: 'nrm2_final_flat', fixed: [U, [1, 'rw'], [2, 'rw']], vectors: [] },
} as const satisfies Record<string, KernelDef>;

/**
 * Which kernels run the reductions and SpMV. 'workgroup' (GPUs): vector CSR and partial
 * sums folded in workgroup memory. 'flat' (CPU adapters: SwiftShader, lavapipe, WARP):
 * a thread per row and per-thread partial sums, no workgroup memory or barriers, which
 * there cost more than the arithmetic (measured on SwiftShader: one barrier in a
 * 256-thread workgroup made a 2^20-entry pass 45x slower).
 */
export type KernelFlavor = 'workgroup' | 'flat';

/** Whether an adapter runs shaders on the CPU (then the 'flat' kernels are faster). */
export function isCpuAdapter(info: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean }): boolean {
  if (info.isFallbackAdapter === true) return true;
  const text = `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.device ?? ''} ${info.description ?? ''}`;
  return /swiftshader|llvmpipe|lavapipe|\bwarp\b|software/i.test(text);
}

/** The spec of a ScalarKernel's WGSL body over a block of `size` slots (see scalar-kernel.ts). */
export function scalarKernelSpec(name: string, body: string, size: number): KernelSpec {
  return { key: `scalar:${name}:${size}`, source: scalarKernelModule(body, size), entry: 'main', bindings: [[0, 'rw'], [1, 'uniform']] };
}

// ---- dispatch sizes -------------------------------------------------------------------

/** Workgroups for `groups` groups folded into a 2-D grid of at most `maxDim` per side. */
export function fold(groups: number, maxDim: number): [number, number] {
  if (groups <= maxDim) return [groups, 1];
  const y = Math.ceil(groups / maxDim);
  return [Math.ceil(groups / y), y];
}

/** Workgroups of an elementwise kernel over n entries (before folding). */
export function elementwiseGroups(n: number): number {
  return Math.ceil(n / WG);
}

/** Workgroups of the first reduction level over n entries: 1..MAX_GROUPS ('flat': 1..MAX_FLAT_GROUPS). */
export function reductionGroups(n: number, flavor: KernelFlavor = 'workgroup'): number {
  const max = flavor === 'flat' ? MAX_FLAT_GROUPS : MAX_GROUPS;
  const perThread = flavor === 'flat' ? 64 : PER_THREAD;
  return Math.min(max, Math.max(1, Math.ceil(n / (WG * perThread))));
}

/**
 * SpMV row blocks: boundaries b[0] = 0 < b[1] < ... = rows. A block is either one row
 * (any length: CSR-vector) or several rows with at most STREAM_NNZ entries and at most
 * WG rows in all (CSR-stream).
 */
export function rowBlocks(indptr: Int32Array, rows: number): Uint32Array {
  const out: number[] = [0];
  let start = 0;
  while (start < rows) {
    let end = start + 1;
    if (indptr[end] - indptr[start] <= STREAM_NNZ) {
      while (end < rows && end - start < WG && indptr[end + 1] - indptr[start] <= STREAM_NNZ) end++;
    }
    out.push(end);
    start = end;
  }
  return Uint32Array.from(out);
}

// ---- uniforms (byte layouts of the WGSL structs) --------------------------------------

/** A coefficient as the kernels decode it: `value` when slot < 0, else (invert ? 1/s : s) * scale. */
export interface CoefCode {
  value: number;
  slot: number;
  invert: boolean;
  scale: number;
}

export const ZERO_COEF: CoefCode = { value: 0, slot: -1, invert: false, scale: 1 };

function putCoef(d: DataView, at: number, c: CoefCode): void {
  d.setFloat32(at, c.value, true);
  d.setInt32(at + 4, c.slot, true);
  d.setUint32(at + 8, c.invert ? 1 : 0, true);
  d.setFloat32(at + 12, c.scale, true);
}

/** vector.wgsl's VecParams. */
export function packVector(d: DataView, n: number, guard: number, xoff: number, yoff: number, zoff: number, a: CoefCode, b: CoefCode): void {
  d.setUint32(0, n, true);
  d.setInt32(4, guard, true);
  d.setUint32(8, xoff, true);
  d.setUint32(12, yoff, true);
  d.setUint32(16, zoff, true);
  putCoef(d, 32, a);
  putCoef(d, 48, b);
}

/** spmv.wgsl's SpmvParams. */
export function packSpmv(d: DataView, nblocks: number, guard: number, xoff: number, yoff: number): void {
  d.setUint32(0, nblocks, true);
  d.setInt32(4, guard, true);
  d.setUint32(8, xoff, true);
  d.setUint32(12, yoff, true);
}

/** reduce.wgsl's ReduceParams. */
export function packReduce(d: DataView, n: number, guard: number, xoff: number, yoff: number, out: number, ngroups: number): void {
  d.setUint32(0, n, true);
  d.setInt32(4, guard, true);
  d.setUint32(8, xoff, true);
  d.setUint32(12, yoff, true);
  d.setUint32(16, out, true);
  d.setUint32(20, ngroups, true);
}

/** scalar-kernel.ts's ScalarParams. */
export function packScalar(d: DataView, base: number, guard: number): void {
  d.setUint32(0, base, true);
  d.setInt32(4, guard, true);
}
