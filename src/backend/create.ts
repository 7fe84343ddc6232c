/**
 * Backend selection. 'auto' picks the fastest backend available for the problem; today
 * that is the CPU backend (the WebGPU backend joins it with its measured crossover).
 */
import type { Backend } from './backend.js';
import { createCpuBackend } from './cpu.js';
import { requireOneOf } from '../validate.js';

/** Where a solve runs: 'auto' (default) or 'cpu'. */
export type BackendOption = 'auto' | 'cpu';

export const BACKEND_OPTIONS: readonly BackendOption[] = ['auto', 'cpu'];

/**
 * Creates a backend.
 * @param kind 'auto' (default) or 'cpu'
 */
export async function createBackend(kind: BackendOption = 'auto'): Promise<Backend> {
  requireOneOf('backend', kind, BACKEND_OPTIONS);
  return createCpuBackend();
}

/** Resolves a user's `backend` option, or passes a Backend instance through. */
export async function resolveBackend(option: BackendOption | Backend | undefined): Promise<Backend> {
  if (option !== undefined && option !== null && typeof option === 'object') return option;
  return createBackend(option ?? 'auto');
}
