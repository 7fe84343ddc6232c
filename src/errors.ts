/**
 * The error hierarchy of trustgpu. Every error the library throws on purpose is a
 * {@link TrustGpuError}; callers can branch on the subclass or on `code`.
 */

/** Base class of all errors thrown by trustgpu. */
export class TrustGpuError extends Error {
  /** A stable machine-readable code, e.g. `'INVALID_ARGUMENT'`. */
  readonly code: string;
  constructor(message: string, code = 'TRUSTGPU_ERROR', options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * A bad argument: wrong shape, type, range or a non-finite value.
 * `argument` names the argument (or option) at fault, `expected` says what was expected.
 */
export class InvalidArgumentError extends TrustGpuError {
  readonly argument: string;
  readonly expected: string;
  constructor(argument: string, expected: string, detail?: string) {
    super(`${argument}: ${detail ? `${detail}; ` : ''}expected ${expected}`, 'INVALID_ARGUMENT');
    this.argument = argument;
    this.expected = expected;
  }
}

/** Two arguments whose shapes do not fit together (e.g. A is 3x2 but b has length 4). */
export class ShapeMismatchError extends InvalidArgumentError {
  constructor(argument: string, expected: string, got: string) {
    super(argument, expected, `got ${got}`);
    (this as { code: string }).code = 'SHAPE_MISMATCH';
  }
}

/** A linear-algebra failure that is not the caller's fault (e.g. a breakdown in a factorization). */
export class LinearAlgebraError extends TrustGpuError {
  constructor(message: string) {
    super(message, 'LINEAR_ALGEBRA');
  }
}

/** A solve stopped by an AbortSignal. `x` holds the last accepted point when there is one. */
export class AbortError extends TrustGpuError {
  readonly x: Float64Array | undefined;
  constructor(message = 'The operation was aborted', x?: Float64Array, cause?: unknown) {
    super(message, 'ABORTED', { cause });
    this.x = x;
  }
}

/** A backend that cannot be used (no WebGPU adapter, device lost, problem too large for the device). */
export class BackendError extends TrustGpuError {
  constructor(message: string, cause?: unknown) {
    super(message, 'BACKEND', { cause });
  }
}

/**
 * The user's function (fun, jac, a callback or a LinearOperator) threw or returned
 * something unusable. `x` is the point it was evaluated at; `cause` holds a thrown error.
 */
export class EvaluationError extends TrustGpuError {
  readonly x: Float64Array;
  /** Which user function failed: 'fun', 'jac', ... */
  readonly source: string;
  constructor(source: string, message: string, x: Float64Array, cause?: unknown) {
    super(`${source}: ${message}`, 'EVALUATION', { cause });
    this.source = source;
    this.x = new Float64Array(x);
  }
}
