import type { CsrMatrix } from '../../src/sparse/csr.js';
import type { LinearOperator } from '../../src/linear/operator.js';

/** `a` as a plain LinearOperator that counts its products with A in `calls`. */
export function countingOperator(a: CsrMatrix): LinearOperator & { calls: number } {
  const op = {
    rows: a.rows,
    cols: a.cols,
    calls: 0,
    matvec: (x: Float64Array) => {
      op.calls++;
      return a.matvec(x);
    },
    rmatvec: (y: Float64Array) => a.rmatvec(y),
  };
  return op;
}
