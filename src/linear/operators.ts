/**
 * Backend-side linear operators for the Krylov solvers: a matrix, A·diag(d) and the
 * regularized stack [A; diag(d)] — composed from backend primitives, never materialized
 * (scipy's right_multiplied_operator and regularized_lsq_operator).
 */
import type { Backend, DeviceMatrix, Vec } from '../backend/backend.js';
import { ShapeMismatchError } from '../errors.js';

/** A linear operator whose products run on a backend. */
export interface Operator {
  readonly rows: number;
  readonly cols: number;
  /** y = A x (x of length cols, y of length rows) */
  apply(x: Vec, y: Vec): void;
  /** x = Aᵀ y */
  applyT(y: Vec, x: Vec): void;
  /** Frees scratch vectors the operator allocated (not the vectors it was given). */
  release?(): void;
}

/** The operator of an uploaded matrix. */
export function matrixOperator(backend: Backend, a: DeviceMatrix): Operator {
  return {
    rows: a.rows,
    cols: a.cols,
    apply: (x, y) => backend.matvec(a, x, y),
    applyT: (y, x) => backend.rmatvec(a, y, x),
  };
}

/** A·diag(d). `d` is read at each product, so the caller may update it in place. */
export function rightScaledOperator(backend: Backend, a: Operator, d: Vec): Operator {
  if (d.length !== a.cols) throw new ShapeMismatchError('d', `length ${a.cols}`, `length ${d.length}`);
  const tmp = backend.vector(a.cols);
  return {
    rows: a.rows,
    cols: a.cols,
    apply: (x, y) => {
      backend.mul(d, x, tmp);
      a.apply(tmp, y);
    },
    applyT: (y, x) => {
      a.applyT(y, x);
      backend.mul(d, x, x);
    },
    release: () => backend.release(tmp),
  };
}

/** [A; diag(d)], of size (rows + cols) x cols. `d` is read at each product. */
export function augmentedOperator(backend: Backend, a: Operator, d: Vec): Operator {
  if (d.length !== a.cols) throw new ShapeMismatchError('d', `length ${a.cols}`, `length ${d.length}`);
  const m = a.rows, n = a.cols;
  return {
    rows: m + n,
    cols: n,
    apply: (x, y) => {
      a.apply(x, backend.subvector(y, 0, m));
      backend.mul(d, x, backend.subvector(y, m, n));
    },
    applyT: (y, x) => {
      a.applyT(backend.subvector(y, 0, m), x);
      backend.mul(d, backend.subvector(y, m, n), x, 1);
    },
  };
}
