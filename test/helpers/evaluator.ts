import type { Jacobian, ProblemEvaluator } from '../../src/least-squares/types.js';

export type Fun = (x: Float64Array) => ArrayLike<number>;
export type Jac = (x: Float64Array) => Jacobian;

export interface CountingEvaluator extends ProblemEvaluator {
  nfev: number;
  njev: number;
  /** Every point fun was called at, copied. */
  readonly points: Float64Array[];
  /** The analytic Jacobian: `f` is not needed. */
  jac(x: Float64Array, f?: Float64Array): Promise<Jacobian>;
}

/**
 * A ProblemEvaluator for driving trf and dogbox directly: wraps a residual and an analytic
 * Jacobian, counts calls and records the points fun saw. Both get copies of x.
 */
export function countingEvaluator(m: number, n: number, f: Fun, j: Jac): CountingEvaluator {
  const ev: CountingEvaluator = {
    m,
    n,
    nfev: 0,
    njev: 0,
    points: [],
    async fun(x: Float64Array): Promise<Float64Array> {
      ev.nfev++;
      ev.points.push(Float64Array.from(x));
      return Float64Array.from(f(Float64Array.from(x)));
    },
    async jac(x: Float64Array): Promise<Jacobian> {
      ev.njev++;
      return j(Float64Array.from(x));
    },
  };
  return ev;
}
