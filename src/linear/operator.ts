/**
 * The matrix-free operator contract (scipy's LinearOperator): anything with a shape and
 * the two products y = A x and x = Aᵀ y. CsrMatrix and DenseMatrix satisfy it too.
 */
export interface LinearOperator {
  readonly rows: number;
  readonly cols: number;
  /** y = A x, x of length `cols`; returns a new array of length `rows`. */
  matvec(x: Float64Array): Float64Array;
  /** x = Aᵀ y, y of length `rows`; returns a new array of length `cols`. */
  rmatvec(y: Float64Array): Float64Array;
}

/** True when `a` looks like a LinearOperator (shape plus both products). */
export function isLinearOperator(a: unknown): a is LinearOperator {
  if (typeof a !== 'object' || a === null) return false;
  const o = a as Record<string, unknown>;
  return (
    Number.isInteger(o.rows) && Number.isInteger(o.cols) &&
    typeof o.matvec === 'function' && typeof o.rmatvec === 'function'
  );
}
