/**
 * Backend selection. 'auto' picks the fastest backend available for the problem; today
 * that is the CPU backend (the WebGPU backend joins it with its measured crossover).
 * 'webgpu' or a caller's GPUDevice gives the WebGPU backend.
 */
import type { Backend } from './backend.js';
import { createCpuBackend } from './cpu.js';
import { createWebGpuBackend } from './webgpu/backend.js';
import { isGpuDevice } from './webgpu/device.js';
import { requireOneOf } from '../validate.js';

/** Where a solve runs: 'auto' (default), 'cpu' or 'webgpu'. */
export type BackendOption = 'auto' | 'cpu' | 'webgpu';

export const BACKEND_OPTIONS: readonly BackendOption[] = ['auto', 'cpu', 'webgpu'];

/**
 * Creates a backend.
 * @param kind 'auto' (default), 'cpu', 'webgpu' (throws BackendError when no adapter
 *   exists), or a GPUDevice of the caller's (used, never destroyed)
 */
export async function createBackend(kind: BackendOption | GPUDevice = 'auto'): Promise<Backend> {
  if (isGpuDevice(kind)) return createWebGpuBackend(kind);
  requireOneOf('backend', kind, BACKEND_OPTIONS);
  return kind === 'webgpu' ? createWebGpuBackend() : createCpuBackend();
}

/** What a solver's `backend` option accepts: a kind, a caller's GPUDevice, or a Backend. */
export type BackendChoice = BackendOption | GPUDevice | Backend;

/**
 * Resolves a user's `backend` option. `owned` is true when the backend was made here (from
 * a kind or a GPUDevice), so the solver must dispose it; a Backend instance is the caller's.
 * (Disposing a backend made on a caller's GPUDevice frees its buffers, never the device.)
 */
export async function resolveBackend(option: BackendChoice | undefined): Promise<{ backend: Backend; owned: boolean }> {
  if (option !== undefined && option !== null && typeof option === 'object' && !isGpuDevice(option)) return { backend: option, owned: false };
  return { backend: await createBackend(option ?? 'auto'), owned: true };
}
