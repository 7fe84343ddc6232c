/**
 * The WGSL twins of the Krylov solvers' scalar kernels (LSQR, LSMR, Steihaug-CG), run on a
 * GPU through the `webgpu` (Dawn) package — no WebGPU backend involved: each twin is wrapped
 * by scalarKernelModule and dispatched over an arena of f32 states — and compared slot by
 * slot with the kernel's `cpu` function run in f64 on the same f32-rounded state.
 *
 * The states are the ones the solvers really produce (recorded by a CPU backend whose
 * scalarKernel keeps a copy of each block it is given) on well and badly conditioned,
 * damped, consistent, rank-deficient and scaled problems, plus edge cases made from them
 * (the zero-guarded branches, the stopping codes) and random distortions.
 *
 * Agreement: exact on flags and counts (done, istop, itn, the Steihaug booleans); elsewhere
 * within 1e-5 relative, widened only by the state's own conditioning at f32 precision
 * (measured by re-running `cpu` on inputs perturbed by a few f32 ulps: a difference of two
 * nearly equal numbers cannot be expected to agree better than that). Decisions that such a
 * perturbation flips are borderline and not compared. The one intended difference: the
 * twins' "for this machine" tests (istop 4, 5, 6) use f32's precision (x <= 2⁻²⁴ for
 * 1 + x <= 1), so the expected istop is the cpu's with those tests taken at f32.
 *
 * Without a WebGPU adapter the suite is skipped, except on CI (CI=true), where it fails: CI
 * runs it on SwiftShader, the Vulkan-on-CPU driver Chromium brings.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import type { Backend, ScalarBlock, ScalarKernel } from '../src/backend/backend.js';
import { createCpuBackend } from '../src/backend/cpu.js';
import { scalarKernelModule } from '../src/backend/webgpu/scalar-kernel.js';
import { DenseMatrix } from '../src/linear/dense-matrix.js';
import { matrixOperator } from '../src/linear/operators.js';
import { EPS } from '../src/linear/krylov-common.js';
import { lsqrCore, type LsqrOptions } from '../src/linear/lsqr.js';
import { lsmrCore, type LsmrOptions } from '../src/linear/lsmr.js';
import { steihaugCgCore, type SteihaugOptions } from '../src/linear/steihaug-cg.js';

// ---- the GPU ----

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

type Acquired = { device: GPUDevice; adapter: string; instance: GPU } | { device: null; reason: string };

async function acquireDevice(): Promise<Acquired> {
  try {
    if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    // The GPU object must stay reachable while its devices are in use: once it is collected,
    // dawn.node's event processing runs on a freed instance and the process crashes.
    const instance = create([]);
    const adapter = await instance.requestAdapter();
    if (!adapter) {
      return { device: null, reason: 'no WebGPU adapter (requestAdapter() gave null: no Vulkan driver; CI uses SwiftShader from Chromium)' };
    }
    const device = await adapter.requestDevice();
    const i = adapter.info;
    return { device, adapter: `${i.vendor} ${i.architecture} ${i.description}`.trim(), instance };
  } catch (e) {
    return { device: null, reason: `WebGPU unavailable: ${e instanceof Error ? e.message : String(e)}` };
  }
}

const gpu = await acquireDevice();
const device = gpu.device;
const ON_CI = process.env.CI === 'true';
if (!gpu.device) {
  if (ON_CI) {
    describe('WGSL scalar kernels', () => {
      it('finds a WebGPU adapter (required on CI, which runs these on SwiftShader)', () => {
        throw new Error(gpu.reason);
      });
    });
  } else {
    console.warn(`webgpu-scalar-kernels: skipped, ${gpu.reason}`);
  }
}

afterAll(() => {
  device?.destroy();
  void gpu; // holds the GPU instance until the device is gone (see acquireDevice)
});

interface Dispatch {
  base: number;
  guard: number; // arena index, or -1
}

const pipelines = new Map<string, Promise<GPUComputePipeline>>();

async function pipelineFor(kernel: ScalarKernel, size: number): Promise<GPUComputePipeline> {
  const dev = device!;
  const key = `${kernel.name}/${size}`;
  let p = pipelines.get(key);
  if (!p) {
    p = (async () => {
      if (!kernel.wgsl) throw new Error(`${kernel.name} has no wgsl twin`);
      const module = dev.createShaderModule({ code: scalarKernelModule(kernel.wgsl, size), label: kernel.name });
      const errors = (await module.getCompilationInfo()).messages.filter((m) => m.type === 'error');
      if (errors.length) throw new Error(`${kernel.name}: ${errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ')}`);
      return dev.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: kernel.name });
    })();
    pipelines.set(key, p);
  }
  return p;
}

/** Runs `kernel` once per dispatch (in order, one submit) over an arena holding `arena`; returns the arena after. */
async function runKernel(kernel: ScalarKernel, size: number, arena: Float32Array<ArrayBuffer>, dispatches: Dispatch[]): Promise<Float32Array> {
  const dev = device!;
  const pipeline = await pipelineFor(kernel, size);
  dev.pushErrorScope('validation');
  const U = 256; // minUniformBufferOffsetAlignment
  const arenaBuf = dev.createBuffer({ size: arena.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  dev.queue.writeBuffer(arenaBuf, 0, arena);
  const params = new ArrayBuffer(U * dispatches.length);
  const view = new DataView(params);
  dispatches.forEach((d, i) => {
    view.setUint32(i * U, d.base, true);
    view.setInt32(i * U + 4, d.guard, true);
  });
  const paramBuf = dev.createBuffer({ size: params.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  dev.queue.writeBuffer(paramBuf, 0, params);
  const readBuf = dev.createBuffer({ size: arena.byteLength, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const layout = pipeline.getBindGroupLayout(0);
  const enc = dev.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  dispatches.forEach((_, i) => {
    pass.setBindGroup(0, dev.createBindGroup({
      layout,
      entries: [
        { binding: 0, resource: { buffer: arenaBuf } },
        { binding: 1, resource: { buffer: paramBuf, offset: i * U, size: 16 } },
      ],
    }));
    pass.dispatchWorkgroups(1);
  });
  pass.end();
  enc.copyBufferToBuffer(arenaBuf, 0, readBuf, 0, arena.byteLength);
  dev.queue.submit([enc.finish()]);
  const err = await dev.popErrorScope();
  if (err) throw new Error(`${kernel.name}: ${err.message}`);
  await readBuf.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(readBuf.getMappedRange().slice(0));
  readBuf.unmap();
  arenaBuf.destroy();
  paramBuf.destroy();
  readBuf.destroy();
  return out;
}

/** Each state (f32 values) run at its own base of one arena, unguarded; returns the states after. */
async function runStates(kernel: ScalarKernel, size: number, states: Float64Array[]): Promise<Float64Array[]> {
  const arena = new Float32Array(states.length * size);
  states.forEach((st, i) => arena.set(st, i * size));
  const out = await runKernel(kernel, size, arena, states.map((_, i) => ({ base: i * size, guard: -1 })));
  return states.map((_, i) => Float64Array.from(out.subarray(i * size, (i + 1) * size)));
}

// ---- the slot layouts (module-private constants, read from the sources) ----

function slotsOf(file: string): Record<string, number> {
  const src = readFileSync(new URL(`../src/linear/${file}`, import.meta.url), 'utf8');
  const out: Record<string, number> = {};
  for (const m of src.matchAll(/^const ([A-Z][A-Z0-9_]*) = (\d+);/gm)) out[m[1]] = Number(m[2]);
  return out;
}

interface Solver {
  name: 'lsqr' | 'lsmr' | 'steihaug';
  slots: Record<string, number>;
  size: number;
  /** Slots compared exactly (flags, counts). */
  exact: number[];
}

function solver(name: Solver['name'], file: string, exactNames: string[]): Solver {
  const slots = slotsOf(file);
  for (const n of [...exactNames, 'SLOTS', 'DONE']) if (!(n in slots)) throw new Error(`${file}: no slot constant ${n}`);
  return { name, slots, size: slots.SLOTS, exact: exactNames.map((n) => slots[n]) };
}

const LSQR = solver('lsqr', 'lsqr.ts', ['DONE', 'ISTOP', 'ITN', 'MAXITER']);
const LSMR = solver('lsmr', 'lsmr.ts', ['DONE', 'ISTOP', 'ITN', 'MAXITER', 'X_KEEP']);
const STEIHAUG = solver('steihaug', 'steihaug-cg.ts', ['DONE', 'FINISH', 'NEG', 'BOUNDARY', 'ITN']);

// ---- recording the states the solvers produce ----

interface KernelStates {
  kernel: ScalarKernel;
  solver: Solver;
  states: Float64Array[];
  /** Slots some recorded state holds a negative value in. */
  signed: boolean[];
}

const recorded = new Map<string, KernelStates>();

/** A CPU backend that keeps a copy of every block a kernel is run on (unless the guard has fired). */
function recordingBackend(sv: Solver): { backend: Backend; blocks: Float64Array[] } {
  const cpu = createCpuBackend();
  const backend = Object.create(cpu) as Backend;
  const blocks: Float64Array[] = [];
  backend.scalarKernel = (kernel: ScalarKernel, block: ScalarBlock) => {
    const data = (block as unknown as { data: Float64Array }).data; // the CPU backend's block
    if (!blocks.includes(data)) blocks.push(data);
    if (data[sv.slots.DONE] === 0) {
      let k = recorded.get(kernel.name);
      if (!k) recorded.set(kernel.name, (k = { kernel, solver: sv, states: [], signed: new Array<boolean>(sv.size).fill(false) }));
      k.states.push(data.slice());
      data.forEach((x, i) => (k.signed[i] ||= x < 0));
    }
    cpu.scalarKernel.call(backend, kernel, block);
  };
  return { backend, blocks };
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** A random m x n matrix with orthonormal columns (Gram-Schmidt twice). */
function orthonormal(m: number, n: number, r: () => number): Float64Array[] {
  const q: Float64Array[] = [];
  for (let j = 0; j < n; j++) {
    const v = Float64Array.from({ length: m }, () => gaussian(r));
    for (let pass = 0; pass < 2; pass++) {
      for (const u of q) {
        let d = 0;
        for (let i = 0; i < m; i++) d += u[i] * v[i];
        for (let i = 0; i < m; i++) v[i] -= d * u[i];
      }
    }
    const nv = Math.hypot(...v);
    q.push(v.map((x) => x / nv));
  }
  return q;
}

/** U diag(sv) Vᵀ, m x n (m >= n). */
function withSingularValues(m: number, n: number, sv: number[], r: () => number): DenseMatrix {
  const u = orthonormal(m, n, r), v = orthonormal(n, n, r);
  const a = new Float64Array(m * n);
  for (let k = 0; k < n; k++) for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) a[i * n + j] += u[k][i] * sv[k] * v[k][j];
  return new DenseMatrix(m, n, a);
}

function logspace(lo: number, hi: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => 10 ** (lo + ((hi - lo) * i) / Math.max(1, n - 1)));
}

function randomVector(n: number, r: () => number, scale = 1): Float64Array {
  return Float64Array.from({ length: n }, () => scale * gaussian(r));
}

function matvec(a: DenseMatrix, x: Float64Array): Float64Array {
  const y = new Float64Array(a.rows);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) y[i] += a.data[i * a.cols + j] * x[j];
  return y;
}

interface LsProblem {
  a: DenseMatrix;
  b: Float64Array;
  opts: LsqrOptions & LsmrOptions;
}

function lsProblems(): LsProblem[] {
  const r = rng(20261125);
  const m = 40, n = 25;
  const well = withSingularValues(m, n, logspace(0, 1, n), r);
  const ill = withSingularValues(m, n, logspace(-4, 0, n), r);
  const veryIll = withSingularValues(m, n, logspace(-7, 0, n), r);
  const deficient = withSingularValues(m, n, logspace(-1, 0, n).map((s, i) => (i < 5 ? 0 : s)), r);
  const scaled = (a: DenseMatrix, k: number) => new DenseMatrix(a.rows, a.cols, a.data.map((x) => x * k));
  const consistent = (a: DenseMatrix) => matvec(a, randomVector(n, r));
  const tight = { atol: 0, btol: 0, conlim: 0 };
  return [
    { a: well, b: randomVector(m, r), opts: {} },
    { a: well, b: randomVector(m, r), opts: { ...tight, iterLim: 60, maxiter: 60 } },
    { a: ill, b: randomVector(m, r), opts: { ...tight, iterLim: 80, maxiter: 80 } },
    { a: ill, b: consistent(ill), opts: { atol: 1e-12, btol: 1e-12 } },
    { a: veryIll, b: randomVector(m, r), opts: { atol: 0, btol: 0, iterLim: 80, maxiter: 80 } },
    { a: well, b: consistent(well), opts: { ...tight, iterLim: 50, maxiter: 50 } },
    { a: well, b: randomVector(m, r), opts: { damp: 0.5 } },
    { a: ill, b: consistent(ill), opts: { damp: 1e-3, atol: 1e-10, btol: 1e-10 } },
    { a: ill, b: randomVector(m, r), opts: { damp: 1e-2, ...tight, iterLim: 60, maxiter: 60 } },
    { a: deficient, b: randomVector(m, r), opts: { atol: 1e-10, btol: 1e-10 } },
    { a: well, b: randomVector(m, r), opts: { x0: randomVector(n, r) } },
    { a: well, b: new Float64Array(m), opts: { x0: randomVector(n, r) } }, // b = 0 with x0
    { a: well, b: new Float64Array(m), opts: {} }, // b = 0: istop 0 at once
    { a: ill, b: randomVector(m, r), opts: { conlim: 30 } }, // istop 3
    { a: ill, b: randomVector(m, r), opts: { iterLim: 3, maxiter: 3 } }, // istop 7
    { a: scaled(well, 1e8), b: randomVector(m, r, 1e6), opts: {} },
    { a: scaled(ill, 1e-8), b: randomVector(m, r, 1e-4), opts: { atol: 1e-9, btol: 1e-9 } },
    { a: scaled(well, 1e-6), b: randomVector(m, r, 1e7), opts: { damp: 1e-7 } },
  ];
}

interface TrProblem {
  b: DenseMatrix;
  g: Float64Array;
  delta: number;
  opts: SteihaugOptions;
}

function trProblems(): TrProblem[] {
  const r = rng(7001);
  const n = 30;
  const sym = (eig: number[]) => {
    const q = orthonormal(n, n, r);
    const a = new Float64Array(n * n);
    for (let k = 0; k < n; k++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] += q[k][i] * eig[k] * q[k][j];
    return new DenseMatrix(n, n, a);
  };
  const spd = sym(logspace(0, 2, n));
  const illSpd = sym(logspace(-5, 0, n));
  const indefinite = sym(Array.from({ length: n }, (_, i) => -5 + (15 * i) / (n - 1)));
  const negdef = sym(logspace(-1, 1, n).map((x) => -x));
  const diag = new Float64Array(n * n);
  for (let i = 0; i < n; i++) diag[i * n + i] = i < 3 ? 0 : 1 + i;
  const singular = new DenseMatrix(n, n, diag); // B e₀ = 0: dᵀBd = 0 exactly along g = e₀
  const e0 = new Float64Array(n);
  e0[0] = 2;
  const scaled = (a: DenseMatrix, k: number) => new DenseMatrix(n, n, a.data.map((x) => x * k));
  return [
    { b: spd, g: randomVector(n, r), delta: 100, opts: {} },
    { b: spd, g: randomVector(n, r), delta: 100, opts: { tol: 1e-9 } },
    { b: illSpd, g: randomVector(n, r), delta: 1e6, opts: { tol: 1e-8 } },
    { b: spd, g: randomVector(n, r), delta: 0.02, opts: {} },
    { b: illSpd, g: randomVector(n, r), delta: 3, opts: { tol: 1e-8 } },
    { b: indefinite, g: randomVector(n, r), delta: 10, opts: {} },
    { b: indefinite, g: randomVector(n, r), delta: 0.5, opts: { tol: 1e-10 } },
    { b: negdef, g: randomVector(n, r), delta: 2, opts: {} },
    { b: singular, g: e0, delta: 1, opts: {} },
    { b: spd, g: new Float64Array(n), delta: 1, opts: {} }, // g = 0
    { b: spd, g: randomVector(n, r), delta: 1, opts: { tol: 1e3 } }, // ||g|| < tol at once
    // Scaled so that b² and 4ac of the boundary crossings leave f32's range (see steihaug-cg.ts).
    { b: indefinite, g: randomVector(n, r, 1e10), delta: 1e10, opts: {} },
    { b: spd, g: randomVector(n, r, 1e10), delta: 3e7, opts: {} },
    { b: indefinite, g: randomVector(n, r, 1e-12), delta: 1e-10, opts: {} },
    { b: scaled(spd, 1e-3), g: randomVector(n, r, 1e-12), delta: 1e-10, opts: { tol: 1e-16 } },
  ];
}

interface Consistency {
  what: string;
  block: Float64Array;
  expect: Record<string, number>;
}
const consistency: Consistency[] = [];

let recording: Promise<void> | undefined;

/** Records the states once, for whichever test asks first. */
function recordStates(): Promise<void> {
  return (recording ??= recordAll());
}

async function recordAll(): Promise<void> {
  for (const p of lsProblems()) {
    const { iterLim, maxiter, ...common } = p.opts;
    {
      const { backend, blocks } = recordingBackend(LSQR);
      const res = await lsqrCore(backend, matrixOperator(backend, backend.matrix(p.a)), backend.vector(p.b.length, p.b), { ...common, iterLim });
      consistency.push({ what: 'lsqr', block: blocks[0], expect: { ISTOP: res.istop, ITN: res.itn, ANORM: res.anorm, R1NORM: res.r1norm } });
    }
    {
      const { backend, blocks } = recordingBackend(LSMR);
      const res = await lsmrCore(backend, matrixOperator(backend, backend.matrix(p.a)), backend.vector(p.b.length, p.b), { ...common, maxiter });
      consistency.push({ what: 'lsmr', block: blocks[0], expect: { ISTOP: res.istop, ITN: res.itn, NORMA: res.normA, CONDA: res.condA } });
    }
  }
  for (const p of trProblems()) {
    const { backend, blocks } = recordingBackend(STEIHAUG);
    const res = await steihaugCgCore(backend, matrixOperator(backend, backend.matrix(p.b)), backend.vector(p.g.length, p.g), p.delta, p.opts);
    consistency.push({
      what: 'steihaug',
      block: blocks[0],
      expect: { ITN: res.iterations, NEG: res.negativeCurvature ? 1 : 0, BOUNDARY: res.hitsBoundary ? 1 : 0 },
    });
  }
}

// ---- edge cases and random distortions of the recorded states ----

type Edit = Record<string, number | ((s: Float64Array, slots: Record<string, number>) => number)>;

const EDGES: Record<Solver['name'], Edit[]> = {
  lsqr: [
    { BETA: 0 },
    { ALPHA_NEW: 0 },
    { ALPHA: 0 },
    { ALPHA: 0, ALPHA_NEW: 0, BETA: 0 },
    { DAMP: 0 },
    { DAMP: 0.3 },
    { DAMP: 30 },
    { BNORM: 0 },
    { BNORM: 0, ATOL: 0 },
    { MAXITER: 0 },
    { MAXITER: (s, k) => s[k.ITN] },
    { MAXITER: (s, k) => s[k.ITN] + 1 },
    { CTOL: 1 },
    { ATOL: 1 },
    { BTOL: 1 },
    { ISTOP: 3 },
    { ATOL: 0, BTOL: 0, CTOL: 0, DDNORM: (s, k) => s[k.DDNORM] * 1e16 }, // cond ~1e8 more: f32's istop 6
    { ATOL: 0, BTOL: 0, CTOL: 0, PHIBAR: (s, k) => s[k.PHIBAR] * 1e-9, RES2: 0 }, // ||r|| at f32's eps: istop 4
  ],
  lsmr: [
    { BETA: 0 },
    { ALPHA_NEW: 0 },
    { ALPHA: 0 },
    { DAMP: 0 },
    { DAMP: 0.3 },
    { DAMP: 30 },
    { NORMB: 0 },
    { MAXITER: 0 },
    { MAXITER: (s, k) => s[k.ITN] },
    { ITN: 1 },
    { ITN: 2 },
    { ITN: 3 },
    { CTOL: 1 },
    { ATOL: 1 },
    { BTOL: 1 },
    { NORMR: 0 },
    { NORMAR: 0 },
    { ATOL: 0, BTOL: 0, CTOL: 0, CONDA: (s, k) => s[k.CONDA] * 1e9 }, // f32's istop 6
    { ATOL: 0, BTOL: 0, CTOL: 0, NORMAR: (s, k) => s[k.NORMAR] * 1e-9 }, // f32's istop 5
  ],
  steihaug: [
    { DBD: 0 },
    { DBD: (s, k) => -Math.abs(s[k.DBD]) },
    { DBD: (s, k) => Math.abs(s[k.DBD]) * 1e-6 }, // a long CG step: outside the region
    { RD: 0 },
    { FINISH: 1 },
    { RR_NEW: 0 },
    { RR_NEW: (s, k) => s[k.TOL] * s[k.TOL] * 0.25 },
    { TOL: -1 },
    { TOL: 0 },
    { GNORM: 0 },
    { DELTA: (s, k) => s[k.DELTA] * 1e-3 },
  ],
};

function edited(state: Float64Array, slots: Record<string, number>, edit: Edit): Float64Array {
  const s = state.slice();
  for (const [name, v] of Object.entries(edit)) {
    if (!(name in slots)) throw new Error(`no slot ${name}`);
    s[slots[name]] = typeof v === 'number' ? v : v(state, slots);
  }
  return s;
}

/**
 * Every non-exact, non-zero slot multiplied by a random factor in [1/30, 30], its sign
 * flipped now and then where the solver gives it either sign (norms, dᵀd and the like stay
 * non-negative: the twins may rely on it, as Steihaug's crossings do on dᵀd > 0).
 */
function distorted(state: Float64Array, ks: KernelStates, r: () => number): Float64Array {
  return state.map((x, i) =>
    ks.solver.exact.includes(i) || x === 0 ? x : x * 30 ** (2 * r() - 1) * (ks.signed[i] && r() < 0.15 ? -1 : 1));
}

// ---- the comparison ----

const F32_HALF_EPS = 2 ** -24;

/**
 * The istop a twin should give: the cpu's, with the "for this machine" tests (4, 5, 6) at
 * f32's precision (they come after 7 and before 3, 2, 1 in precedence). `borderline` when a
 * tested ratio is within 0.1% of 2⁻²⁴.
 */
function f32Istop(kernel: string, out: Float64Array, cpuIstop: number): { istop: number; borderline: boolean } {
  let t1: number, test2: number, test3: number;
  if (kernel === 'lsqr.step') {
    const k = LSQR.slots;
    const rnorm = out[k.R2NORM], anorm = out[k.ANORM], xnorm = out[k.XNORM], bnorm = out[k.BNORM];
    test2 = out[k.ARNORM] / (anorm * rnorm + EPS);
    test3 = 1 / (out[k.ACOND] + EPS);
    t1 = rnorm / bnorm / (1 + (anorm * xnorm) / bnorm);
  } else {
    const k = LSMR.slots;
    const normr = out[k.NORMR], normA = out[k.NORMA], normb = out[k.NORMB], normx = out[k.NORMX];
    test2 = normA * normr !== 0 ? out[k.NORMAR] / (normA * normr) : NaN;
    test3 = 1 / out[k.CONDA];
    t1 = normr / normb / (1 + (normA * normx) / normb);
  }
  const ratios = [t1, test2, test3];
  const borderline = ratios.some((x) => Math.abs(x / F32_HALF_EPS - 1) < 1e-3);
  if (cpuIstop >= 1 && cpuIstop <= 3) return { istop: cpuIstop, borderline };
  const hit = ratios.findIndex((x) => x <= F32_HALF_EPS);
  return { istop: hit >= 0 ? 4 + hit : cpuIstop, borderline };
}

function runCpu(kernel: ScalarKernel, input: Float64Array): Float64Array {
  const s = input.slice();
  kernel.cpu(s);
  return s;
}

/** `input` with every non-exact slot multiplied by 1 + ulps·2⁻²⁴·u, u uniform in [-1, 1]. */
function perturbed(input: Float64Array, sv: Solver, ulps: number, r: () => number): Float64Array {
  return input.map((x, i) => (sv.exact.includes(i) ? x : x * (1 + ulps * F32_HALF_EPS * (2 * r() - 1))));
}

interface Stats {
  states: number;
  /** States an edit pushed out of f32's range (a slot rounds to ±inf or to 0), not compared. */
  outOfRange: number;
  /** States whose cpu result is not finite (edits the solvers never reach: 0/0, z outside the region), not compared. */
  nonFinite: number;
  /** States whose flags a perturbation of a few ulps flips (flags not compared). */
  borderline: number;
  /** Largest relative difference over slots the state determines to better than 1e-6. */
  maxRelWellConditioned: number;
  /** Slot comparisons whose tolerance the state's conditioning widened past 1e-5 relative. */
  widened: number;
  /** States where the expected istop is the f32 machine's, not the cpu's. */
  f32Istop: number;
  /** Largest |gpu − cpu| / tolerance. */
  worst: number;
  failures: string[];
}

const REL = 1e-5;
const ABS = 1e-30;

/** Runs every state on the GPU and compares it with `cpu`. */
async function compare(kernel: ScalarKernel, sv: Solver, inputs: Float64Array[], seed: number): Promise<Stats> {
  const r = rng(seed);
  const stats: Stats = { states: 0, outOfRange: 0, nonFinite: 0, borderline: 0, maxRelWellConditioned: 0, widened: 0, f32Istop: 0, worst: 0, failures: [] };
  const kept: { input: Float64Array; ref: Float64Array; spread: Float64Array; exactOk: boolean }[] = [];
  for (const raw of inputs) {
    const input = raw.map(Math.fround);
    if (input.some((x, i) => !Number.isFinite(x) || (x === 0 && raw[i] !== 0))) {
      stats.outOfRange++;
      continue;
    }
    const ref = runCpu(kernel, input);
    if (!ref.every(Number.isFinite)) {
      stats.nonFinite++;
      continue;
    }
    // Conditioning at f32 precision: the spread of cpu results over inputs a few ulps off.
    const spread = new Float64Array(sv.size);
    let exactOk = true;
    for (let p = 0; p < 6; p++) {
      const o = runCpu(kernel, perturbed(input, sv, 4, r));
      for (let i = 0; i < sv.size; i++) spread[i] = Math.max(spread[i], Math.abs(o[i] - ref[i]));
    }
    for (let p = 0; p < 4 && exactOk; p++) {
      const o = runCpu(kernel, perturbed(input, sv, 64, r));
      if (sv.exact.some((i) => o[i] !== ref[i])) exactOk = false;
    }
    if (kernel.name === 'lsqr.step' || kernel.name === 'lsmr.test') {
      const f = f32Istop(kernel.name, ref, ref[sv.slots.ISTOP]);
      if (f.borderline) exactOk = false;
      if (f.istop !== ref[sv.slots.ISTOP]) {
        stats.f32Istop++;
        ref[sv.slots.ISTOP] = f.istop;
        if (kernel.name === 'lsmr.test' && f.istop > 0) ref[sv.slots.DONE] = 1;
      }
    }
    if (!exactOk) stats.borderline++;
    kept.push({ input, ref, spread, exactOk });
  }
  stats.states = kept.length;
  const outs = await runStates(kernel, sv.size, kept.map((k) => k.input));
  kept.forEach(({ input, ref, spread, exactOk }, n) => {
    const got = outs[n];
    for (let i = 0; i < sv.size; i++) {
      const diff = Math.abs(got[i] - ref[i]);
      if (sv.exact.includes(i)) {
        if (exactOk && got[i] !== ref[i]) stats.failures.push(`${kernel.name} state ${n} slot ${i}: gpu ${got[i]}, cpu ${ref[i]}; input [${Array.from(input).join(', ')}]`);
        continue;
      }
      const rel = REL * Math.abs(ref[i]);
      const cond = 8 * spread[i];
      if (cond > rel) stats.widened++;
      const tol = Math.max(rel, cond) + ABS;
      if (cond < 0.1 * rel && ref[i] !== 0) stats.maxRelWellConditioned = Math.max(stats.maxRelWellConditioned, diff / Math.abs(ref[i]));
      stats.worst = Math.max(stats.worst, diff / tol);
      if (!(diff <= tol)) {
        stats.failures.push(`${kernel.name} state ${n} slot ${i}: gpu ${got[i]}, cpu ${ref[i]} (tol ${tol.toExponential(2)}); input [${Array.from(input).join(', ')}]`);
      }
    }
  });
  return stats;
}

// ---- the tests ----

const KERNELS = ['lsqr.init', 'lsqr.beta', 'lsqr.step', 'lsqr.stop', 'lsmr.init', 'lsmr.beta', 'lsmr.rotate', 'lsmr.test', 'steihaug.init', 'steihaug.curvature', 'steihaug.converge'];

/** The recorded states of a kernel, with edge cases and random distortions of a sample of them. */
function statesFor(name: string, seed: number): { ks: KernelStates; states: Float64Array[] } {
  const ks = recorded.get(name)!;
  const r = rng(seed);
  const sample = ks.states.filter((_, i) => i % Math.max(1, Math.floor(ks.states.length / 40)) === 0);
  const states = [...ks.states];
  for (const st of sample) {
    for (const e of EDGES[ks.solver.name]) states.push(edited(st, ks.solver.slots, e));
    for (let k = 0; k < 3; k++) states.push(distorted(st, ks, r));
  }
  return { ks, states };
}

describe.skipIf(!device)(`WGSL scalar kernels vs their cpu functions${gpu.device ? ` on ${gpu.adapter}` : ` (skipped: ${gpu.reason}; runs where a WebGPU adapter exists, e.g. with chromium's SwiftShader and libvulkan1 installed)`}`, () => {
  it('records the solvers’ states, with the slot layout read from the sources', async () => {
    await recordStates();
    expect([...recorded.keys()].sort()).toEqual([...KERNELS].sort());
    for (const c of consistency) {
      const sv = c.what === 'lsqr' ? LSQR : c.what === 'lsmr' ? LSMR : STEIHAUG;
      for (const [name, v] of Object.entries(c.expect)) expect(c.block[sv.slots[name]], `${c.what} ${name}`).toBe(v);
    }
    // The stopping codes the problems reach, so that each branch of the tests is exercised.
    const codes = (sv: Solver) => new Set(consistency.filter((c) => c.what === sv.name).map((c) => c.block[sv.slots.ISTOP]));
    expect([...codes(LSQR)]).toEqual(expect.arrayContaining([0, 1, 2, 3, 7]));
    expect([...codes(LSMR)]).toEqual(expect.arrayContaining([0, 2, 3, 7]));
  });

  for (const [n, name] of KERNELS.entries()) {
    it(`${name}: every slot agrees with cpu on recorded, edge-case and random states`, async () => {
      await recordStates();
      const { ks, states } = statesFor(name, 100 + n);
      const stats = await compare(ks.kernel, ks.solver, states, 200 + n);
      const { failures, ...summary } = stats;
      console.log(`${name}: ${JSON.stringify({ ...summary, maxRelWellConditioned: Number(summary.maxRelWellConditioned.toExponential(2)), worst: Number(summary.worst.toFixed(3)) })}`);
      expect(failures.slice(0, 5)).toEqual([]);
      expect(stats.states).toBeGreaterThan(60);
      expect(stats.borderline).toBeLessThan(0.05 * stats.states);
      expect(stats.nonFinite + stats.outOfRange).toBeLessThan(0.1 * states.length);
    });
  }

  it('the machine-precision stopping codes are f32’s: istop 6 and 5 where the cpu (f64) goes on', async () => {
    await recordStates();
    const lsqrStep = recorded.get('lsqr.step')!;
    const k = LSQR.slots;
    const st = lsqrStep.states.find((s) => s[k.ITN] >= 3 && s[k.ITN] < 10)!;
    const input = edited(st, k, { ATOL: 0, BTOL: 0, CTOL: 0, MAXITER: 1000, DDNORM: 1e18 }).map(Math.fround); // cond(Ā) ~ 1e9
    const cpu = runCpu(lsqrStep.kernel, input);
    const [gpuOut] = await runStates(lsqrStep.kernel, LSQR.size, [input]);
    expect(cpu[k.ACOND]).toBeGreaterThan(1 / F32_HALF_EPS);
    expect(cpu[k.ISTOP]).toBe(0);
    expect(gpuOut[k.ISTOP]).toBe(6);

    const lsmrTest = recorded.get('lsmr.test')!;
    const m = LSMR.slots;
    const st2 = lsmrTest.states.find((s) => s[m.ITN] >= 3 && s[m.ITN] < 10)!;
    const input2 = edited(st2, m, { ATOL: 0, BTOL: 0, CTOL: 0, MAXITER: 1000, NORMAR: (s) => s[m.NORMA] * s[m.NORMR] * 1e-9 }).map(Math.fround);
    const cpu2 = runCpu(lsmrTest.kernel, input2);
    const [gpu2] = await runStates(lsmrTest.kernel, LSMR.size, [input2]);
    expect(cpu2[m.ISTOP]).toBe(0);
    expect(gpu2[m.ISTOP]).toBe(5);
    expect(gpu2[m.DONE]).toBe(1);
  });

  it('Steihaug’s boundary crossings stay accurate where b² − 4ac leaves f32’s range', async () => {
    await recordStates();
    const curv = recorded.get('steihaug.curvature')!;
    const k = STEIHAUG.slots;
    const hazard = (s: Float64Array) => {
      const a = s[k.DD], b = 2 * s[k.ZD], c = s[k.ZZ] - s[k.DELTA] * s[k.DELTA];
      const disc = Math.fround(Math.fround(b * b) - Math.fround(4 * a * c));
      return !Number.isFinite(disc) || Math.abs(4 * a * c) < 2 ** -126;
    };
    // The crossings are computed on negative curvature and on leaving the region (FINISH).
    const states = curv.states.filter((s) => hazard(s.map(Math.fround)) && runCpu(curv.kernel, s)[k.FINISH] === 1);
    const big = states.filter((s) => s[k.DELTA] > 1);
    const tiny = states.filter((s) => s[k.DELTA] < 1);
    expect(big.length).toBeGreaterThan(0);
    expect(tiny.length).toBeGreaterThan(0);
    const inputs = [...big, ...tiny].map((s) => s.map(Math.fround));
    const outs = await runStates(curv.kernel, STEIHAUG.size, inputs);
    inputs.forEach((input, i) => {
      const cpu = runCpu(curv.kernel, input);
      expect(Number.isFinite(outs[i][k.STEP])).toBe(true);
      expect(Math.abs(outs[i][k.STEP] - cpu[k.STEP])).toBeLessThan(1e-5 * Math.abs(cpu[k.STEP]));
      expect(outs[i][k.NEG]).toBe(cpu[k.NEG]);
    });
  });

  it('leaves the arena unchanged under a set guard, and runs under a clear one', async () => {
    await recordStates();
    for (const name of KERNELS) {
      const { kernel, solver: sv, states } = recorded.get(name)!;
      const size = sv.size;
      const picks = [states[0], states[Math.floor(states.length / 2)], states[states.length - 1]];
      // The arena: a set flag at 0, a clear one at 1, then the blocks.
      const at = (i: number) => 2 + i * size;
      const arena = new Float32Array(2 + picks.length * size);
      arena[0] = 1;
      picks.forEach((st, i) => arena.set(st, at(i)));
      const run = (a: Float32Array<ArrayBuffer>, guard: (i: number) => number) =>
        runKernel(kernel, size, a, picks.map((_, i) => ({ base: at(i), guard: guard(i) })));
      expect(Array.from(await run(arena, () => 0)), name).toEqual(Array.from(arena));
      // As in a solver's loop: the block's own done slot as the guard, once set.
      const done = arena.slice();
      picks.forEach((_, i) => (done[at(i) + sv.slots.DONE] = 1));
      expect(Array.from(await run(done, (i) => at(i) + sv.slots.DONE)), name).toEqual(Array.from(done));
      const unguarded = await run(arena, () => -1);
      expect(Array.from(await run(arena, () => 1)), name).toEqual(Array.from(unguarded));
      expect(Array.from(await run(arena, (i) => at(i) + sv.slots.DONE)), name).toEqual(Array.from(unguarded));
    }
  });
});
