/**
 * The `bounds` option shared by lsqLinear and leastSquares: [lb, ub], each a number
 * (broadcast) or an array of length n, with lb < ub strictly (scipy's prepare_bounds).
 */
import { InvalidArgumentError, ShapeMismatchError } from '../errors.js';
import { describe } from '../validate.js';

/** Lower and upper bounds; ±Infinity disables a side. */
export type BoundsOption = readonly [number | ArrayLike<number>, number | ArrayLike<number>];

/** Parses and checks `bounds` for n variables. */
export function prepareBounds(bounds: BoundsOption | undefined, n: number, name = 'bounds'): { lb: Float64Array; ub: Float64Array } {
  if (bounds === undefined) {
    return { lb: new Float64Array(n).fill(-Infinity), ub: new Float64Array(n).fill(Infinity) };
  }
  if (!Array.isArray(bounds) || bounds.length !== 2) {
    throw new InvalidArgumentError(name, '[lb, ub] with two entries', `got ${describe(bounds)}`);
  }
  const side = (v: unknown, which: string): Float64Array => {
    if (typeof v === 'number') {
      if (Number.isNaN(v)) throw new InvalidArgumentError(`${name}.${which}`, 'a number or an array of numbers, not NaN');
      return new Float64Array(n).fill(v);
    }
    if (Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView))) {
      const a = Float64Array.from(v as ArrayLike<number>);
      if (a.length !== n) throw new ShapeMismatchError(`${name}.${which}`, `length ${n} (the number of variables) or a scalar`, `length ${a.length}`);
      for (let i = 0; i < n; i++) {
        if (Number.isNaN(a[i])) throw new InvalidArgumentError(`${name}.${which}`, 'numbers (±Infinity allowed), not NaN', `element ${i} is NaN`);
      }
      return a;
    }
    throw new InvalidArgumentError(`${name}.${which}`, 'a number or an array of numbers', `got ${describe(v)}`);
  };
  const lb = side(bounds[0], 'lb');
  const ub = side(bounds[1], 'ub');
  for (let i = 0; i < n; i++) {
    if (!(lb[i] < ub[i])) {
      throw new InvalidArgumentError(name, 'each lower bound strictly less than its upper bound', `lb[${i}] = ${lb[i]} >= ub[${i}] = ${ub[i]}`);
    }
  }
  return { lb, ub };
}

/** True when no variable has a finite bound. */
export function isUnbounded(lb: ArrayLike<number>, ub: ArrayLike<number>): boolean {
  for (let i = 0; i < lb.length; i++) if (lb[i] !== -Infinity || ub[i] !== Infinity) return false;
  return true;
}
