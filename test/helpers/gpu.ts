/**
 * One WebGPU device for a test file, or the reason there is none. Without an adapter the
 * GPU suites skip (the reason is in their name), except under CI=true, where a GPU test
 * must run on SwiftShader and its absence is a failure.
 */
import { describe, it } from 'vitest';
import { acquireDevice } from '../../src/backend/webgpu/device.js';

export type AcquiredGpu =
  | { ok: true; device: GPUDevice; adapterInfo: Awaited<ReturnType<typeof acquireDevice>>['adapterInfo'] }
  | { ok: false; reason: string };

export async function acquireTestGpu(): Promise<AcquiredGpu> {
  return acquireDevice().then(
    (a) => ({ ok: true as const, device: a.device, adapterInfo: a.adapterInfo }),
    (e: unknown) => ({ ok: false as const, reason: e instanceof Error ? e.message : String(e) }),
  );
}

/** Registers a failing test when CI requires a GPU and none was found; returns the suite name. */
export function gpuSuiteName(title: string, gpu: AcquiredGpu): string {
  if (!gpu.ok && process.env.CI === 'true') {
    describe(title, () => {
      it('has a WebGPU adapter (required when CI=true)', () => {
        throw new Error(`no WebGPU adapter in CI: ${gpu.reason}`);
      });
    });
  }
  return gpu.ok ? `${title} on ${gpu.adapterInfo.vendor} ${gpu.adapterInfo.architecture}` : `${title} (skipped: ${gpu.reason})`;
}
