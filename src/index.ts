/**
 * trustgpu: nonlinear least squares and trust-region solvers, on the GPU through WebGPU
 * with a CPU fallback. Public exports only.
 */
export { CsrMatrix } from './sparse/csr.js';
export { DenseMatrix } from './linear/dense-matrix.js';
export type { LinearOperator } from './linear/operator.js';
export { leastSquares, LEAST_SQUARES_MESSAGES } from './least-squares/least-squares.js';
export type { LeastSquaresOptions, LeastSquaresResult, ResidualFunction, JacobianFunction } from './least-squares/least-squares.js';
export type { IterationState, Jacobian, TrOptions } from './least-squares/types.js';
export type { LossName, LossCallback } from './least-squares/losses.js';
export type { BoundsOption } from './least-squares/bounds.js';
export { lsqLinear, LSQ_LINEAR_MESSAGES } from './linear/lsq-linear.js';
export type { LsqLinearOptions, LsqLinearResult, UnboundedSolution } from './linear/lsq-linear.js';
export { lsmr, LSMR_MESSAGES } from './linear/lsmr.js';
export type { LsmrOptions, LsmrResult } from './linear/lsmr.js';
export { lsqr, LSQR_MESSAGES } from './linear/lsqr.js';
export type { LsqrOptions, LsqrResult } from './linear/lsqr.js';
export { steihaugCg } from './linear/steihaug-cg.js';
export type { SteihaugOptions, SteihaugResult } from './linear/steihaug-cg.js';
export { createBackend } from './backend/create.js';
export type { BackendOption } from './backend/create.js';
export type { WebGpuBackend, WebGpuStats } from './backend/webgpu/backend.js';
export type { Backend, BackendKind, Vec, ScalarBlock, ScalarRef, ScalarKernel, Coef, DeviceMatrix } from './backend/backend.js';
export {
  TrustGpuError,
  InvalidArgumentError,
  ShapeMismatchError,
  LinearAlgebraError,
  AbortError,
  BackendError,
  EvaluationError,
} from './errors.js';
