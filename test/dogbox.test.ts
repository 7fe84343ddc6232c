/**
 * The dogbox driver against scipy 1.17.1's least_squares(method='dogbox'). Reference
 * numbers were printed by python3 with scipy 1.17.1 as each comment says; `rf`, `rj`
 * (Rosenbrock), `t`, `y`, `ef`, `ej` (exponential fit) are defined once:
 *
 *   def rf(x): return np.array([10*(x[1]-x[0]**2), 1-x[0]])
 *   def rj(x): return np.array([[-20*x[0], 10.], [-1., 0.]])
 *   t = np.linspace(0, 4, 20); y = 3.0*np.exp(-0.7*t) + 0.5
 *   def ef(p): return p[0]*np.exp(-p[1]*t) + p[2] - y
 *   def ej(p): return np.column_stack([np.exp(-p[1]*t), -p[0]*t*np.exp(-p[1]*t), np.ones_like(t)])
 */
import { describe, expect, it } from 'vitest';
import { dogbox } from '../src/least-squares/dogbox.js';
import { createCpuBackend } from '../src/backend/cpu.js';
import { DenseMatrix } from '../src/linear/dense-matrix.js';
import { CsrMatrix } from '../src/sparse/csr.js';
import type { LinearOperator } from '../src/linear/operator.js';
import { makeLoss, type LossName } from '../src/least-squares/losses.js';
import { AbortError } from '../src/errors.js';
import type { DriverContext, DriverOutcome, IterationState } from '../src/least-squares/types.js';
import { countingEvaluator, type CountingEvaluator, type Fun, type Jac } from './helpers/evaluator.js';

type Options = Partial<Omit<DriverContext, 'evaluator' | 'x0' | 'f0' | 'J0' | 'lb' | 'ub'>> & { bounds?: [ArrayLike<number>, ArrayLike<number>] };

async function solve(fun: Fun, jac: Jac, x0In: number[], o: Options = {}): Promise<DriverOutcome & { evaluator: CountingEvaluator }> {
  const x0 = Float64Array.from(x0In), n = x0.length;
  const m = fun(x0).length;
  const evaluator = countingEvaluator(m, n, fun, jac);
  const f0 = await evaluator.fun(x0);
  const J0 = await evaluator.jac(x0);
  const { bounds, ...rest } = o;
  const ctx: DriverContext = {
    evaluator, x0, f0, J0,
    lb: bounds ? Float64Array.from(bounds[0]) : new Float64Array(n).fill(-Infinity),
    ub: bounds ? Float64Array.from(bounds[1]) : new Float64Array(n).fill(Infinity),
    ftol: 1e-8, xtol: 1e-8, gtol: 1e-8, maxNfev: null, xScale: new Float64Array(n).fill(1), loss: null,
    trSolver: J0 instanceof DenseMatrix ? 'exact' : 'lsmr', trOptions: {}, verbose: 0, log: () => {},
    callback: null, signal: undefined, backend: createCpuBackend(), ...rest,
  };
  return { ...(await dogbox(ctx)), evaluator };
}

function expectClose(actual: ArrayLike<number>, expected: number[], rel: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i] - expected[i])).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(expected[i])));
  }
}

const rf: Fun = (x) => [10 * (x[1] - x[0] ** 2), 1 - x[0]];
const rj: Jac = (x) => DenseMatrix.fromRows([[-20 * x[0], 10], [-1, 0]]);

const T = Array.from({ length: 20 }, (_, i) => (4 * i) / 19);
const Y = T.map((t) => 3 * Math.exp(-0.7 * t) + 0.5);
const expFun = (y: number[]): Fun => (p) => T.map((t, i) => p[0] * Math.exp(-p[1] * t) + p[2] - y[i]);
const ej: Jac = (p) => DenseMatrix.fromRows(T.map((t) => [Math.exp(-p[1] * t), -p[0] * t * Math.exp(-p[1] * t), 1]));

describe('dogbox: scipy parity on dense problems', () => {
  it('Rosenbrock from [-1.2, 1]', async () => {
    // least_squares(rf, [-1.2, 1.0], jac=rj, method='dogbox')
    // → x [1.0, 1.0], cost 0.0, nfev 19, njev 15, status 1
    const r = await solve(rf, rj, [-1.2, 1]);
    expectClose(r.x, [1, 1], 1e-14);
    expect(r.cost).toBeLessThan(1e-28);
    expect([r.nfev, r.njev, r.status]).toEqual([19, 15, 1]);
    expect(Array.from(r.activeMask)).toEqual([0, 0]);
  });

  it("bounded Rosenbrock, x0 = [2, 2], bounds ([-inf, 1.5], inf), xScale 1 and 'jac'", async () => {
    // least_squares(rf, [2.0, 2.0], jac=rj, method='dogbox', bounds=([-np.inf, 1.5], np.inf))
    // (same numbers with x_scale='jac')
    // → x [1.2243707487446318, 1.5], cost 0.02521309394680354, nfev 6, njev 6, status 1,
    //   active_mask [0, -1], optimality 4.971306311052359e-09
    for (const xScale of [new Float64Array([1, 1]), 'jac' as const]) {
      const r = await solve(rf, rj, [2, 2], { bounds: [[-Infinity, 1.5], [Infinity, Infinity]], xScale });
      expectClose(r.x, [1.2243707487446318, 1.5], 1e-13);
      expect(r.x[1]).toBe(1.5);
      expect(r.cost).toBeCloseTo(0.02521309394680354, 14);
      expect([r.nfev, r.njev, r.status]).toEqual([6, 6, 1]);
      expect(Array.from(r.activeMask)).toEqual([0, -1]);
      expect(r.optimality).toBeLessThan(1e-8);
    }
  });

  it('exponential fit, unbounded', async () => {
    // least_squares(ef, [1.0, 0.1, 0.0], jac=ej, method='dogbox')
    // → x [2.999999999989312, 0.6999999999548578, 0.5000000000094345], cost 3.6e-20, nfev 11, njev 9, status 1
    const r = await solve(expFun(Y), ej, [1, 0.1, 0]);
    expectClose(r.x, [3, 0.7, 0.5], 1e-9);
    expect(r.cost).toBeLessThan(1e-18);
    expect([r.nfev, r.njev, r.status]).toEqual([11, 9, 1]);
  });

  it('exponential fit with two bounds active at the solution', async () => {
    // least_squares(ef, [1.0, 0.1, 0.0], jac=ej, method='dogbox', bounds=([0, 0, 0], [2.5, 0.5, 10]))
    // → x [2.5, 0.5, 0.4385556731909037], cost 0.3782295317580068, nfev 9, njev 8, status 1,
    //   active_mask [1, 1, 0], optimality 0.0
    const r = await solve(expFun(Y), ej, [1, 0.1, 0], { bounds: [[0, 0, 0], [2.5, 0.5, 10]] });
    expect([r.x[0], r.x[1]]).toEqual([2.5, 0.5]);
    expectClose(r.x, [2.5, 0.5, 0.4385556731909037], 1e-13);
    expect(r.cost).toBeCloseTo(0.3782295317580068, 14);
    expect([r.nfev, r.njev, r.status]).toEqual([9, 8, 1]);
    expect(Array.from(r.activeMask)).toEqual([1, 1, 0]);
    expect(r.optimality).toBeLessThan(1e-12);
    // grad is the full gradient: nonzero on the active variables.
    expect(Math.abs(r.grad[0])).toBeGreaterThan(1e-3);
  });
});

describe('dogbox: robust losses', () => {
  // ty = y.copy(); ty[[3, 11, 17]] += np.array([4.0, -3.0, 5.0])
  // least_squares(of, [1.0, 0.1, 0.0], jac=ej, method='dogbox', loss=loss, f_scale=0.1)
  const ty = Y.slice();
  ty[3] += 4; ty[11] -= 3; ty[17] += 5;
  const cases: [LossName, number[], number, number, number, number][] = [
    ['soft_l1', [3.0063163396570993, 0.711771914013336, 0.5168797789179851], 1.169805919529591, 17, 15, 2],
    ['huber', [3.0060757486459906, 0.7115733328195483, 0.5166878295301829], 1.1844185752105725, 21, 18, 2],
    ['cauchy', [3.000359345323378, 0.7002635522027264, 0.5002396506160045], 0.11003136426405297, 23, 20, 1],
    ['arctan', [3.000000491678111, 0.7000001846283531, 0.4999999562986853], 0.02355126434882628, 29, 24, 1],
  ];
  for (const [name, x, cost, nfev, njev, status] of cases) {
    it(`${name} with fScale 0.1 resists three outliers`, async () => {
      const r = await solve(expFun(ty), ej, [1, 0.1, 0], { loss: makeLoss(name, 0.1) });
      expectClose(r.x, x, 1e-12);
      expect(r.cost).toBeCloseTo(cost, 10);
      expect([r.nfev, r.njev, r.status]).toEqual([nfev, njev, status]);
      // fun is the true residual, not the loss-scaled one.
      expectClose(r.fun, expFun(ty)(r.x) as number[], 0);
    });
  }

  it('the linear loss is pulled by the outliers', async () => {
    // same with the default loss → x [3.194079784430848, 0.9582854707733368, 0.9785227232944501],
    //   cost 23.868849259048243, nfev 25, njev 18, status 2
    const r = await solve(expFun(ty), ej, [1, 0.1, 0]);
    expectClose(r.x, [3.194079784430848, 0.9582854707733368, 0.9785227232944501], 1e-12);
    expect([r.nfev, r.njev, r.status]).toEqual([25, 18, 2]);
  });
});

describe('dogbox: trial steps and limits', () => {
  it('a non-finite residual at a trial point rejects the step and shrinks the radius', async () => {
    // def lf(x): return np.array([np.log(x[0]) + 3.0, x[1] - 3.0 * x[0]])
    // def lj(x): return np.array([[1/x[0], 0.], [-3., 1.]])
    // least_squares(lf, [1.0, 0.0], jac=lj, method='dogbox')
    // → trials at [0.0, 0.25] and [-0.1534..., -0.4603...] are non-finite;
    //   x [0.049787068367852974, 0.14936120510355894], nfev 11, njev 9, status 1
    const lf: Fun = (x) => [Math.log(x[0]) + 3, x[1] - 3 * x[0]];
    const lj: Jac = (x) => DenseMatrix.fromRows([[1 / x[0], 0], [-3, 1]]);
    const r = await solve(lf, lj, [1, 0]);
    const bad = r.evaluator.points.filter((p) => !Array.from(lf(p)).every(Number.isFinite));
    expect(bad.length).toBe(2);
    expectClose(bad[0], [0, 0.25], 1e-15);
    expectClose(r.x, [0.049787068367852974, 0.14936120510355894], 1e-12);
    expect([r.nfev, r.njev, r.status]).toEqual([11, 9, 1]);
  });

  it('maxNfev stops with status 0', async () => {
    // least_squares(rf, [-1.2, 1.0], jac=rj, method='dogbox', max_nfev=5)
    // → x [-0.06441961721041317, -0.01344932583469867], cost 0.5819811755147296, nfev 5, njev 4, status 0
    const r = await solve(rf, rj, [-1.2, 1], { maxNfev: 5 });
    expectClose(r.x, [-0.06441961721041317, -0.01344932583469867], 1e-13);
    expect(r.cost).toBeCloseTo(0.5819811755147296, 13);
    expect([r.nfev, r.njev, r.status]).toEqual([5, 4, 0]);
  });
});

describe('dogbox: sparse Jacobians and LSMR', () => {
  // Broyden tridiagonal, n = 200:
  //   def bf(x): f = (3 - x) * x + 1; f[1:] -= x[:-1]; f[:-1] -= 2 * x[1:]; return f
  //   def bj(x): return csr_matrix(diags([np.full(n-1, -1.0), 3 - 2*x, np.full(n-1, -2.0)], [-1, 0, 1]))
  //   x0 = -np.ones(n); lb = np.linspace(-2, -1.5, n); ub = np.linspace(-0.8, 0.0, n)
  const n = 200;
  const bf: Fun = (x) => x.map((v, i) => (3 - v) * v + 1 - (i > 0 ? x[i - 1] : 0) - (i < n - 1 ? 2 * x[i + 1] : 0));
  const bj = (x: Float64Array): CsrMatrix => {
    const r: number[] = [], c: number[] = [], v: number[] = [];
    for (let i = 0; i < n; i++) {
      if (i > 0) { r.push(i); c.push(i - 1); v.push(-1); }
      r.push(i); c.push(i); v.push(3 - 2 * x[i]);
      if (i < n - 1) { r.push(i); c.push(i + 1); v.push(-2); }
    }
    return CsrMatrix.fromTriplets(n, n, r, c, v);
  };
  const x0 = new Array(n).fill(-1);
  const lb = Array.from({ length: n }, (_, i) => -2 + (0.5 * i) / (n - 1));
  const ub = Array.from({ length: n }, (_, i) => -0.8 + (0.8 * i) / (n - 1));

  it("unbounded: 'lsmr' on a CsrMatrix agrees with 'exact' and with scipy", async () => {
    // tr_solver='exact' (dense J): x[:3] [-0.7687999944582365, -0.948726707426847, -0.9887312466036452],
    //   nfev 5, njev 5, status 1; tr_solver='lsmr': same x to 1e-13, nfev 5, njev 5, status 1
    const exact = await solve(bf, (x) => bj(x).toDense(), x0);
    const sparse = await solve(bf, bj, x0);
    expectClose(exact.x.subarray(0, 3), [-0.7687999944582365, -0.948726707426847, -0.9887312466036452], 1e-12);
    for (const r of [exact, sparse]) expect([r.nfev, r.njev, r.status]).toEqual([5, 5, 1]);
    expectClose(sparse.x, Array.from(exact.x), 1e-9);
  });

  it("bounded: 'lsmr' agrees with 'exact' and keeps the active bound", async () => {
    // bounds=(lb, ub): exact → x[0] = -0.8 (active_mask[0] = 1, the only active one), x[1] -0.9683918700535972,
    //   cost 0.0066306860443311605, nfev 5, njev 5, status 1; lsmr → same x to 5.4e-8, nfev 6, njev 6, status 4
    const bounds: [number[], number[]] = [lb, ub];
    const exact = await solve(bf, (x) => bj(x).toDense(), x0, { bounds });
    const sparse = await solve(bf, bj, x0, { bounds });
    expect(exact.x[0]).toBe(-0.8);
    expectClose([exact.x[1]], [-0.9683918700535972], 1e-12);
    expect(exact.cost).toBeCloseTo(0.0066306860443311605, 14);
    expect([sparse.nfev, sparse.njev, sparse.status]).toEqual([6, 6, 4]);
    // scipy's lsmr run: x[1] -0.96839187058131, x[2] -0.9985325538089864, cost 0.00663068604435907
    expectClose(sparse.x.subarray(1, 3), [-0.96839187058131, -0.9985325538089864], 1e-10);
    expect([exact.nfev, exact.njev, exact.status]).toEqual([5, 5, 1]);
    for (const r of [exact, sparse]) {
      expect(r.activeMask[0]).toBe(1);
      expect(r.activeMask.reduce((s, v) => s + Math.abs(v), 0)).toBe(1);
    }
    expectClose(sparse.x, Array.from(exact.x), 1e-6);
    expect(sparse.cost).toBeCloseTo(exact.cost, 10);
  });

  it("a LinearOperator Jacobian with 'lsmr' matches the CsrMatrix run; 'cg' runs LSMR too", async () => {
    const asOperator = (x: Float64Array): LinearOperator => {
      const J = bj(x);
      return { rows: n, cols: n, matvec: (v) => J.matvec(v), rmatvec: (v) => J.rmatvec(v) };
    };
    const bounds: [number[], number[]] = [lb, ub];
    const csr = await solve(bf, bj, x0, { bounds });
    const op = await solve(bf, asOperator, x0, { bounds });
    const cg = await solve(bf, bj, x0, { bounds, trSolver: 'cg' });
    expectClose(op.x, Array.from(csr.x), 1e-12);
    expect(Array.from(cg.x)).toEqual(Array.from(csr.x));
    expect([op.nfev, op.njev]).toEqual([csr.nfev, csr.njev]);
  });
});

describe('dogbox: callback, abort, verbose', () => {
  it('calls the callback once per iteration; true stops with status -2 (scipy: StopIteration)', async () => {
    // least_squares(rf, [-1.2, 1.0], jac=rj, method='dogbox', callback=cb) gives (nit, nfev):
    //   (1, 2), (2, 3), (3, 5), (4, 7), (5, 8), ... (14, 19); raising StopIteration at nit == 3 →
    //   x [-0.06441961721041317, -0.01344932583469867], nfev 5, njev 4, status -2,
    //   grad [-4.809740871858461, -8.383844028412534] (taken before the last step), optimality 8.383844028412534
    const seen: [number, number][] = [];
    const all = await solve(rf, rj, [-1.2, 1], { callback: (s) => void seen.push([s.iteration, s.nfev]) });
    expect(seen.slice(0, 4)).toEqual([[1, 2], [2, 3], [3, 5], [4, 7]]);
    expect(seen.length).toBe(14);
    expect(all.status).toBe(1);

    for (const callback of [(s: IterationState) => s.iteration === 3, async (s: IterationState) => s.iteration === 3]) {
      const r = await solve(rf, rj, [-1.2, 1], { callback });
      expect([r.nfev, r.njev, r.status]).toEqual([5, 4, -2]);
      expectClose(r.x, [-0.06441961721041317, -0.01344932583469867], 1e-13);
      expectClose(r.grad, [-4.809740871858461, -8.383844028412534], 1e-11);
      expect(r.optimality).toBeCloseTo(8.383844028412534, 11);
    }
  });

  it('an aborted signal throws AbortError carrying the last accepted x', async () => {
    const controller = new AbortController();
    let accepted: Float64Array | null = null;
    const callback = (s: IterationState): void => {
      if (s.iteration === 2) { accepted = s.x; controller.abort(); }
    };
    const err = await solve(rf, rj, [-1.2, 1], { callback, signal: controller.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect(Array.from((err as AbortError).x!)).toEqual(Array.from(accepted!));
  });

  it('verbose 2 logs the header and one line per iteration as scipy', async () => {
    // verbose=2 on the unbounded Rosenbrock prints iterations 0..14; the first and the fourth line are
    //        0              1         1.2100e+01                                    1.08e+02
    //        3              5         5.8198e-01      5.07e-01       1.52e-01       1.76e+00
    const lines: string[] = [];
    await solve(rf, rj, [-1.2, 1], { verbose: 2, log: (l) => lines.push(l) });
    expect(lines.length).toBe(16);
    expect(lines[0]).toContain('Total nfev');
    expect(lines[1].trim().split(/\s+/)).toEqual(['0', '1', '1.2100e+01', '1.08e+02']);
    expect(lines[4].trim().split(/\s+/)).toEqual(['3', '5', '5.8198e-01', '5.07e-01', '1.52e-01', '1.76e+00']);
    expect(lines[15].trim().split(/\s+/).slice(0, 2)).toEqual(['14', '19']);
  });
});
