/**
 * The Krylov solvers, written once against the Backend interface, run unchanged on the
 * WebGPU backend (f32) and agree with the CPU backend (f64) on the same problems.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CsrMatrix, lsmr, lsqr, steihaugCg } from '../src/index.js';
import { WebGpuBackend } from '../src/backend/webgpu/backend.js';
import { randomSparseMatrix, randomVector } from '../src/problems/random-sparse.js';
import { acquireTestGpu, gpuSuiteName } from './helpers/gpu.js';

const gpu = await acquireTestGpu();

describe.skipIf(!gpu.ok)(gpuSuiteName('Krylov solvers on WebGPU', gpu), () => {
  const made: WebGpuBackend[] = [];
  const backend = () => {
    const g = gpu as Extract<typeof gpu, { ok: true }>;
    const b = new WebGpuBackend({ device: g.device, adapterInfo: g.adapterInfo, owned: false });
    made.push(b);
    return b;
  };
  afterAll(() => {
    for (const b of made) b.dispose();
    if (gpu.ok) gpu.device.destroy();
  });

  const A = randomSparseMatrix(2000, 200, 10000, 11);
  const b = randomVector(2000, 12);
  const rel = (x: number, y: number) => Math.abs(x - y) / Math.max(1e-30, Math.abs(y));

  it('lsmr: same stopping code and iterations, residual to f32 accuracy', async () => {
    const cpu = await lsmr(A, b, { backend: 'cpu' });
    const g = backend();
    const res = await lsmr(A, b, { backend: g });
    expect(res.backend).toBe('webgpu');
    expect(res.istop).toBe(cpu.istop);
    expect(Math.abs(res.itn - cpu.itn)).toBeLessThanOrEqual(1);
    expect(rel(res.normr, cpu.normr)).toBeLessThan(1e-5);
    let err = 0, size = 0;
    res.x.forEach((v, i) => { err = Math.max(err, Math.abs(v - cpu.x[i])); size = Math.max(size, Math.abs(cpu.x[i])); });
    expect(err / size).toBeLessThan(1e-4);
  });

  it('lsqr: same stopping code and residual to f32 accuracy', async () => {
    const cpu = await lsqr(A, b, { backend: 'cpu' });
    const res = await lsqr(A, b, { backend: backend() });
    expect(res.istop).toBe(cpu.istop);
    expect(rel(res.r1norm, cpu.r1norm)).toBeLessThan(1e-5);
  });

  it('steihaugCg: boundary and negative-curvature steps as on the CPU', async () => {
    const B = CsrMatrix.fromDense([[2, 1, 0], [1, -3, 1], [0, 1, 4]]);
    const cpu = await steihaugCg(B, [1, 1, 1], 0.8, { backend: 'cpu' });
    const res = await steihaugCg(B, [1, 1, 1], 0.8, { backend: backend() });
    expect(res.hitsBoundary).toBe(cpu.hitsBoundary);
    expect(res.negativeCurvature).toBe(cpu.negativeCurvature);
    expect(res.iterations).toBe(cpu.iterations);
    res.step.forEach((v, i) => expect(v).toBeCloseTo(cpu.step[i], 6));
  });

  it("accepts the caller's GPUDevice as backend and leaves it usable", async () => {
    const device = (gpu as Extract<typeof gpu, { ok: true }>).device;
    const first = await lsmr(A, b, { backend: device });
    expect(first.backend).toBe('webgpu');
    const second = await lsmr(A, b, { backend: device });
    expect(second.istop).toBe(first.istop);
    expect(second.normr).toBe(first.normr);
  });

  it('frees what a solve allocated', async () => {
    const g = backend();
    const before = g.liveBuffers();
    await lsmr(A, b, { backend: g });
    await lsqr(A, b, { backend: g });
    expect(g.liveBuffers()).toBe(before);
  });
});
