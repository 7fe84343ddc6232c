/// <reference types="@webgpu/types" />
/**
 * The WebGPU backend's kernels against the CPU backend on the same inputs (f32 against
 * f64: entries agree to about 1e-5 of the magnitudes summed), plus the bookkeeping:
 * subvector views, guards, the scalar arena's growth, 2-D dispatch folding, the buffer
 * pool's live count, errors.
 *
 * Without a WebGPU adapter these tests are skipped (the reason is in the suite name),
 * except under CI=true, where they must run (on SwiftShader) and fail instead.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { CpuBackend } from '../src/backend/cpu.js';
import { slot, type Backend, type Coef, type ScalarBlock, type ScalarKernel, type Vec } from '../src/backend/backend.js';
import { CsrMatrix } from '../src/sparse/csr.js';
import { DenseMatrix } from '../src/linear/dense-matrix.js';
import { BackendError, ShapeMismatchError } from '../src/errors.js';
import { WebGpuBackend, type WebGpuBackendOptions } from '../src/backend/webgpu/backend.js';
import { distinctVectorBlock, rowBlocks, shaderVectorBlock, STREAM_NNZ, WG } from '../src/backend/webgpu/kernels.js';
import { createBackend } from '../src/backend/create.js';
import { rng } from '../src/problems/random-sparse.js';
import { acquireTestGpu, gpuSuiteName } from './helpers/gpu.js';
// @ts-expect-error a plain .mjs script without types
import { generate } from '../shaders/embed.mjs';

// ---- helpers --------------------------------------------------------------------------

function randomVector(n: number, seed: number): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => 2 * r() - 1);
}

/** Values exactly representable in f32, so GPU and CPU start from the same numbers. */
function f32(v: Float64Array): Float64Array {
  return Float64Array.from(Float32Array.from(v));
}

/**
 * A random CSR matrix: row i gets 0..2*avg entries (some rows empty), plus the `long`
 * rows with `longNnz` entries each and a dense column `denseCol` (a long row of Aᵀ).
 */
function randomCsr(rows: number, cols: number, avg: number, seed: number, opts: { long?: number[]; longNnz?: number; denseCol?: number } = {}): CsrMatrix {
  const r = rng(seed);
  const indptr = new Int32Array(rows + 1);
  const indices: number[] = [];
  const data: number[] = [];
  const long = new Set(opts.long ?? []);
  for (let i = 0; i < rows; i++) {
    const cs = new Set<number>();
    if (long.has(i)) {
      const step = cols / (opts.longNnz ?? 1000);
      for (let k = 0; k < (opts.longNnz ?? 1000); k++) cs.add(Math.floor(k * step));
    } else if (i % 5 !== 3) { // every fifth row empty
      const k = Math.floor(r() * 2 * avg);
      for (let t = 0; t < k; t++) cs.add(Math.floor(r() * cols));
    }
    if (opts.denseCol !== undefined && i % 3 !== 0) cs.add(opts.denseCol);
    for (const c of [...cs].sort((a, b) => a - b)) {
      indices.push(c);
      data.push(Math.fround(2 * r() - 1));
    }
    indptr[i + 1] = indices.length;
  }
  return new CsrMatrix(rows, cols, indptr, Int32Array.from(indices), Float64Array.from(data));
}

/** max_i |g_i - c_i| / scale_i: the error in units of the magnitudes that were summed. */
function scaledError(g: Float64Array, c: Float64Array, scale: Float64Array | number): number {
  expect(g.length).toBe(c.length);
  let worst = 0;
  for (let i = 0; i < g.length; i++) {
    const s = typeof scale === 'number' ? scale : scale[i];
    const e = Math.abs(g[i] - c[i]) / Math.max(s, 1e-30);
    if (!(e <= worst)) worst = e; // NaN wins
  }
  return worst;
}

/** |A| |x|: the magnitudes summed by A x (f32 rounding error is relative to these). */
function absProduct(a: CsrMatrix, x: Float64Array): Float64Array {
  const abs = new CsrMatrix(a.rows, a.cols, a.indptr, a.indices, a.data.map(Math.abs));
  return abs.matvec(x.map(Math.abs));
}

/** The measured agreements, printed once at the end. */
const measured: Record<string, number> = {};
function record(name: string, err: number): number {
  measured[name] = Math.max(measured[name] ?? 0, err);
  return err;
}

const TOL = 1e-5;

// ---- the generated shader module ----------------------------------------------------

describe('shaders/embed.mjs', () => {
  it('the committed wgsl.generated.ts matches shaders/*.wgsl', () => {
    const committed = readFileSync(new URL('../src/backend/webgpu/wgsl.generated.ts', import.meta.url), 'utf8');
    expect(committed === generate(), 'run node shaders/embed.mjs').toBe(true);
  });

  it.each(['vector', 'reduce', 'spmv'] as const)('shaders/%s.wgsl declares its vectors as the host generates them', (shader) => {
    expect(shaderVectorBlock(shader)).toBe(distinctVectorBlock(shader));
  });

  it('row blocks: one long row alone, short rows grouped within the budget', () => {
    const indptr = Int32Array.from([0, 2, 2, 2 + STREAM_NNZ + 1, 2 + STREAM_NNZ + 2, 2 + STREAM_NNZ + 3]);
    expect([...rowBlocks(indptr, 5)]).toEqual([0, 2, 3, 5]);
    const many = Int32Array.from({ length: 2 * WG + 2 }, () => 0);
    expect([...rowBlocks(many, 2 * WG + 1)]).toEqual([0, WG, 2 * WG, 2 * WG + 1]);
    expect([...rowBlocks(Int32Array.from([0]), 0)]).toEqual([0]);
  });
});

// ---- the device -----------------------------------------------------------------------

const acquired = await acquireTestGpu();
const suiteName = gpuSuiteName('webgpu kernels', acquired);

describe.skipIf(!acquired.ok)(suiteName, () => {
  const device = (acquired as { device: GPUDevice }).device;
  const made: WebGpuBackend[] = [];
  /** A backend on the shared device (not owned: its dispose leaves the device alone). */
  const gpu = (options?: WebGpuBackendOptions): WebGpuBackend => {
    const b = new WebGpuBackend({ device, adapterInfo: (acquired as { adapterInfo: WebGpuBackend['adapterInfo'] }).adapterInfo, owned: false }, options);
    made.push(b);
    return b;
  };
  const cpu = new CpuBackend();

  afterAll(() => {
    for (const b of made) b.dispose();
    if (acquired.ok) device.destroy();
    console.log('webgpu vs cpu, worst error in units of the summed magnitudes:', measured);
  });

  const FLAVORS = ['flat', 'workgroup'] as const;

  it(`picks the kernel flavour from the adapter (${acquired.ok ? acquired.adapterInfo.architecture : ''})`, () => {
    const g = gpu();
    const info = g.adapterInfo;
    expect(g.flavor).toBe(info.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe/i.test(`${info.architecture} ${info.description}`) ? 'flat' : 'workgroup');
  });

  describe.each(FLAVORS)('SpMV, %s kernels', (flavor) => {
    // 3001 rows (not a multiple of 256), empty rows, one row of 50,000 entries, a column
    // in two thirds of the rows (so Aᵀ has a row of about 2,000 entries).
    const A = randomCsr(3001, 60_013, 6, 11, { long: [1234], longNnz: 50_000, denseCol: 7 });
    const x = f32(randomVector(A.cols, 12));
    const y = f32(randomVector(A.rows, 13));

    it('A x and Aᵀ y agree with the CPU to 1e-5 of |A||x|', async () => {
      const g = gpu({ flavor });
      expect(g.flavor).toBe(flavor);
      expect(A.indptr[1235] - A.indptr[1234]).toBeGreaterThanOrEqual(50_000);
      const m = g.matrix(A);
      const gx = g.vector(A.cols, x), gy = g.vector(A.rows, y);
      const ax = g.vector(A.rows), aty = g.vector(A.cols);
      g.matvec(m, gx, ax);
      g.rmatvec(m, gy, aty);
      const [gax, gaty] = await Promise.all([g.read(ax), g.read(aty)]);
      const At = A.transpose();
      expect(record(`spmv ${flavor}`, scaledError(gax, A.matvec(x), absProduct(A, x)))).toBeLessThan(TOL);
      expect(record(`spmvT ${flavor}`, scaledError(gaty, A.rmatvec(y), absProduct(At, y)))).toBeLessThan(TOL);
      // the empty rows are exact zeros
      for (let i = 3; i < A.rows; i += 5) if (A.indptr[i + 1] === A.indptr[i]) expect(gax[i]).toBe(0);
    });

    it('reads x from and writes y into subvector views, folded into a 2-D grid', async () => {
      const B = randomCsr(1500, 700, 4, 21);
      const xb = f32(randomVector(B.cols, 22));
      const g = gpu({ maxWorkgroupsPerDimension: 4, flavor }); // 2-D grids from 5 workgroups on
      const m = g.matrix(B);
      const big = g.vector(B.cols + 10, f32(randomVector(B.cols + 10, 23)));
      g.write(g.subvector(big, 5, B.cols), xb);
      const out = g.vector(B.rows + 9, new Float64Array(B.rows + 9).fill(-3));
      g.matvec(m, g.subvector(big, 5, B.cols), g.subvector(out, 4, B.rows));
      const all = await g.read(out);
      expect([...all.subarray(0, 4), ...all.subarray(4 + B.rows)]).toEqual(new Array(9).fill(-3));
      expect(record(`spmv ${flavor}`, scaledError(all.subarray(4, 4 + B.rows), B.matvec(xb), absProduct(B, xb)))).toBeLessThan(TOL);
      g.rmatvec(m, g.subvector(out, 4, B.rows), g.subvector(big, 5, B.cols));
      const back = await g.read(g.subvector(big, 5, B.cols));
      const yb = f32(all.subarray(4, 4 + B.rows));
      expect(record(`spmvT ${flavor}`, scaledError(back, B.rmatvec(yb), absProduct(B.transpose(), yb)))).toBeLessThan(TOL);
    });

    it('uploads a DenseMatrix as CSR and refuses a LinearOperator', async () => {
      const g = gpu({ flavor });
      const D = new DenseMatrix(37, 300, f32(randomVector(37 * 300, 31)));
      const xd = f32(randomVector(300, 32)), yd = f32(randomVector(37, 33));
      const m = g.matrix(D);
      const gy = g.vector(37), gx = g.vector(300);
      g.matvec(m, g.vector(300, xd), gy);
      g.rmatvec(m, g.vector(37, yd), gx);
      const absD = new DenseMatrix(37, 300, D.data.map(Math.abs));
      expect(record('dense', scaledError(await g.read(gy), D.matvec(xd), absD.matvec(xd.map(Math.abs))))).toBeLessThan(TOL);
      expect(record('dense', scaledError(await g.read(gx), D.rmatvec(yd), absD.rmatvec(yd.map(Math.abs))))).toBeLessThan(TOL);
      const op = { rows: 2, cols: 2, matvec: (v: Float64Array) => v, rmatvec: (v: Float64Array) => v };
      expect(() => g.matrix(op)).toThrow(BackendError);
      expect(() => g.matvec(m, gy, gx)).toThrow(ShapeMismatchError);
    });
  });

  describe('vector operations', () => {
    const N = 70_001; // > 256 * 256 entries: 274 workgroups, folded 2-D at maxWorkgroupsPerDimension 200
    const xs = f32(randomVector(N, 41)), ys = f32(randomVector(N, 42)), zs = f32(randomVector(N, 43));
    const S0 = [2, 0, -4, 0.5];

    type Vars = { x: Vec; y: Vec; z: Vec; s: ScalarBlock };
    /** Runs `ops` on a backend with x, y, z and a scalar block; returns y, z and the block. */
    async function run(b: Backend, ops: (b: Backend, v: Vars) => void) {
      const v = { x: b.vector(N, xs), y: b.vector(N, ys), z: b.vector(N, zs), s: b.scalars(8, S0) };
      ops(b, v);
      return { y: await b.read(v.y), z: await b.read(v.z), s: await b.readScalars(v.s) };
    }

    async function agree(name: string, ops: Parameters<typeof run>[1], options?: WebGpuBackendOptions) {
      const [g, c] = await Promise.all([run(gpu(options), ops), run(cpu, ops)]);
      // elementwise: relative to the magnitudes (inputs are O(1), coefficients up to 4)
      expect(record(name, scaledError(g.y, c.y, 8))).toBeLessThan(TOL);
      expect(record(name, scaledError(g.z, c.z, 8))).toBeLessThan(TOL);
      return { g, c };
    }

    const coefs: [string, (s: ScalarBlock) => Coef][] = [
      ['number', () => -1.5],
      ['slot', (s) => slot(s, 2)],
      ['invert', (s) => ({ ref: slot(s, 0), invert: true })],
      ['scale', (s) => ({ ref: slot(s, 3), scale: -2 })],
      ['invert+scale', (s) => ({ ref: slot(s, 2), invert: true, scale: 3 })],
      ['1/0 = 0', (s) => ({ ref: slot(s, 1), invert: true })],
    ];

    it.each(coefs)('axpby with a %s coefficient for a and for b', async (_name, c) => {
      await agree('axpby', (b, { x, y, s }) => b.axpby(c(s), x, 0.75, y));
      await agree('axpby', (b, { x, y, s }) => b.axpby(1.25, x, c(s), y), { maxWorkgroupsPerDimension: 200 });
    });

    it('axpby with b = 0 drops NaNs in y; y may be x', async () => {
      const g = gpu();
      const x = g.vector(3, Float64Array.from([1, 2, 3]));
      const y = g.vector(3, Float64Array.from([NaN, Infinity, 1]));
      g.axpby(2, x, 0, y);
      expect([...await g.read(y)]).toEqual([2, 4, 6]);
      g.axpby(1, y, 0.5, y);
      expect([...await g.read(y)]).toEqual([3, 6, 9]);
    });

    it('mul with b = 0, numeric and slot b, z aliasing x or y', async () => {
      await agree('mul', (b, { x, y, z }) => b.mul(x, y, z));
      await agree('mul', (b, { x, y, z }) => b.mul(x, y, z, -0.5));
      await agree('mul', (b, { x, y, z, s }) => b.mul(x, y, z, { ref: slot(s, 3), scale: 2 }), { maxWorkgroupsPerDimension: 200 });
      await agree('mul', (b, { x, y, s }) => b.mul(x, y, y, slot(s, 0))); // z = y
      await agree('mul', (b, { x, y, z }) => {
        b.mul(z, y, z, 1); // z = z∘y + z
        b.mul(x, x, y); // y = x∘x
      });
    });

    it('fill and copy, into views, overlapping views of one buffer included', async () => {
      const ops = (b: Backend, { x, y, z }: Vars) => {
        b.fill(b.subvector(y, 100, 1000), 0.25);
        b.copy(x, z);
        b.copy(b.subvector(y, 0, 5000), b.subvector(y, 3, 5000)); // overlapping, forwards
        b.copy(b.subvector(z, 10, 5000), b.subvector(z, 0, 5000)); // overlapping, backwards
        b.copy(b.subvector(x, 0, 300), b.subvector(y, N - 300, 300));
      };
      const { g, c } = await agree('fill/copy', ops, { maxWorkgroupsPerDimension: 200 });
      expect([...g.y]).toEqual([...c.y]); // exact: copies of f32 values
      expect([...g.z]).toEqual([...c.z]);
    });

    it.each(FLAVORS)('dot and nrm2 agree on sizes around the workgroup size and past a million (%s kernels)', async (flavor) => {
      for (const n of [0, 1, 255, 256, 257, 1000, 65_537, 1_048_583]) {
        const a = f32(randomVector(n, n + 1)), b = f32(randomVector(n, n + 2));
        const g = gpu({ flavor });
        const s = g.scalars(3);
        const ga = g.vector(n, a), gb = g.vector(n, b);
        g.dot(ga, gb, slot(s, 0));
        g.nrm2(ga, slot(s, 1));
        g.dot(ga, ga, slot(s, 2));
        const r = await g.readScalars(s);
        let d = 0, aa = 0, ab = 0;
        for (let i = 0; i < n; i++) {
          d += a[i] * b[i];
          aa += a[i] * a[i];
          ab += Math.abs(a[i] * b[i]);
        }
        expect(record(`dot ${flavor}`, Math.abs(r[0] - d) / Math.max(ab, 1e-30))).toBeLessThan(TOL);
        expect(record(`nrm2 ${flavor}`, Math.abs(r[1] - Math.sqrt(aa)) / Math.max(Math.sqrt(aa), 1e-30))).toBeLessThan(TOL);
        expect(record(`dot ${flavor}`, Math.abs(r[2] - aa) / Math.max(aa, 1e-30))).toBeLessThan(TOL);
        g.dispose();
      }
    });

    it.each(FLAVORS)('nrm2 neither overflows nor underflows in f32 (%s kernels)', async (flavor) => {
      const g = gpu({ flavor });
      const s = g.scalars(3);
      g.nrm2(g.vector(4, Float64Array.from([3e30, 0, -4e30, 0])), slot(s, 0));
      g.nrm2(g.vector(3, Float64Array.from([3e-30, 4e-30, 0])), slot(s, 1));
      g.nrm2(g.vector(2, Float64Array.from([0, 0])), slot(s, 2));
      const r = await g.readScalars(s);
      expect(r[0] / 5e30).toBeCloseTo(1, 6);
      expect(r[1] / 5e-30).toBeCloseTo(1, 6);
      expect(r[2]).toBe(0);
    });
  });

  describe('scalars, guards and kernels', () => {
    const STEP: ScalarKernel = {
      name: 'test.step',
      cpu: (s) => {
        s[1] = s[1] + 1;
        s[2] = Math.sqrt(s[2] * s[2] + s[3]);
        if (s[1] >= 3) s[0] = 1;
      },
      wgsl: `
    s[1] = s[1] + 1.0;
    s[2] = sqrt(s[2] * s[2] + s[3]);
    if (s[1] >= 3.0) { s[0] = 1.0; }`,
    };

    it('a scalar kernel matches its cpu twin and its done flag guards later work in the same submit', async () => {
      const seq = async (b: Backend) => {
        const s = b.scalars(4, [0, 0, 1, 2]);
        const v = b.vector(1000, new Float64Array(1000).fill(1));
        const w = b.vector(1000);
        b.setGuard(slot(s, 0));
        for (let i = 0; i < 6; i++) {
          b.scalarKernel(STEP, s); // sets s[0] on the third call
          b.axpby(1, v, 1, v); // doubles v while not done
          b.nrm2(v, slot(s, 3));
          b.dot(v, v, slot(s, 2));
          b.copy(v, w);
        }
        b.setGuard(null);
        return { s: await b.readScalars(s), v: await b.read(v), w: await b.read(w) };
      };
      const g = gpu();
      const [rg, rc] = [await seq(g), await seq(cpu)];
      expect(rc.s[1]).toBe(3);
      expect(rg.s[0]).toBe(1);
      expect(rg.s[1]).toBe(3);
      expect(rc.v[0]).toBe(4); // two doublings, then the guard set by the third kernel call
      expect([...rg.v]).toEqual([...rc.v]);
      expect([...rg.w]).toEqual([...rc.w]);
      expect(record('scalar kernel', Math.abs(rg.s[2] - rc.s[2]) / rc.s[2])).toBeLessThan(TOL);
      expect(record('scalar kernel', Math.abs(rg.s[3] - rc.s[3]) / rc.s[3])).toBeLessThan(TOL);
      expect(g.stats().submits).toBeLessThanOrEqual(6); // writes and the two reads, not per op
    });

    it.each(FLAVORS)('a set guard skips every operation; a zero guard skips none (%s kernels)', async (flavor) => {
      const g = gpu({ flavor });
      const A = randomCsr(50, 40, 3, 51);
      const m = g.matrix(A);
      const s = g.scalars(4, [1, 0, 7, 0]);
      const x = g.vector(40, new Float64Array(40).fill(2)), y = g.vector(50, new Float64Array(50).fill(3));
      const before = { x: await g.read(x), y: await g.read(y), s: await g.readScalars(s) };
      const all = () => {
        g.matvec(m, x, y);
        g.rmatvec(m, y, x);
        g.axpby(2, x, 3, x);
        g.mul(x, x, x, 1);
        g.fill(y, 9);
        g.copy(g.subvector(y, 0, 40), x);
        g.dot(x, x, slot(s, 2));
        g.nrm2(y, slot(s, 3));
        g.scalarKernel(STEP, s);
      };
      g.setGuard(slot(s, 0));
      all();
      expect({ x: await g.read(x), y: await g.read(y), s: await g.readScalars(s) }).toEqual(before);
      g.setGuard(slot(s, 1)); // zero
      all();
      const after = await g.readScalars(s);
      expect(after[1]).toBe(1); // the kernel ran
      expect(after[3]).toBeCloseTo(9 * Math.sqrt(50), 3);
      g.setGuard(null);
    });

    it('refuses a kernel without WGSL, naming it', () => {
      const g = gpu();
      expect(() => g.scalarKernel({ name: 'cpu.only', cpu: () => {} }, g.scalars(2))).toThrow(/cpu\.only/);
    });

    it('grows the scalar arena without losing slots, also with work still queued', async () => {
      const g = gpu();
      const first = g.scalars(5, [1, 2, 3, 4, 5]);
      const v = g.vector(1000, new Float64Array(1000).fill(0.5));
      g.dot(v, v, slot(first, 4)); // queued against the old arena
      const cap0 = g.stats().arenaCapacity;
      const blocks = Array.from({ length: 40 }, (_, i) => g.scalars(40, Array.from({ length: 40 }, (_, k) => i * 100 + k)));
      expect(g.stats().arenaCapacity).toBeGreaterThan(cap0);
      g.nrm2(v, slot(blocks[39], 0)); // against the new one
      expect([...await g.readScalars(first)]).toEqual([1, 2, 3, 4, 250]);
      const last = await g.readScalars(blocks[39]);
      expect(last[0]).toBeCloseTo(Math.sqrt(250), 4);
      expect(last[39]).toBe(3939);
      for (let i = 0; i < 39; i += 7) expect((await g.readScalars(blocks[i]))[3]).toBe(i * 100 + 3);
      // freed slots are reused: the capacity stays put
      const cap = g.stats().arenaCapacity;
      g.release(...blocks);
      for (let i = 0; i < 40; i++) g.scalars(40);
      expect(g.stats().arenaCapacity).toBe(cap);
      g.writeScalars(first, [9], 1);
      expect([...await g.readScalars(first)]).toEqual([1, 9, 3, 4, 250]);
    });
  });

  describe('buffers and lifetime', () => {
    it.each(FLAVORS)('release returns every buffer; reused buffers start at zero (%s kernels)', async (flavor) => {
      const g = gpu({ flavor });
      const start = g.liveBuffers();
      const A = randomCsr(300, 200, 5, 61);
      const m = g.matrix(A);
      const v = g.vector(1000, new Float64Array(1000).fill(7));
      const view = g.subvector(v, 10, 20);
      const s = g.scalars(3);
      const held = flavor === 'workgroup' ? 9 : 7; // per CSR (A and Aᵀ): indptr, indices, values (, row blocks); the vector
      expect(g.liveBuffers()).toBe(start + held);
      g.release(view); // views are freed with their parent
      expect(g.liveBuffers()).toBe(start + held);
      g.release(m, v, s, v);
      expect(g.liveBuffers()).toBe(start);
      const again = g.vector(1000); // the pooled buffer that held 7s
      expect(g.liveBuffers()).toBe(start + 1);
      expect((await g.read(again)).every((e) => e === 0)).toBe(true);
      await expect(g.read(v)).rejects.toThrow(/released/);
      g.release(again);
      expect(g.liveBuffers()).toBe(start);
      g.dispose();
      expect(g.stats().allocatedBuffers).toBe(0);
      expect(() => g.vector(3)).toThrow(/disposed/);
    });

    it("rejects other backends' handles and mismatched shapes", () => {
      const g = gpu();
      expect(() => g.axpby(1, cpu.vector(3), 1, g.vector(3))).toThrow(BackendError);
      expect(() => g.axpby(1, g.vector(4), 1, g.vector(3))).toThrow(ShapeMismatchError);
      expect(() => g.subvector(g.vector(4), 2, 3)).toThrow(ShapeMismatchError);
      expect(() => g.write(g.vector(4), new Float64Array(3))).toThrow(ShapeMismatchError);
    });

    it("createBackend('webgpu') and createBackend(device): an owned device is destroyed by dispose", async () => {
      const own = await createBackend('webgpu');
      expect(own.kind).toBe('webgpu');
      const v = own.vector(3, Float64Array.from([1, 2, 3]));
      expect([...await own.read(v)]).toEqual([1, 2, 3]);
      const lost = (own as WebGpuBackend).device.lost;
      own.dispose();
      expect((await lost).reason).toBe('destroyed');

      const shared = await createBackend(device);
      expect(shared.kind).toBe('webgpu');
      shared.dispose();
      const w = gpu().vector(2, Float64Array.from([4, 5])); // the caller's device still works
      expect([...await made[made.length - 1].read(w)]).toEqual([4, 5]);
    });
  });
});
