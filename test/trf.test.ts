/**
 * The trf driver and its subproblem helpers against scipy 1.17.1 (numbers pasted with the
 * python that made them). The driver is run directly through a small counting evaluator,
 * as the front end would call it.
 */
import { describe, expect, it } from 'vitest';
import { trf } from '../src/least-squares/trf.js';
import {
  projectModel, realPolynomialRoots, selectStep, solveLsqTrustRegion, solveSubspaceStep, solveTrustRegion1d, solveTrustRegion2d,
  subspaceBasis,
} from '../src/least-squares/tr-subproblem.js';
import { makeStrictlyFeasible, norm } from '../src/least-squares/common.js';
import { makeLoss, type LossName } from '../src/least-squares/losses.js';
import type { DriverContext, DriverOutcome, IterationState } from '../src/least-squares/types.js';
import { DenseMatrix } from '../src/linear/dense-matrix.js';
import { svd } from '../src/linear/dense.js';
import { CsrMatrix } from '../src/sparse/csr.js';
import type { LinearOperator } from '../src/linear/operator.js';
import { createCpuBackend } from '../src/backend/cpu.js';
import { AbortError } from '../src/errors.js';
import { countingEvaluator, type CountingEvaluator, type Fun, type Jac } from './helpers/evaluator.js';

const F = (a: ArrayLike<number>) => Float64Array.from(a);
const inf = Infinity;

// ---------------------------------------------------------------------------------------
// A driver runner (through the shared counting evaluator)

interface RunOptions {
  lb?: number[];
  ub?: number[];
  trSolver?: DriverContext['trSolver'];
  xScale?: number[] | 'jac';
  loss?: LossName;
  fScale?: number;
  maxNfev?: number;
  callback?: DriverContext['callback'];
  signal?: AbortSignal;
  verbose?: 0 | 1 | 2;
  log?: (line: string) => void;
  ftol?: number;
  xtol?: number;
  gtol?: number;
}

async function run(fun: Fun, jac: Jac, x0: number[], o: RunOptions = {}): Promise<DriverOutcome & { evaluator: CountingEvaluator }> {
  const n = x0.length;
  const lb = F(o.lb ?? x0.map(() => -inf)), ub = F(o.ub ?? x0.map(() => inf));
  // As the front end: trf starts strictly inside the bounds.
  const x = makeStrictlyFeasible(F(x0), lb, ub);
  const m = fun(x).length;
  const evaluator = countingEvaluator(m, n, fun, jac);
  const f0 = await evaluator.fun(x);
  const J0 = await evaluator.jac(x);
  const out = await trf({
    evaluator, x0: x, f0, J0, lb, ub, ftol: o.ftol ?? 1e-8, xtol: o.xtol ?? 1e-8, gtol: o.gtol ?? 1e-8,
    maxNfev: o.maxNfev ?? null, xScale: o.xScale === 'jac' ? 'jac' : F(o.xScale ?? x0.map(() => 1)),
    loss: o.loss ? makeLoss(o.loss, o.fScale ?? 1) : null, trSolver: o.trSolver ?? 'exact', trOptions: {},
    verbose: o.verbose ?? 0, log: o.log ?? (() => {}), callback: o.callback ?? null, signal: o.signal, backend: createCpuBackend(),
  });
  return { ...out, evaluator };
}

function expectClose(actual: ArrayLike<number>, expected: number[], tol: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i] - expected[i])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected[i])));
}

// ---------------------------------------------------------------------------------------
// Problems (twins of the python below)

// def rosen(x): return np.array([10*(x[1]-x[0]**2), 1-x[0]])
// def rosen_j(x): return np.array([[-20*x[0], 10.0], [-1.0, 0.0]])
const rosen: Fun = (x) => [10 * (x[1] - x[0] ** 2), 1 - x[0]];
const rosenJ: Jac = (x) => DenseMatrix.fromRows([[-20 * x[0], 10], [-1, 0]]);

// t = np.linspace(0, 4, 12); y = 3.0*np.exp(-0.7*t) + 0.5 + 0.01*np.sin(7*t)
// def fexp(x): return x[0]*np.exp(-x[1]*t) + x[2] - y
const tExp = Array.from({ length: 12 }, (_, i) => (4 * i) / 11);
const yExp = tExp.map((t) => 3 * Math.exp(-0.7 * t) + 0.5 + 0.01 * Math.sin(7 * t));
const fexp: Fun = (x) => tExp.map((t, i) => x[0] * Math.exp(-x[1] * t) + x[2] - yExp[i]);
const jexp: Jac = (x) => DenseMatrix.fromRows(tExp.map((t) => [Math.exp(-x[1] * t), -x[0] * t * Math.exp(-x[1] * t), 1]));

// tr = np.linspace(0, 10, 15); yr = 0.5 + 2*np.exp(-0.3*tr); yr[3] += 4; yr[10] -= 3
// def frob(x): return x[0] + x[1]*np.exp(x[2]*tr) - yr
const tRob = Array.from({ length: 15 }, (_, i) => (10 * i) / 14);
const yRob = tRob.map((t) => 0.5 + 2 * Math.exp(-0.3 * t));
yRob[3] += 4;
yRob[10] -= 3;
const frob: Fun = (x) => tRob.map((t, i) => x[0] + x[1] * Math.exp(x[2] * t) - yRob[i]);
const jrob: Jac = (x) => DenseMatrix.fromRows(tRob.map((t) => [1, Math.exp(x[2] * t), x[1] * t * Math.exp(x[2] * t)]));

// A sparse problem, m = 2n: Broyden tridiagonal residuals plus a small pull towards 0.3 sin(i).
// def f(x): xp = [0, x[:-1]]; xn = [x[1:], 0]
//     return concatenate([(3 - 2*x)*x - xp - 2*xn + 1, 0.1*(x - 0.3*np.sin(np.arange(n)))])
// def J(x): return csr_matrix(vstack([diags([-1, 3 - 4*x, -2], [-1, 0, 1]), 0.1*identity(n)]))
const N = 200;
const broyden: Fun = (x) => {
  const r = new Float64Array(2 * N);
  for (let i = 0; i < N; i++) {
    r[i] = (3 - 2 * x[i]) * x[i] - (i > 0 ? x[i - 1] : 0) - 2 * (i < N - 1 ? x[i + 1] : 0) + 1;
    r[N + i] = 0.1 * (x[i] - 0.3 * Math.sin(i));
  }
  return r;
};
const broydenJ = (x: Float64Array): CsrMatrix => {
  const rows: number[] = [], cols: number[] = [], vals: number[] = [];
  const put = (i: number, j: number, v: number) => { rows.push(i); cols.push(j); vals.push(v); };
  for (let i = 0; i < N; i++) {
    if (i > 0) put(i, i - 1, -1);
    put(i, i, 3 - 4 * x[i]);
    if (i < N - 1) put(i, i + 1, -2);
    put(N + i, i, 0.1);
  }
  return CsrMatrix.fromTriplets(2 * N, N, rows, cols, vals);
};
const sum = (x: ArrayLike<number>) => Array.from(x).reduce((s, v) => s + v, 0);

// ---------------------------------------------------------------------------------------

describe('solveLsqTrustRegion (scipy common.solve_lsq_trust_region)', () => {
  // J = np.array([[1.0, 2, 0.5], [0.3, -1, 2], [2, 0.1, -0.7], [0.4, 0.4, 0.4], [-1, 0.5, 1.5]])
  // f = np.array([1.0, -2, 0.5, 3, -1]); U, s, VT = svd(J, full_matrices=False); uf = U.T @ f
  // solve_lsq_trust_region(3, 5, uf, s, VT.T, Delta, initial_alpha=a0)
  const J = DenseMatrix.fromRows([[1, 2, 0.5], [0.3, -1, 2], [2, 0.1, -0.7], [0.4, 0.4, 0.4], [-1, 0.5, 1.5]]);
  const f = F([1, -2, 0.5, 3, -1]);
  const factor = (a: DenseMatrix, r: Float64Array) => {
    const { u, s, vt } = svd(a);
    const k = s.length, uf = new Float64Array(k);
    for (let i = 0; i < a.rows; i++) for (let j = 0; j < k; j++) uf[j] += u.get(i, j) * r[i];
    return { uf, s, vt };
  };

  it('returns the Gauss–Newton step when it fits', () => {
    const { uf, s, vt } = factor(J, f);
    const r = solveLsqTrustRegion(3, 5, uf, s, vt, 10);
    expectClose(r.p, [-0.24577543318849163, -0.7906963104128919, 0.5063520111754978], 1e-13);
    expect(r.alpha).toBe(0);
    expect(r.iterations).toBe(0);
  });

  it('finds the LM parameter on the boundary, with or without a warm start', () => {
    const { uf, s, vt } = factor(J, f);
    for (const a0 of [null, 0, 3]) {
      const r = solveLsqTrustRegion(3, 5, uf, s, vt, 0.5, a0);
      expectClose(r.p, [-0.20120934408921937, -0.3664723195323982, 0.2742495922836165], 1e-12);
      expect(r.alpha).toBeCloseTo(6.565149517310034, 10);
      expect(r.iterations).toBe(1);
      expect(norm(r.p)).toBeCloseTo(0.5, 14);
    }
    const small = solveLsqTrustRegion(3, 5, uf, s, vt, 0.05);
    expectClose(small.p, [-0.02444101987741503, -0.03304685166071921, 0.02847002182412623], 1e-12);
    expect(small.alpha).toBeCloseTo(137.02372965060317, 8);
    expect(small.iterations).toBe(2);
  });

  it('handles a wide J (never full rank): Jw = J[:2], Delta = 0.3', () => {
    const Jw = DenseMatrix.fromRows([[1, 2, 0.5], [0.3, -1, 2]]);
    const { uf, s, vt } = factor(Jw, F([1, -2]));
    const r = solveLsqTrustRegion(3, 2, uf, s, vt, 0.3);
    expectClose(r.p, [-0.018806093094479087, -0.22071725751008758, 0.20231219216781635], 1e-12);
    expect(r.alpha).toBeCloseTo(12.061272102632206, 9);
    expect(r.iterations).toBe(2);
  });
});

describe('solveTrustRegion2d (scipy common.solve_trust_region_2d)', () => {
  // p, newton = solve_trust_region_2d(np.array(B, float), np.array(g, float), Delta)
  const cases: [number[][], number[], number, number[], boolean][] = [
    [[[2, 0.5], [0.5, 1]], [1, -1], 5, [-0.857142857142857, 1.4285714285714286], true],
    [[[2, 0.5], [0.5, 1]], [1, -1], 0.3, [-0.19304333921553088, 0.2296394329911948], false],
    [[[1, 2], [2, -3]], [0.5, 0.2], 1, [-0.4687915182835914, 0.8833088431490795], false],
    // scipy returns [0, 2] (model value 2) here: the minimizer p = (0, -2) (value -2) is the
    // quartic's root at t = ±∞, which numpy.roots cannot report; it is a candidate here.
    [[[1, 0], [0, 0]], [0, 1], 2, [0, -2], false],
    [[[-1, 0], [0, -2]], [0, 0], 1.5, [0, 1.5], false],
    [[[4, 1], [1, 0.25]], [-3, 2], 0.7, [0.4338683414372785, -0.549325279136565], false],
    [[[0, 0], [0, 0]], [3, -4], 2, [-1.1999999999999997, 1.6], false],
  ];
  it.each(cases)('B = %j, g = %j, Delta = %d', (B, g, delta, p, newton) => {
    const r = solveTrustRegion2d(F(B.flat()), F(g), delta);
    expectClose(r.p, p, 1e-12);
    expect(r.newtonStep).toBe(newton);
  });

  it('the 1-D subproblem: Newton step inside, else the better end', () => {
    expect(solveTrustRegion1d(2, -1, 1)).toEqual({ p: 0.5, newtonStep: true });
    expect(solveTrustRegion1d(2, -4, 1)).toEqual({ p: 1, newtonStep: false });
    expect(solveTrustRegion1d(-1, 0.5, 3)).toEqual({ p: -3, newtonStep: false });
  });
});

describe('realPolynomialRoots (the real roots numpy.roots reports)', () => {
  it.each([
    // np.roots(c)
    [[1, -10, 35, -50, 24], [1, 2, 3, 4]],
    [[1, 0, 0, 0, -1], [-1, 1]],
    [[1, 0, 1, 0, 1], []],
    [[0, 0, 1, -3, 2], [1, 2]],
    [[2, -3, 0, 0], [0, 0, 1.5]],
    // numpy: [-1000000000003, -0.19148788375768225]; mpmath.polyroots at 50 digits:
    // -1000000000002.99999999999300..., -0.19148788395311915962... (numpy's small root is off by 2e-10)
    [[1e-12, 1, -3, 2, 0.5], [-1000000000002.9999999999930, -0.19148788395311915962]],
  ])('%j', (c, roots) => {
    expectClose(realPolynomialRoots(c), roots, 1e-14);
  });

  it('keeps a multiple root that rounding could turn complex: (t - 1)^4', () => {
    const r = realPolynomialRoots([1, -4, 6, -4, 1]);
    expect(r.length).toBeGreaterThanOrEqual(1);
    for (const t of r) expect(Math.abs(t - 1)).toBeLessThan(1e-3);
  });
});

describe('LSMR subspace helpers', () => {
  it('subspaceBasis is orthonormal and spans [g, gn], even when they are parallel', () => {
    const g = F([1, 2, 2]), gn = F([0, 1, -1]);
    const S = subspaceBasis(g, gn);
    expect(S.length).toBe(2);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) {
      expect(S[i][0] * S[j][0] + S[i][1] * S[j][1] + S[i][2] * S[j][2]).toBeCloseTo(i === j ? 1 : 0, 14);
    }
    // g lies in the span: its projection is itself.
    const c = S.map((s) => s[0] * g[0] + s[1] * g[1] + s[2] * g[2]);
    for (let k = 0; k < 3; k++) expect(c[0] * S[0][k] + c[1] * S[1][k]).toBeCloseTo(g[k], 14);
    const parallel = subspaceBasis(g, F([2, 4, 4]));
    expect(parallel.length).toBe(2);
    expect(parallel.every((s) => Math.abs(norm(s) - 1) < 1e-14)).toBe(true);
    expect(subspaceBasis(F([3]), F([1])).length).toBe(1);
  });

  it('projectModel and solveSubspaceStep reproduce the full-space Newton step when it lies in the span', () => {
    // B = JᵀJ + diag with J = I (3x3), diag = [1, 1, 1] → B = 2I; g = [2, 0, 0] → Newton p = [-1, 0, 0].
    const S = subspaceBasis(F([2, 0, 0]), F([1, 1, 0]));
    const { B, g } = projectModel(S, S, F([2, 0, 0]), F([1, 1, 1]));
    expectClose(solveSubspaceStep(S, B, g, 10), [-1, 0, 0], 1e-14);
    const onBoundary = solveSubspaceStep(S, B, g, 0.5);
    expectClose(onBoundary, [-0.5, 0, 0], 1e-14);
  });
});

describe('selectStep (scipy trf.select_step)', () => {
  // J_h = np.array([[1.0, 0.3], [0.2, 2.0], [0.5, -0.4]]); diag_h = np.array([0.1, 0.0]); d = np.array([0.8, 1.2])
  // x = np.array([0.5, 0.2]); lb = np.array([0.0, -1.0]); ub = np.array([1.0, 1.0]); Delta = norm(p_h)
  // select_step(x, J_h, diag_h, g_h, d * p_h, p_h, d, Delta, lb, ub, 0.995)
  const Jh = DenseMatrix.fromRows([[1, 0.3], [0.2, 2], [0.5, -0.4]]);
  const d = F([0.8, 1.2]), x = F([0.5, 0.2]), lb = F([0, -1]), ub = F([1, 1]);
  it.each([
    ['inside: the trust-region step', [2.04, -2.56], [0.42, -0.57], [0.336, -0.6839999999999999], [0.42, -0.57], -3.0093104999999998],
    ['the step cut at the bound, stepped back', [-2.9, -0.36], [2.09, -0.16], [0.4975, -0.057129186602870814], [0.621875, -0.04760765550239234], 1.5275091422098654],
    ['the reflected step', [-0.18, 0.54], [1.94, -0.27], [0.14631451885885466, -0.17821784528977516], [0.1828931485735683, -0.14851487107481265], 0.05658187294941211],
    ['the anti-gradient step', [-0.45, -0.22], [-2.02, -0.23], [0.15409050198319618, 0.11299970145434385], [0.1926131274789952, 0.09416641787861987], 0.05369625964942211],
  ])('%s', (_name, g, pH, step, stepH, predicted) => {
    const ph = F(pH);
    const r = selectStep(x, Jh, F([0.1, 0]), F(g), ph.map((v, i) => v * d[i]), ph, d, norm(ph), lb, ub, 0.995);
    expectClose(r.step, step, 1e-13);
    expectClose(r.stepH, stepH, 1e-13);
    expect(r.predicted).toBeCloseTo(predicted, 13);
  });
});

describe('trf against scipy 1.17.1', () => {
  // least_squares(rosen, [-1.2, 1], jac=rosen_j, x_scale=xs, tr_solver=tr)
  it.each([
    ['exact', [1], 25, 18],
    ['lsmr', [1], 25, 18],
    ['exact', 'jac', 13, 11],
    ['lsmr', 'jac', 13, 11],
  ] as const)('Rosenbrock, %s, xScale %j: x = [1, 1] with nfev and njev as scipy', async (trSolver, xs, nfev, njev) => {
    const r = await run(rosen, rosenJ, [-1.2, 1], { trSolver, xScale: xs === 'jac' ? 'jac' : [...xs, ...xs] });
    expectClose(r.x, [1, 1], 1e-14);
    expect(r.cost).toBeLessThan(1e-30);
    expect([r.nfev, r.njev, r.status]).toEqual([nfev, njev, 1]);
  });

  it("bounded Rosenbrock of scipy's docs (bounds ([-inf, 1.5], inf)): x, cost, activeMask, nfev", async () => {
    // least_squares(rosen, [2, 2], jac=rosen_j, bounds=([-np.inf, 1.5], np.inf)), also tr_solver='lsmr'
    for (const trSolver of ['exact', 'lsmr'] as const) {
      const r = await run(rosen, rosenJ, [2, 2], { lb: [-inf, 1.5], trSolver });
      expectClose(r.x, [1.2243707490009201, 1.500000000000023], 1e-14);
      expect(r.cost).toBeCloseTo(0.025213093946805685, 15);
      expect(r.optimality).toBeCloseTo(1.5885401433157753e-07, 14);
      expect(Array.from(r.activeMask)).toEqual([0, -1]);
      expect([r.nfev, r.njev, r.status]).toEqual([9, 9, 2]);
    }
    // x_scale='jac'
    const j = await run(rosen, rosenJ, [2, 2], { lb: [-inf, 1.5], xScale: 'jac' });
    expectClose(j.x, [1.2243707489933915, 1.5000000000000024], 1e-14);
    expect([j.nfev, j.njev, j.status]).toEqual([9, 9, 2]);
  });

  it('exponential fit, unbounded and with an active upper bound', async () => {
    // least_squares(fexp, [1, 1, 0], jac=jexp)
    const r = await run(fexp, jexp, [1, 1, 0]);
    expectClose(r.x, [2.9992737628240933, 0.701359406281241, 0.5021148038061312], 1e-13);
    expect(Math.abs(r.cost / 0.0002647032349373354 - 1)).toBeLessThan(1e-13);
    expect([r.nfev, r.njev, r.status]).toEqual([6, 6, 1]);
    // tr_solver='lsmr': the last 2-D subspace is degenerate (g_h ∥ gn_h), so x agrees to ~1e-8 only.
    const l = await run(fexp, jexp, [1, 1, 0], { trSolver: 'lsmr' });
    expectClose(l.x, [2.9992737992068896, 0.7013593870041045, 0.5021147686532352], 1e-7);
    expect([l.nfev, l.njev, l.status]).toEqual([6, 6, 2]);
    // least_squares(fexp, [1, 1, 0.7], jac=jexp, bounds=([0, 0, 0.6], [2.5, 5, 2]))
    const b = await run(fexp, jexp, [1, 1, 0.7], { lb: [0, 0, 0.6], ub: [2.5, 5, 2] });
    expectClose(b.x, [2.4999999999999996, 0.7968195973591211, 0.7577579522483956], 1e-13);
    expect(b.cost).toBeCloseTo(0.11354867950536883, 15);
    expect(Array.from(b.activeMask)).toEqual([1, 0, 0]);
    expect([b.nfev, b.njev, b.status]).toEqual([22, 22, 2]);
    // ... tr_solver='lsmr'
    const bl = await run(fexp, jexp, [1, 1, 0.7], { lb: [0, 0, 0.6], ub: [2.5, 5, 2], trSolver: 'lsmr' });
    expectClose(bl.x, [2.499999999999975, 0.7968238879959337, 0.7577585674993038], 1e-12);
    expect([bl.nfev, bl.njev, bl.status]).toEqual([18, 18, 2]);
  });

  it.each([
    // least_squares(frob, [1, 1, 0], jac=jrob, loss=loss, f_scale=0.5)
    ['soft_l1', [0.2663964134626873, 2.2804834252085904, -0.23680495799929388], 3.0016410680441252, 14, 13, 2],
    ['huber', [0.2684125977110368, 2.2786092250214027, -0.23728229924455135], 3.2149789837610028, 16, 14, 2],
    ['cauchy', [0.46820838287001737, 2.0359992415929744, -0.2893586903205766], 0.972442063536615, 12, 10, 2],
    ['arctan', [0.4992992391954737, 2.0007816567377263, -0.29979479746450405], 0.38727439541310743, 10, 9, 1],
  ] as const)('robust loss %s with outliers', async (loss, x, cost, nfev, njev, status) => {
    const r = await run(frob, jrob, [1, 1, 0], { loss, fScale: 0.5 });
    expectClose(r.x, [...x], 1e-12);
    expect(r.cost).toBeCloseTo(cost, 13);
    expect([r.nfev, r.njev, r.status]).toEqual([nfev, njev, status]);
  });

  it('robust loss with an active bound', async () => {
    // least_squares(frob, [1, 1, -0.1], jac=jrob, loss='soft_l1', f_scale=0.5, bounds=([0.6,0,-1],[2,5,0]))
    const r = await run(frob, jrob, [1, 1, -0.1], { loss: 'soft_l1', fScale: 0.5, lb: [0.6, 0, -1], ub: [2, 5, 0] });
    expectClose(r.x, [0.6000000000000001, 2.012840853505802, -0.344607682027214], 1e-12);
    expect(r.cost).toBeCloseTo(3.0647688591691002, 13);
    expect(Array.from(r.activeMask)).toEqual([-1, 0, 0]);
    expect([r.nfev, r.njev, r.status]).toEqual([9, 9, 2]);
  });

  it('survives a fun that returns NaN at trial points (step rejected, radius shrunk)', async () => {
    // def fn(x): return rosen(x) if x[1] > 0.0 else np.array([np.nan, 1.0])
    // least_squares(fn, [-1.2, 1], jac=rosen_j) -> x = [1, 1], nfev 39, njev 27, status 1, 9 NaN trials
    const fn: Fun = (x) => (x[1] > 0 ? rosen(x) : [NaN, 1]);
    const r = await run(fn, rosenJ, [-1.2, 1]);
    expectClose(r.x, [1, 1], 1e-14);
    expect([r.nfev, r.njev, r.status]).toEqual([39, 27, 1]);
    expect(r.evaluator.points.filter((x) => !(x[1] > 0)).length).toBe(9);
  });

  it('a zero step that changes nothing counts as a perfect model (ratio 1): ftol and xtol both hold', async () => {
    // least_squares(lambda x: np.array([x[0], 1.0]), [0.0], jac=lambda x: np.array([[1.0], [0.0]]),
    //               gtol=None[, bounds=(-1, 1)]) -> status 4, nfev 2, njev 1, x [0], cost 0.5
    for (const bounds of [{}, { lb: [-1], ub: [1] }]) {
      const r = await run((x) => [x[0], 1], () => DenseMatrix.fromRows([[1], [0]]), [0], { gtol: 0, ...bounds });
      expect([r.status, r.nfev, r.njev, r.x[0], r.cost]).toEqual([4, 2, 1, 0, 0.5]);
    }
  });

  it('maxNfev stops with status 0 where scipy does', async () => {
    // least_squares(rosen, [-1.2, 1], jac=rosen_j, max_nfev=5)
    const r = await run(rosen, rosenJ, [-1.2, 1], { maxNfev: 5 });
    expectClose(r.x, [-0.7780040021306021, 0.5952798943123], 1e-14);
    expect(r.cost).toBeCloseTo(1.5856594541537168, 14);
    expect(r.optimality).toBeCloseTo(3.3356198324087294, 13);
    expect([r.nfev, r.njev, r.status]).toEqual([5, 3, 0]);
  });
});

describe('trf: callback, abort, verbose', () => {
  it('a callback returning true stops with status -2 after that iteration', async () => {
    // def cb(intermediate_result): if intermediate_result.nit == 3: raise StopIteration
    // least_squares(rosen, [-1.2, 1], jac=rosen_j, callback=cb)
    // -> status -2, nfev 6, njev 4, x [-0.559203839378343, 0.2718197131777671], cost 1.2991547252382867,
    //    optimality 3.3356198324087294; callbacks saw (nit, nfev, cost) (1, 3, 2.1422697476970862),
    //    (2, 5, 1.5856594541537168), (3, 6, 1.2991547252382867)
    const seen: IterationState[] = [];
    const r = await run(rosen, rosenJ, [-1.2, 1], { callback: async (s) => { seen.push(s); return s.iteration === 3; } });
    expect([r.status, r.nfev, r.njev]).toEqual([-2, 6, 4]);
    expectClose(r.x, [-0.559203839378343, 0.2718197131777671], 1e-14);
    expect(r.cost).toBeCloseTo(1.2991547252382867, 14);
    expect(r.optimality).toBeCloseTo(3.3356198324087294, 13);
    expect(seen.map((s) => [s.iteration, s.nfev])).toEqual([[1, 3], [2, 5], [3, 6]]);
    expectClose(seen.map((s) => s.cost), [2.1422697476970862, 1.5856594541537168, 1.2991547252382867], 1e-14);
    expect(seen[2].x).toEqual(r.x);
  });

  it('an aborted signal throws AbortError carrying the last accepted x', async () => {
    const controller = new AbortController();
    let accepted: Float64Array | null = null;
    const promise = run(rosen, rosenJ, [-1.2, 1], {
      callback: (s) => { if (s.iteration === 2) { accepted = F(s.x); controller.abort(); } },
      signal: controller.signal,
    });
    await expect(promise).rejects.toBeInstanceOf(AbortError);
    const err = (await promise.catch((e: unknown) => e)) as AbortError;
    expect(err.x).toEqual(accepted);
  });

  it('verbose 2 logs the header and one line per iteration', async () => {
    const lines: string[] = [];
    const r = await run(fexp, jexp, [1, 1, 0], { verbose: 2, log: (l) => lines.push(l) });
    expect(lines[0]).toMatch(/Iteration\s+Total nfev\s+Cost/);
    // least_squares(fexp, [1, 1, 0], jac=jexp, verbose=2) prints (the cost reduction and
    // optimality of the last line, 6.11e-17 and 9.59e-12, are at rounding level: not compared):
    const scipyLines = [
      '   Iteration     Total nfev        Cost      Cost reduction    Step norm     Optimality   ',
      '       0              1         1.1966e+01                                    1.55e+01    ',
      '       1              2         4.1372e-01      1.16e+01       1.41e+00       8.25e-01    ',
      '       2              3         1.8550e-03      4.12e-01       9.85e-01       2.36e-01    ',
      '       3              4         2.6497e-04      1.59e-03       1.30e-02       2.64e-03    ',
      '       4              5         2.6470e-04      2.63e-07       4.63e-04       3.06e-08    ',
      '       5              6         2.6470e-04      6.11e-17       1.18e-08       9.59e-12    ',
    ];
    expect(lines.length).toBe(scipyLines.length);
    for (let i = 0; i < 6; i++) expect(lines[i]).toBe(scipyLines[i]);
    expect(lines[6].slice(0, 45)).toBe(scipyLines[6].slice(0, 45));
    expect(lines[6].slice(60, 75)).toBe(scipyLines[6].slice(60, 75));
    expect(r.status).toBe(1);
  });
});

describe('trf: sparse problem (n = 200, CsrMatrix Jacobian)', () => {
  // least_squares(f, -np.ones(n), jac=lambda x: J(x).toarray()) and jac=J, tr_solver='lsmr'
  // exact: cost 0.542850464626343, nfev 6, njev 6, status 1, sum(x) -140.61062249798567
  // lsmr:  cost 0.5428504646267895, nfev 6, njev 6, status 2, sum(x) -140.6106234191162
  it("'lsmr' and 'cg' reach the minimum 'exact' finds, without bounds", async () => {
    const x0 = new Array<number>(N).fill(-1);
    const exact = await run(broyden, (x) => broydenJ(x).toDense(), x0);
    expect([exact.nfev, exact.njev, exact.status]).toEqual([6, 6, 1]);
    expect(exact.cost).toBeCloseTo(0.542850464626343, 14);
    expect(sum(exact.x)).toBeCloseTo(-140.61062249798567, 11);
    const lsmr = await run(broyden, broydenJ, x0, { trSolver: 'lsmr' });
    expect([lsmr.nfev, lsmr.njev, lsmr.status]).toEqual([6, 6, 2]);
    expect(lsmr.cost).toBeCloseTo(0.5428504646267895, 14);
    expect(sum(lsmr.x)).toBeCloseTo(-140.6106234191162, 9);
    // A matrix-free Jacobian (LinearOperator) goes through the same backend operators.
    const asOperator = (x: Float64Array): LinearOperator => {
      const J = broydenJ(x);
      return { rows: J.rows, cols: J.cols, matvec: (v) => J.matvec(v), rmatvec: (v) => J.rmatvec(v) };
    };
    const cg = await run(broyden, asOperator, x0, { trSolver: 'cg' });
    expect(cg.status).toBeGreaterThan(0);
    for (const r of [lsmr, cg]) {
      expect(Math.abs(r.cost - exact.cost)).toBeLessThan(1e-12);
      expectClose(r.x, Array.from(exact.x), 1e-6);
    }
  });

  // lb = np.where(np.arange(n) % 2 == 0, -0.6, -np.inf)
  // least_squares(f, np.full(n, -0.5), bounds=(lb, np.inf), ...):
  // exact: cost 7.50812257886831, nfev 8, njev 8, status 2, sum(x) -121.48885319058058, active: lower at i = 2, 4, ..., 196
  // lsmr:  cost 7.508122580718424, nfev 8, njev 8, status 2, sum(x) -121.48882925295895
  it("'lsmr' and 'cg' reach the minimum 'exact' finds, with bounds active on half the variables", async () => {
    const x0 = new Array<number>(N).fill(-0.5);
    const lb = x0.map((_, i) => (i % 2 === 0 ? -0.6 : -inf));
    const exact = await run(broyden, (x) => broydenJ(x).toDense(), x0, { lb });
    expect([exact.nfev, exact.njev, exact.status]).toEqual([8, 8, 2]);
    expect(exact.cost).toBeCloseTo(7.50812257886831, 13);
    const expectedActive = x0.map((_, i) => (i % 2 === 0 && i >= 2 && i <= 196 ? -1 : 0));
    expect(Array.from(exact.activeMask)).toEqual(expectedActive);
    const lsmr = await run(broyden, broydenJ, x0, { lb, trSolver: 'lsmr' });
    expect([lsmr.nfev, lsmr.njev, lsmr.status]).toEqual([8, 8, 2]);
    expect(lsmr.cost).toBeCloseTo(7.508122580718424, 13);
    expect(sum(lsmr.x)).toBeCloseTo(-121.48882925295895, 9);
    expect(sum(exact.x)).toBeCloseTo(-121.48885319058058, 11);
    const cg = await run(broyden, broydenJ, x0, { lb, trSolver: 'cg' });
    expect(cg.status).toBeGreaterThan(0);
    for (const r of [lsmr, cg]) {
      // Within ftol (1e-8) of the cost, as the termination test promises.
      expect(Math.abs(r.cost - exact.cost) / exact.cost).toBeLessThan(1e-8);
      // ftol-terminated runs: x is accurate to about √ftol in flat directions; the worst is
      // x[198], just inside its bound (scipy's own lsmr run differs from its exact one there too).
      expectClose(r.x, Array.from(exact.x), 3e-5);
      expect(Array.from(r.activeMask)).toEqual(expectedActive);
    }
  });

  it("'cg' solves the small problems too (a near-exact inner solve: scipy's exact path, nearly)", async () => {
    const r = await run(rosen, rosenJ, [2, 2], { lb: [-inf, 1.5], trSolver: 'cg' });
    expectClose(r.x, [1.2243707490009201, 1.500000000000023], 1e-12);
    expect(Array.from(r.activeMask)).toEqual([0, -1]);
    expect([r.nfev, r.njev, r.status]).toEqual([9, 9, 2]);
    const e = await run(fexp, jexp, [1, 1, 0], { trSolver: 'cg' });
    expectClose(e.x, [2.9992737628240933, 0.701359406281241, 0.5021148038061312], 1e-9);
    expect([e.nfev, e.njev, e.status]).toEqual([6, 6, 1]);
  });
});
