import { describe, expect, it } from 'vitest';
import {
  buildQuadratic1d, clScalingVector, evaluateQuadratic, findActiveConstraints, intersectTrustRegion,
  makeStrictlyFeasible, minimizeQuadratic1d, nextAfter, reflectiveTransformation, stepSizeToBound, updateTrRadius,
} from '../src/least-squares/common.js';
import { prepareBounds } from '../src/least-squares/bounds.js';
import { InvalidArgumentError } from '../src/index.js';

const f = (a: number[]) => Float64Array.from(a);
const inf = Infinity;

describe('trust-region helpers (hand-computed values)', () => {
  it('stepSizeToBound finds the first bound and which side', () => {
    const { step, hits } = stepSizeToBound(f([0, 0, 0]), f([1, -2, 0]), f([-1, -1, -1]), f([2, 1, 1]));
    expect(step).toBe(0.5); // second component reaches -1 at t = 0.5
    expect(Array.from(hits)).toEqual([0, -1, 0]);
    expect(stepSizeToBound(f([0]), f([0]), f([-1]), f([1])).step).toBe(Infinity);
  });

  it('findActiveConstraints uses rtol · max(1, |bound|)', () => {
    const act = findActiveConstraints(f([1e-11, 5, 100 - 5e-9, 0]), f([0, 0, -inf, -inf]), f([inf, 5, 100, inf]), 1e-10);
    expect(Array.from(act)).toEqual([-1, 1, 1, 0]);
  });

  it('makeStrictlyFeasible moves active components inside', () => {
    const x = makeStrictlyFeasible(f([0, 1, 0.5]), f([0, 0, 0]), f([1, 1, 1]), 0.1);
    expect(Array.from(x)).toEqual([0.1, 0.9, 0.5]);
    const y = makeStrictlyFeasible(f([0]), f([0]), f([1]), 0);
    expect(y[0]).toBe(Number.MIN_VALUE);
    expect(nextAfter(1, 2)).toBe(1 + 2 ** -52);
    expect(nextAfter(1, 0)).toBe(1 - 2 ** -53);
  });

  it('clScalingVector follows the sign of the gradient', () => {
    const { v, dv } = clScalingVector(f([0.5, 0.5, 0.5, 0.5]), f([1, -1, 1, -1]), f([0, 0, -inf, -inf]), f([2, 2, inf, inf]));
    expect(Array.from(v)).toEqual([0.5, 1.5, 1, 1]);
    expect(Array.from(dv)).toEqual([1, -1, 0, 0]);
  });

  it('reflectiveTransformation mirrors at the bounds', () => {
    const { x, g } = reflectiveTransformation(f([-1, 3.5, 5, -7]), f([0, 0, -inf, -inf]), f([inf, 1, 4, inf]));
    expect(Array.from(x)).toEqual([1, 0.5, 3, -7]);
    expect(Array.from(g)).toEqual([-1, -1, -1, 1]);
  });

  it('quadratic helpers agree with direct evaluation', () => {
    // J = [[1, 2], [0, 1]], g = [1, -1], s = [1, 1], s0 = [0.5, 0], diag = [2, 3]
    const J = (v: number[]) => f([v[0] + 2 * v[1], v[1]]);
    const g = f([1, -1]), s = [1, 1], s0 = [0.5, 0], diag = f([2, 3]);
    const q = buildQuadratic1d(J(s), g, f(s), diag, f(s0), J(s0));
    for (const t of [-1, 0, 0.3, 2]) {
      const p = f([s0[0] + t * s[0], s0[1] + t * s[1]]);
      const direct = evaluateQuadratic(J(Array.from(p)), g, p, diag);
      expect(q.a * t * t + q.b * t + q.c).toBeCloseTo(direct, 12);
    }
    expect(minimizeQuadratic1d(1, -2, -5, 5)).toEqual({ t: 1, value: -1 });
    expect(minimizeQuadratic1d(-1, 0, -1, 2)).toEqual({ t: 2, value: -4 });
  });

  it('intersectTrustRegion returns both roots', () => {
    const [a, b] = intersectTrustRegion(f([0, 0]), f([3, 4]), 10);
    expect(a).toBeCloseTo(-2, 14);
    expect(b).toBeCloseTo(2, 14);
    expect(() => intersectTrustRegion(f([20, 0]), f([1, 0]), 10)).toThrow(RangeError);
  });

  it('updateTrRadius shrinks on poor ratios and doubles on good boundary steps', () => {
    expect(updateTrRadius(1, 0.1, 1, 0.8, true)).toEqual({ delta: 0.2, ratio: 0.1 });
    expect(updateTrRadius(1, 0.9, 1, 1, true)).toEqual({ delta: 2, ratio: 0.9 });
    expect(updateTrRadius(1, 0.9, 1, 0.5, false)).toEqual({ delta: 1, ratio: 0.9 });
    expect(updateTrRadius(1, 1, 0, 0.5, false).ratio).toBe(0);
    expect(updateTrRadius(1, 0, 0, 0.5, false)).toEqual({ delta: 1, ratio: 1 });
  });
});

describe('prepareBounds', () => {
  it('broadcasts scalars and checks lb < ub', () => {
    expect(Array.from(prepareBounds([0, [1, 2]], 2).lb)).toEqual([0, 0]);
    expect(() => prepareBounds([1, 1], 2)).toThrow(InvalidArgumentError);
    expect(() => prepareBounds([[0, 0, 0], 1], 2)).toThrow(/bounds.lb/);
    expect(() => prepareBounds([0, NaN], 1)).toThrow(/bounds.ub/);
  });
});
