import { describe, expect, it } from 'vitest';
import {
  adjustSchemeToBounds, approxDerivative, absoluteStep, validateSparsity,
} from '../src/least-squares/finite-diff.js';
import { groupColumns, groupCount, isStructurallyOrthogonal, scipyDefaultOrder } from '../src/sparse/column-groups.js';
import { CsrMatrix } from '../src/sparse/csr.js';
import { DenseMatrix } from '../src/linear/dense-matrix.js';
import { AbortError, EvaluationError, InvalidArgumentError } from '../src/errors.js';

const f64 = (a: number[]) => Float64Array.from(a);
const inf = Infinity;
/** Entries with -0 turned into +0 (scipy's values are compared bit for bit otherwise). */
const plain = (a: ArrayLike<number>) => Array.from(a, (v) => v + 0);

/**
 * A 4 -> 4 test function using only + - * / so that JavaScript and NumPy evaluate it
 * bit-identically; then the finite-difference Jacobians must agree exactly.
 */
function small(x: Float64Array): Float64Array {
  return f64([
    x[0] * x[0] * x[1] + x[2],
    x[0] * x[1] * x[2] - 3.0,
    (x[1] * x[1]) / (1.0 + x[0] * x[0]) + x[3] * x[2],
    (x[3] * x[3] * x[3]) / (1.0 + x[2] * x[2]) - x[0],
  ]);
}
const x0 = f64([1.3, -0.7, 0.0, 25.0]);

/** Counts calls; optionally sleeps a microtask so the async path is exercised. */
function counted(fn: (x: Float64Array) => Float64Array) {
  const calls = { n: 0 };
  const fun = async (x: Float64Array) => {
    calls.n++;
    await Promise.resolve();
    return fn(x);
  };
  return { fun, calls };
}

/*
 * Reference values: scipy 1.17.1 / numpy 2.4.6, made by
 *
 *   import numpy as np
 *   from scipy.optimize._numdiff import approx_derivative
 *   def f(x):
 *       return np.array([x[0]*x[0]*x[1] + x[2], x[0]*x[1]*x[2] - 3.0,
 *                        x[1]*x[1]/(1.0 + x[0]*x[0]) + x[3]*x[2],
 *                        x[3]*x[3]*x[3]/(1.0 + x[2]*x[2]) - x[0]])
 *   x0 = np.array([1.3, -0.7, 0.0, 25.0]); f0 = f(x0); inf = np.inf
 *   cases = {
 *    'twoPoint': dict(method='2-point'),
 *    'threePoint': dict(method='3-point'),
 *    'twoPointBounds': dict(method='2-point', bounds=([-inf, -0.7 - 1e-9, -inf, 24.0], [1.3, -0.7 + 2e-9, 1e-9, 25.0 + 1e-7])),
 *    'threePointBounds': dict(method='3-point', bounds=([-inf, -0.7 - 1e-7, -3e-6, 25.0 - 1e-5], [1.3, inf, 4e-6, 25.0 + 1e-2])),
 *    'relStepScalar': dict(method='2-point', rel_step=1e-4),
 *    'relStepArray': dict(method='3-point', rel_step=np.array([1e-3, 0.0, 1e-2, 1e-6])),
 *   }
 *   for k, kw in cases.items():
 *       J = approx_derivative(f, x0, f0=f0, **kw)
 *       print(f"  {k}: [{', '.join(repr(float(v)) for v in J.ravel())}],")
 *
 * The bounded cases cover: a step reversed at an upper bound (x0[0] = ub), a box too
 * narrow for the step (x[1], 2-point: full distance to the farther bound), x = 0 with a
 * bound inside the step, one-sided 3-point forward/backward, and the "adjusted central"
 * 3-point case (x[2]: central with the distance to the nearer bound). relStepArray's 0
 * entry takes scipy's fallback to the default step.
 */
const SCIPY_J: Record<string, number[]> = {
  twoPoint: [-1.820000013067172, 1.6899999976158142, 1.0, 0.0, 0.0, -0.0, -0.9099999964237213, 0.0, -0.1760616873916793, -0.5204461012035608, 25.0, 0.0, -1.0000375623887263, -0.0, -0.000244140625, 1875.0000244140624],
  threePoint: [-1.8200000000056413, 1.6899999999928497, 0.9999999999868848, 0.0, 0.0, 0.0, -0.9100000000008991, 0.0, -0.17606169069140806, -0.5204460966526564, 25.000000000002135, 0.0, -0.9999999588184217, 0.0, 0.0, 1875.0000000156765],
  twoPointBounds: [-1.8199999901423087, 1.6899999827915435, 1.0, -0.0, -0.0, 0.0, -0.9099999964237213, -0.0, -0.17606169455569912, -0.5204460887093708, 25.0, -0.0, -0.9999436621481265, 0.0, 0.000244140625, 1874.9999755859376],
  threePointBounds: [-1.8200000000338479, 1.6900000000266764, 0.9999999999917482, 7.333705725001431e-13, -0.0, 0.0, -0.9099999999466016, 0.0, -0.17606169068611932, -0.5204460966597192, 24.999999999997247, -9.167132156251789e-14, -0.9999994966821348, -3.003885864972703e-07, 0.0, 1874.9999999315678],
  relStepScalar: [-1.8200909999997408, 1.6899999999998732, 1.0, 0.0, 0.0, -0.0, -0.9099999964237213, 0.0, -0.17604837209208743, -0.5204721189591811, 25.0, 0.0, -1.0000000027226084, -0.0, -0.000244140625, 1875.1875062499905],
  relStepArray: [-1.819999999999959, 1.6899999999928497, 0.9999999999868848, 0.0, 0.0, 0.0, -0.9100000000008991, 0.0, -0.17606174743448483, -0.5204460966526564, 25.000000000002135, 0.0, -0.9999999999238216, 0.0, 0.0, 1875.0000000468958],
};
const B2 = { lb: f64([-inf, -0.7 - 1e-9, -inf, 24.0]), ub: f64([1.3, -0.7 + 2e-9, 1e-9, 25.0 + 1e-7]) };
const B3 = { lb: f64([-inf, -0.7 - 1e-7, -3e-6, 25.0 - 1e-5]), ub: f64([1.3, inf, 4e-6, 25.0 + 1e-2]) };
const CASES = [
  { name: 'twoPoint', opts: { method: '2-point' as const } },
  { name: 'threePoint', opts: { method: '3-point' as const } },
  { name: 'twoPointBounds', opts: { method: '2-point' as const, ...B2 } },
  { name: 'threePointBounds', opts: { method: '3-point' as const, ...B3 } },
  { name: 'relStepScalar', opts: { method: '2-point' as const, relStep: 1e-4 } },
  { name: 'relStepArray', opts: { method: '3-point' as const, relStep: f64([1e-3, 0.0, 1e-2, 1e-6]) } },
];

describe('approxDerivative (dense) against scipy approx_derivative', () => {
  it.each(CASES)('$name: bit-identical Jacobian, n (2-point) or 2n (3-point) evaluations', async ({ name, opts }) => {
    const { fun, calls } = counted(small);
    const J = await approxDerivative(fun, x0, small(x0), opts);
    expect(J).toBeInstanceOf(DenseMatrix);
    expect([J.rows, J.cols]).toEqual([4, 4]);
    expect(plain((J as DenseMatrix).data)).toEqual(plain(SCIPY_J[name]));
    // scipy: approx_derivative(..., full_output=True)[1] == {'nfev': 4} / {'nfev': 8}
    expect(calls.n).toBe(opts.method === '2-point' ? 4 : 8);
  });

  it('never evaluates outside the bounds', async () => {
    for (const { opts } of CASES.filter((c) => 'lb' in c.opts)) {
      const { lb, ub } = opts as { lb: Float64Array; ub: Float64Array };
      const seen: Float64Array[] = [];
      await approxDerivative(async (x) => { seen.push(x); return small(x); }, x0, small(x0), opts);
      for (const x of seen) for (let i = 0; i < 4; i++) expect(x[i] >= lb[i] && x[i] <= ub[i]).toBe(true);
    }
  });

  /*
   * scipy: h = _compute_absolute_step(None, x0, f0, method);
   *        _adjust_scheme_to_bounds(x0, h, 1, '1-sided' | '2-sided', lb, ub)
   * with the bounds of twoPointBounds / threePointBounds above.
   */
  it('adjustSchemeToBounds gives scipy\'s steps and one-sided flags', () => {
    const a2 = adjustSchemeToBounds(x0, absoluteStep(null, x0, '2-point'), '1-sided', B2.lb, B2.ub);
    expect(Array.from(a2.h)).toEqual([-1.9371509552001954e-08, 2.0000000544584395e-09, -1.4901161193847656e-08, -3.725290298461914e-07]);
    expect(Array.from(a2.oneSided)).toEqual([1, 1, 1, 1]);
    const a3 = adjustSchemeToBounds(x0, absoluteStep(null, x0, '3-point'), '2-sided', B3.lb, B3.ub);
    expect(Array.from(a3.h)).toEqual([-7.872090788111346e-06, 6.055454452393343e-06, 3e-06, 0.00015138636130983358]);
    expect(Array.from(a3.oneSided)).toEqual([1, 1, 0, 1]);
  });

  it('default steps: EPS^(1/2) and EPS^(1/3) times sign(x)·max(1, |x|), sign(0) = +1', () => {
    expect(Array.from(absoluteStep(null, f64([0, -0.5, -4]), '2-point'))).toEqual([2 ** -26, -(2 ** -26), -4 * 2 ** -26]);
    expect(absoluteStep(null, f64([0]), '3-point')[0]).toBe(6.055454452393343e-06);
    // relStep given: relStep·sign(x)·|x|, the default where that step vanishes.
    expect(Array.from(absoluteStep(1e-3, f64([-2, 0]), '2-point'))).toEqual([-2e-3, 2 ** -26]);
  });

  it('rejects x0 outside the bounds, a bad relStep and a wrong residual length', async () => {
    const f0 = small(x0);
    await expect(approxDerivative(async (x) => small(x), x0, f0, { method: '2-point', lb: f64([2, -inf, -inf, -inf]) }))
      .rejects.toThrow(InvalidArgumentError);
    await expect(approxDerivative(async (x) => small(x), x0, f0, { method: '2-point', relStep: f64([1, 2]) }))
      .rejects.toThrow(InvalidArgumentError);
    await expect(approxDerivative(async () => f64([1, 2]), x0, f0, { method: '3-point' })).rejects.toThrow(InvalidArgumentError);
  });

  it('a non-finite value at a perturbed point is an EvaluationError', async () => {
    const fun = async (x: Float64Array) => (x[1] === x0[1] ? small(x) : f64([NaN, 0, 0, 0]));
    await expect(approxDerivative(fun, x0, small(x0), { method: '2-point' })).rejects.toThrow(EvaluationError);
  });

  it('an aborted signal stops before the next evaluation with an AbortError carrying x0', async () => {
    const ctrl = new AbortController();
    let calls = 0;
    const fun = async (x: Float64Array) => {
      if (++calls === 3) ctrl.abort();
      return small(x);
    };
    const err = await approxDerivative(fun, x0, small(x0), { method: '3-point', signal: ctrl.signal }).catch((e) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect(Array.from((err as AbortError).x!)).toEqual(Array.from(x0));
    expect(calls).toBe(3);
  });
});

/** Broyden's tridiagonal function f_i = (3 - 2 x_i) x_i - x_{i-1} - 2 x_{i+1} + 1. */
function broydenRow(i: number, x: Float64Array): number {
  const n = x.length;
  const left = i > 0 ? x[i - 1] : 0;
  const right = i < n - 1 ? x[i + 1] : 0;
  return (3 - 2 * x[i]) * x[i] - left - 2 * right + 1;
}
function broyden(x: Float64Array): Float64Array {
  const f = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) f[i] = broydenRow(i, x);
  return f;
}
function tridiagonal(n: number): CsrMatrix {
  const ri: number[] = [], ci: number[] = [];
  for (let i = 0; i < n; i++) for (let j = Math.max(0, i - 1); j <= Math.min(n - 1, i + 1); j++) { ri.push(i); ci.push(j); }
  return CsrMatrix.fromTriplets(n, n, ri, ci, new Float64Array(ri.length).fill(1));
}
function startPoint(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => Math.sin(0.37 * i) * (1 + (i % 7)) - 0.5);
}

describe('approxDerivative (sparse)', () => {
  it.each(['2-point', '3-point'] as const)('%s: equals the dense version on a bounded tridiagonal problem', async (method) => {
    const n = 200;
    const x = startPoint(n);
    const lb = new Float64Array(n).fill(-inf), ub = new Float64Array(n).fill(inf);
    for (let i = 0; i < n; i += 3) ub[i] = x[i]; // at an upper bound: one-sided backward
    for (let i = 1; i < n; i += 5) lb[i] = x[i] - 1e-9; // close to a lower bound
    const f0 = broyden(x);
    const pattern = validateSparsity(tridiagonal(n), n, n);
    const dense = counted(broyden), sparse = counted(broyden);
    const Jd = await approxDerivative(dense.fun, x, f0, { method, lb, ub }) as DenseMatrix;
    const Js = await approxDerivative(sparse.fun, x, f0, { method, lb, ub, sparsity: pattern }) as CsrMatrix;
    expect(Js).toBeInstanceOf(CsrMatrix);
    // Structural entries are bit-identical. Outside the structure dense 2-point gives exact
    // zeros, while dense one-sided 3-point leaves the round-off of -3 f0 + 4 f0 - f0 (as
    // scipy's dense version does); the sparse version stores no such entries.
    const onPattern = new Uint8Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let k = Js.indptr[i]; k < Js.indptr[i + 1]; k++) {
        onPattern[i * n + Js.indices[k]] = 1;
        expect(Js.data[k]).toBe(Jd.get(i, Js.indices[k]));
      }
    }
    for (let t = 0; t < n * n; t++) {
      if (!onPattern[t]) expect(Math.abs(Jd.data[t])).toBeLessThanOrEqual(method === '2-point' ? 0 : 1e-4);
    }
    const perGroup = method === '2-point' ? 1 : 2;
    expect(sparse.calls.n).toBe(perGroup * groupCount(pattern.groups));
    expect(dense.calls.n).toBe(perGroup * n);
  });

  it('10,000 variables: one call per group, the pattern\'s exact structure, dense-difference values', async () => {
    const n = 10_000;
    const x = startPoint(n);
    const f0 = broyden(x);
    const pattern = validateSparsity(tridiagonal(n), n, n);
    // scipy: group_columns(diags([ones(n-1), ones(n), ones(n-1)], [-1, 0, 1], format='csr')).max() + 1 == 5
    expect(groupCount(pattern.groups)).toBe(5);
    const { fun, calls } = counted(broyden);
    const J = await approxDerivative(fun, x, f0, { method: '2-point', sparsity: pattern }) as CsrMatrix;
    expect(calls.n).toBe(5); // f0 is given: no extra call
    expect(Array.from(J.indptr)).toEqual(Array.from(pattern.indptr));
    expect(Array.from(J.indices)).toEqual(Array.from(pattern.indices));
    // Dense differencing entry by entry: (f_i(x + h_j e_j) - f_i(x)) / ((x_j + h_j) - x_j).
    const h = absoluteStep(null, x, '2-point');
    let maxErr = 0;
    for (let i = 0; i < n; i++) {
      for (let k = J.indptr[i]; k < J.indptr[i + 1]; k++) {
        const j = J.indices[k];
        const xj = x[j];
        x[j] = xj + h[j];
        const expected = (broydenRow(i, x) - f0[i]) / (xj + h[j] - xj);
        x[j] = xj;
        expect(J.data[k]).toBe(expected);
        const exact = j === i ? 3 - 4 * x[i] : j === i - 1 ? -1 : -2;
        maxErr = Math.max(maxErr, Math.abs(J.data[k] - exact) / (1 + Math.abs(exact)));
      }
    }
    expect(maxErr).toBeLessThan(1e-6);

    const three = counted(broyden);
    const J3 = await approxDerivative(three.fun, x, f0, { method: '3-point', sparsity: pattern }) as CsrMatrix;
    expect(three.calls.n).toBe(10);
    let maxErr3 = 0;
    for (let i = 0; i < n; i++) {
      for (let k = J3.indptr[i]; k < J3.indptr[i + 1]; k++) {
        const j = J3.indices[k];
        const exact = j === i ? 3 - 4 * x[i] : j === i - 1 ? -1 : -2;
        maxErr3 = Math.max(maxErr3, Math.abs(J3.data[k] - exact) / (1 + Math.abs(exact)));
      }
    }
    expect(maxErr3).toBeLessThan(1e-9);
  });

  it('computes the groups itself when none are given, and rejects groups that share a row', async () => {
    const n = 30;
    const x = startPoint(n);
    const { indptr, indices } = tridiagonal(n);
    const { fun, calls } = counted(broyden);
    const J = await approxDerivative(fun, x, broyden(x), { method: '2-point', sparsity: { rows: n, indptr, indices } });
    expect(J).toBeInstanceOf(CsrMatrix);
    expect(calls.n).toBe(groupCount(groupColumns(n, n, indptr, indices)));
    const bad = new Int32Array(n); // everything in one group
    await expect(approxDerivative(fun, x, broyden(x), { method: '2-point', sparsity: { rows: n, indptr, indices, groups: bad } }))
      .rejects.toThrow(InvalidArgumentError);
  });
});

/** A deterministic pseudo-random pattern, the same formula as in the python below. */
function pseudoPattern(m: number, n: number): CsrMatrix {
  const ri: number[] = [], ci: number[] = [];
  for (let i = 0; i < m; i++) for (let k = 0; k < 5; k++) { ri.push(i); ci.push((i * 37 + k * k * k * 11 + k * 5) % n); }
  return CsrMatrix.fromTriplets(m, n, ri, ci, new Float64Array(ri.length).fill(1));
}
/** Pentadiagonal n x n plus a full first column. */
function bandPlusColumn(n: number): CsrMatrix {
  const ri: number[] = [], ci: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = Math.max(0, i - 2); j <= Math.min(n - 1, i + 2); j++) { ri.push(i); ci.push(j); }
    if (i > 2) { ri.push(i); ci.push(0); }
  }
  return CsrMatrix.fromTriplets(n, n, ri, ci, new Float64Array(ri.length).fill(1));
}
const weightedSum = (g: Int32Array) => g.reduce((s, v, j) => s + v * j, 0);

/*
 * scipy 1.17.1:
 *   from scipy.optimize._numdiff import group_columns
 *   from scipy.sparse import csr_array, diags
 *   tri = lambda n: diags([np.ones(n-1), np.ones(n), np.ones(n-1)], [-1, 0, 1], format='csr')
 *   g = group_columns(tri(10000))          # 5 groups, g[:12] = [1,0,3,2,1,3,0,2,1,0,2,1]
 *   g = group_columns(tri(5))              # [1, 2, 0, 1, 2]
 *   rows, cols = [], []; m, n = 300, 200
 *   for i in range(m):
 *       for k in range(5): rows.append(i); cols.append((i*37 + k*k*k*11 + k*5) % n)
 *   P = csr_array((np.ones(len(rows)), (rows, cols)), shape=(m, n)); P.sum_duplicates(); P.data[:] = 1
 *   g = group_columns(P)                   # 12 groups, g[:12] = [6,9,2,9,2,1,9,1,0,10,6,5], (g*arange(n)).sum() = 79145
 *   n = 1000
 *   B = diags([np.ones(n-2), np.ones(n-1), np.ones(n), np.ones(n-1), np.ones(n-2)], [-2,-1,0,1,2], format='lil'); B[:, 0] = 1
 *   g = group_columns(B.tocsr())           # 9 groups, g[:12] = [6,0,2,4,5,1,3,2,0,7,1,5], (g*arange(n)).sum() = 1400316
 *   group_columns(tri(10000), order=np.arange(10000)).max() + 1   # 3
 *   np.random.RandomState(0).permutation(10)                      # [2, 8, 4, 9, 1, 6, 7, 3, 0, 5]
 */
describe('groupColumns (scipy group_columns)', () => {
  it('uses numpy\'s RandomState(0).permutation as the default order', () => {
    expect(Array.from(scipyDefaultOrder(10))).toEqual([2, 8, 4, 9, 1, 6, 7, 3, 0, 5]);
  });

  it.each([
    { name: 'tridiagonal 10000', a: () => tridiagonal(10_000), count: 5, head: [1, 0, 3, 2, 1, 3, 0, 2, 1, 0, 2, 1], sum: null },
    { name: 'tridiagonal 5', a: () => tridiagonal(5), count: 3, head: [1, 2, 0, 1, 2], sum: null },
    { name: 'pseudo-random 300 x 200', a: () => pseudoPattern(300, 200), count: 12, head: [6, 9, 2, 9, 2, 1, 9, 1, 0, 10, 6, 5], sum: 79145 },
    { name: 'band + full column 1000', a: () => bandPlusColumn(1000), count: 9, head: [6, 0, 2, 4, 5, 1, 3, 2, 0, 7, 1, 5], sum: 1400316 },
  ])('$name: structurally orthogonal, scipy\'s groups', ({ a, count, head, sum }) => {
    const p = a();
    const g = groupColumns(p.rows, p.cols, p.indptr, p.indices);
    expect(groupCount(g)).toBe(count);
    expect(Array.from(g.subarray(0, head.length))).toEqual(head);
    if (sum !== null) expect(weightedSum(g)).toBe(sum);
    // No two columns of one group share a row (checked naively here).
    for (let i = 0; i < p.rows; i++) {
      const seen = new Set<number>();
      for (let k = p.indptr[i]; k < p.indptr[i + 1]; k++) {
        expect(seen.has(g[p.indices[k]])).toBe(false);
        seen.add(g[p.indices[k]]);
      }
    }
    expect(isStructurallyOrthogonal(p.rows, p.indptr, p.indices, g)).toBe(true);
  });

  it('with the natural order a tridiagonal pattern needs 3 groups; a bad order is rejected', () => {
    const p = tridiagonal(10_000);
    const order = Int32Array.from({ length: 10_000 }, (_, j) => j);
    const g = groupColumns(p.rows, p.cols, p.indptr, p.indices, order);
    expect(groupCount(g)).toBe(3);
    expect(Array.from(g.subarray(0, 6))).toEqual([0, 1, 2, 0, 1, 2]);
    order[1] = 0;
    expect(() => groupColumns(p.rows, p.cols, p.indptr, p.indices, order)).toThrow(InvalidArgumentError);
  });

  it('a full row puts every column in its own group', () => {
    const p = CsrMatrix.fromDense([[1, 1, 1, 1], [0, 1, 0, 0]]);
    expect(groupCount(groupColumns(p.rows, p.cols, p.indptr, p.indices))).toBe(4);
    expect(isStructurallyOrthogonal(p.rows, p.indptr, p.indices, new Int32Array(4))).toBe(false);
  });
});

describe('validateSparsity', () => {
  const dense = DenseMatrix.fromRows([[1, 0, 1], [0, 0, 1], [1, 1, 0], [0, 0, 0]]);
  const expectedPtr = [0, 2, 3, 5, 5];
  const expectedIdx = [0, 2, 2, 0, 1];

  it('accepts a CsrMatrix, a 0/1 DenseMatrix or [row, col] pairs and returns one CSR structure', () => {
    for (const pattern of [
      CsrMatrix.fromDense(dense),
      dense,
      [[2, 1], [0, 2], [0, 0], [1, 2], [2, 0], [0, 2]] as [number, number][],
    ]) {
      const s = validateSparsity(pattern, 4, 3);
      expect([s.rows, s.cols]).toEqual([4, 3]);
      expect(Array.from(s.indptr)).toEqual(expectedPtr);
      expect(Array.from(s.indices)).toEqual(expectedIdx);
      expect(isStructurallyOrthogonal(4, s.indptr, s.indices, s.groups)).toBe(true);
    }
  });

  it('throws InvalidArgumentError(jacSparsity) on a wrong shape', () => {
    for (const bad of [() => validateSparsity(dense, 3, 3), () => validateSparsity(CsrMatrix.fromDense(dense), 4, 4), () => validateSparsity([[4, 0]], 4, 3)]) {
      try {
        bad();
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(InvalidArgumentError);
        expect((e as InvalidArgumentError).argument).toBe('jacSparsity');
      }
    }
  });
});
