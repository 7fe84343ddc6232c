/**
 * trustgpu: nonlinear least squares and trust-region solvers, on the GPU through WebGPU
 * with a CPU fallback. Public exports only.
 */
export { CsrMatrix } from './sparse/csr.js';
export { DenseMatrix } from './linear/dense-matrix.js';
export type { LinearOperator } from './linear/operator.js';
export { createBackend } from './backend/create.js';
export type { BackendOption } from './backend/create.js';
export type { Backend, BackendKind, Vec, ScalarBlock, ScalarRef, ScalarKernel, Coef, DeviceMatrix } from './backend/backend.js';
export {
  TrustGpuError,
  InvalidArgumentError,
  ShapeMismatchError,
  LinearAlgebraError,
  AbortError,
  BackendError,
} from './errors.js';
