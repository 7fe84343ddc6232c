/**
 * Operations on a {@link Jacobian} whatever its kind: products, the gradient Jᵀf, row
 * scaling for robust losses and column norms for xScale = 'jac'.
 */
import { CsrMatrix } from '../sparse/csr.js';
import { DenseMatrix } from '../linear/dense-matrix.js';
import type { LinearOperator } from '../linear/operator.js';
import type { Jacobian } from './types.js';
import { InvalidArgumentError } from '../errors.js';

/** Jᵀ f */
export function computeGrad(J: Jacobian, f: Float64Array): Float64Array {
  return J.rmatvec(f);
}

/** diag(w) J, keeping the kind (a LinearOperator is wrapped, not materialized). */
export function scaleRows(J: Jacobian, w: Float64Array): Jacobian {
  if (J instanceof DenseMatrix || J instanceof CsrMatrix) return J.scaleRows(w);
  const op: LinearOperator = J;
  return {
    rows: op.rows,
    cols: op.cols,
    matvec: (x: Float64Array) => {
      const y = op.matvec(x);
      for (let i = 0; i < y.length; i++) y[i] *= w[i];
      return y;
    },
    rmatvec: (y: Float64Array) => {
      const t = new Float64Array(y.length);
      for (let i = 0; i < y.length; i++) t[i] = y[i] * w[i];
      return op.rmatvec(t);
    },
  };
}

/** J diag(d), keeping the kind. */
export function scaleColumns(J: Jacobian, d: Float64Array): Jacobian {
  if (J instanceof DenseMatrix || J instanceof CsrMatrix) return J.scaleColumns(d);
  const op: LinearOperator = J;
  return {
    rows: op.rows,
    cols: op.cols,
    matvec: (x: Float64Array) => {
      const t = new Float64Array(x.length);
      for (let i = 0; i < x.length; i++) t[i] = x[i] * d[i];
      return op.matvec(t);
    },
    rmatvec: (y: Float64Array) => {
      const x = op.rmatvec(y);
      for (let i = 0; i < x.length; i++) x[i] *= d[i];
      return x;
    },
  };
}

/**
 * scipy's compute_jac_scale: scale⁻¹ = the column norms, never decreasing across
 * iterations (max with the previous scale⁻¹); on the first call zero columns get 1.
 */
export function computeJacScale(J: Jacobian, previousInverse?: Float64Array): { scale: Float64Array; scaleInv: Float64Array } {
  if (!(J instanceof DenseMatrix || J instanceof CsrMatrix)) {
    throw new InvalidArgumentError('xScale', "an array or a number when jac returns a LinearOperator", "got 'jac'");
  }
  const scaleInv = J.columnNorms();
  for (let j = 0; j < scaleInv.length; j++) {
    if (previousInverse) scaleInv[j] = Math.max(scaleInv[j], previousInverse[j]);
    else if (scaleInv[j] === 0) scaleInv[j] = 1;
  }
  const scale = new Float64Array(scaleInv.length);
  for (let j = 0; j < scale.length; j++) scale[j] = 1 / scaleInv[j];
  return { scale, scaleInv };
}
