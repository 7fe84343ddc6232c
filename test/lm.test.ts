/**
 * The 'lm' driver (MINPACK's lmder) against scipy 1.17.1's least_squares(method='lm'),
 * and its MINPACK kernels. Reference numbers were printed by python3 with scipy 1.17.1:
 *
 *   import numpy as np; from scipy.optimize import least_squares
 *   def rosen(x): return np.array([10*(x[1]-x[0]**2), 1-x[0]])
 *   def rosen_j(x): return np.array([[-20*x[0], 10.0], [-1.0, 0.0]])
 *   t = np.linspace(0, 3, 20); y = 2.5*np.exp(-1.3*t) + 0.5 + 0.05*np.sin(7*t)
 *   def expf(x): return x[0]*np.exp(x[1]*t) + x[2] - y
 *   def expj(x): return np.column_stack([np.exp(x[1]*t), x[0]*t*np.exp(x[1]*t), np.ones_like(t)])
 *   def fr(x): return np.array([-13+x[0]+((5-x[1])*x[1]-2)*x[1], -29+x[0]+((x[1]+1)*x[1]-14)*x[1]])
 *   def frj(x): return np.array([[1.0, 10*x[1]-3*x[1]**2-2], [1.0, 3*x[1]**2+2*x[1]-14]])
 *   yb = np.array([0.14,0.18,0.22,0.25,0.29,0.32,0.35,0.39,0.37,0.58,0.73,0.96,1.34,2.10,4.39])
 *   u = np.arange(1, 16.); v = 16 - u; w = np.minimum(u, v)
 *   def bard(x): return yb - (x[0] + u/(v*x[1] + w*x[2]))
 *   def bardj(x): d = (v*x[1] + w*x[2])**2; return np.column_stack([-np.ones(15), u*v/d, u*w/d])
 *   r = least_squares(<fun>, <x0>, jac=<jac>, method='lm', ...); print(r.x.tolist(), r.cost, r.nfev, r.njev, r.status)
 *
 * Bounds and robust losses do not apply: scipy (and the front end) refuse them with 'lm'.
 */
import { describe, expect, it } from 'vitest';
import { lm } from '../src/least-squares/lm.js';
import { applyQt, enorm, lmpar, qrfac, qrsolv } from '../src/least-squares/minpack.js';
import { approxDerivative } from '../src/least-squares/finite-diff.js';
import { createCpuBackend } from '../src/backend/cpu.js';
import { DenseMatrix } from '../src/linear/dense-matrix.js';
import { AbortError } from '../src/errors.js';
import type { DriverContext, DriverOutcome, Jacobian, ProblemEvaluator } from '../src/least-squares/types.js';

type Fun = (x: Float64Array) => ArrayLike<number>;
type Jac = (x: Float64Array) => number[][];

/** Counts calls and wraps a residual and an analytic Jacobian ('2-point': the package's finite differences). */
class TestEvaluator implements ProblemEvaluator {
  nfev = 0;
  njev = 0;
  readonly points: Float64Array[] = [];
  constructor(readonly m: number, readonly n: number, private readonly f: Fun, private readonly j: Jac | '2-point') {}
  async fun(x: Float64Array): Promise<Float64Array> {
    this.nfev++;
    this.points.push(Float64Array.from(x));
    return Float64Array.from(this.f(Float64Array.from(x)));
  }
  async jac(x: Float64Array, f: Float64Array): Promise<Jacobian> {
    this.njev++;
    if (this.j === '2-point') return approxDerivative(async (xx) => Float64Array.from(this.f(xx)), x, f, { method: '2-point' });
    return DenseMatrix.fromRows(this.j(Float64Array.from(x)));
  }
}

type Options = Partial<Omit<DriverContext, 'evaluator' | 'x0' | 'f0' | 'J0'>>;

async function solve(fun: Fun, jac: Jac | '2-point', x0In: number[], o: Options = {}): Promise<DriverOutcome & { evaluator: TestEvaluator }> {
  const x0 = Float64Array.from(x0In), n = x0.length;
  const evaluator = new TestEvaluator(fun(x0).length, n, fun, jac);
  const f0 = await evaluator.fun(x0);
  const J0 = await evaluator.jac(x0, f0);
  const ctx: DriverContext = {
    evaluator, x0, f0, J0, lb: new Float64Array(n).fill(-Infinity), ub: new Float64Array(n).fill(Infinity),
    ftol: 1e-8, xtol: 1e-8, gtol: 1e-8, maxNfev: null, xScale: 'jac', loss: null, trSolver: 'exact', trOptions: {},
    verbose: 0, log: () => {}, callback: null, signal: undefined, backend: createCpuBackend(), ...o,
  };
  return { ...(await lm(ctx)), evaluator };
}

const rosen: Fun = (x) => [10 * (x[1] - x[0] ** 2), 1 - x[0]];
const rosenJ: Jac = (x) => [[-20 * x[0], 10], [-1, 0]];
const T = Array.from({ length: 20 }, (_, i) => (i === 19 ? 3 : i * (3 / 19))); // numpy's linspace
const Y = T.map((t) => 2.5 * Math.exp(-1.3 * t) + 0.5 + 0.05 * Math.sin(7 * t));
const expf: Fun = (x) => T.map((t, i) => x[0] * Math.exp(x[1] * t) + x[2] - Y[i]);
const expJ: Jac = (x) => T.map((t) => [Math.exp(x[1] * t), x[0] * t * Math.exp(x[1] * t), 1]);
const fr: Fun = (x) => [-13 + x[0] + ((5 - x[1]) * x[1] - 2) * x[1], -29 + x[0] + ((x[1] + 1) * x[1] - 14) * x[1]];
const frJ: Jac = (x) => [[1, 10 * x[1] - 3 * x[1] ** 2 - 2], [1, 3 * x[1] ** 2 + 2 * x[1] - 14]];
const YB = [0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96, 1.34, 2.10, 4.39];
const U = YB.map((_, i) => i + 1), V = U.map((u) => 16 - u), W = U.map((u, i) => Math.min(u, V[i]));
const bard: Fun = (x) => YB.map((y, i) => y - (x[0] + U[i] / (V[i] * x[1] + W[i] * x[2])));
const bardJ: Jac = (x) => U.map((u, i) => { const d = (V[i] * x[1] + W[i] * x[2]) ** 2; return [-1, (u * V[i]) / d, (u * W[i]) / d]; });

function expectClose(actual: ArrayLike<number>, expected: number[], rtol: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i] - expected[i])).toBeLessThanOrEqual(rtol * Math.max(1, Math.abs(expected[i])));
}

describe('lm against scipy method=lm', () => {
  it('Rosenbrock: exact solution, nfev 21, njev 16, gtol', async () => {
    const r = await solve(rosen, rosenJ, [-1.2, 1]); // [1.0, 1.0] 0.0 21 16 1
    expect(Array.from(r.x)).toEqual([1, 1]);
    expect([r.cost, r.nfev, r.njev, r.status, r.optimality]).toEqual([0, 21, 16, 1, 0]);
  });

  it('Rosenbrock with 2-point differences: nfev 21 (differences not counted)', async () => {
    const r = await solve(rosen, '2-point', [-1.2, 1]); // method='lm' (no jac): [1.0, 1.0] 0.0 21 None 1
    expectClose(r.x, [1, 1], 1e-12);
    expect([r.nfev, r.status]).toEqual([21, 1]);
  });

  it('maxNfev 5 stops with status 0 at scipy\'s point; jac/grad at that point, njev without the final J', async () => {
    const r = await solve(rosen, rosenJ, [-1.2, 1], { maxNfev: 5 });
    // max_nfev=5: [-0.7769802872810423, 0.591596422865899] 1.586152323070149 5 2 0, optimality 3.657574665821964
    expectClose(r.x, [-0.7769802872810423, 0.591596422865899], 1e-14);
    expect(r.cost).toBeCloseTo(1.586152323070149, 13);
    expect([r.nfev, r.njev, r.status]).toEqual([5, 2, 0]);
    expect(r.evaluator.njev).toBe(3); // one more J at the solution, as scipy's call_minpack, not counted
    expectClose((r.jac as DenseMatrix).data, rosenJ(r.x).flat(), 0);
    const f = rosen(r.x);
    expectClose(r.fun, Array.from(f), 0);
    expectClose(r.grad, [-20 * r.x[0] * f[0] - f[1], 10 * f[0]], 1e-15);
    expect(r.optimality).toBeCloseTo(3.657574665821964, 12);
    expect(Array.from(r.activeMask)).toEqual([0, 0]);
  });

  it('exponential fit, xScale jac (MINPACK mode 1)', async () => {
    const r = await solve(expf, expJ, [1, -0.5, 0]);
    // [2.5125729441026907, -1.3292556704565022, 0.5130863672928877] 0.01181877647609392 7 5 2
    expectClose(r.x, [2.5125729441026907, -1.3292556704565022, 0.5130863672928877], 1e-13);
    expect(r.cost).toBeCloseTo(0.01181877647609392, 15);
    expect([r.nfev, r.njev, r.status]).toEqual([7, 5, 2]);
  });

  it('exponential fit, xScale arrays (mode 2, diag = 1/xScale) land where scipy does', async () => {
    const a = await solve(expf, expJ, [1, -0.5, 0], { xScale: Float64Array.from([1, 0.5, 0.1]) });
    // x_scale=[1, 0.5, 0.1]: [2.5125729395975935, -1.329255580274352, 0.5130863314666312] 7 5 2
    expectClose(a.x, [2.5125729395975935, -1.329255580274352, 0.5130863314666312], 1e-13);
    expect([a.nfev, a.njev, a.status]).toEqual([7, 5, 2]);
    const b = await solve(expf, expJ, [1, -0.5, 0], { xScale: Float64Array.from([1, 1, 1]) });
    // x_scale=1.0: [2.5125729360603564, -1.329255510222797, 0.5130863036771365] 7 5 2
    expectClose(b.x, [2.5125729360603564, -1.329255510222797, 0.5130863036771365], 1e-13);
    expect([b.nfev, b.njev, b.status]).toEqual([7, 5, 2]);
  });

  it('exponential fit with 2-point differences', async () => {
    const r = await solve(expf, '2-point', [1, -0.5, 0]);
    // no jac: [2.5125729446144343, -1.3292556704055705, 0.5130863671388555] 0.011818776476093917 7 None 2
    // Math.exp and numpy's exp differ in the last bit here and there; divided by h ~ 1.5e-8
    // that moves the difference quotients by ~1e-8 relative, and the stopping point with them.
    expectClose(r.x, [2.5125729446144343, -1.3292556704055705, 0.5130863671388555], 1e-8);
    expect([r.nfev, r.status]).toEqual([7, 2]);
  });

  it('Freudenstein-Roth (MGH 2) from (0.5, -2) reaches the local minimum', async () => {
    const r = await solve(fr, frJ, [0.5, -2]);
    // [11.412484465499256, -0.8968279137315114] 24.492126863534963 14 8 2
    expectClose(r.x, [11.412484465499256, -0.8968279137315114], 1e-13);
    expect(r.cost).toBeCloseTo(24.492126863534963, 12);
    expect([r.nfev, r.njev, r.status]).toEqual([14, 8, 2]);
  });

  it('Bard (MGH 8), default and tight tolerances', async () => {
    const r = await solve(bard, bardJ, [1, 1, 1]);
    // [0.0824105765758334, 1.1330366534715044, 2.343694638941154] 0.00410743865329062 6 5 2
    expectClose(r.x, [0.0824105765758334, 1.1330366534715044, 2.343694638941154], 1e-13);
    expect(r.cost).toBeCloseTo(0.00410743865329062, 16);
    expect([r.nfev, r.njev, r.status]).toEqual([6, 5, 2]);
    const tight = await solve(bard, bardJ, [1, 1, 1], { ftol: 1e-12, xtol: 1e-12, gtol: 1e-12 });
    // ftol=xtol=gtol=1e-12: [0.08241055996182327, 1.1330360991135782, 2.343695171832648] 7 6 2
    expectClose(tight.x, [0.08241055996182327, 1.1330360991135782, 2.343695171832648], 1e-13);
    expect([tight.nfev, tight.njev, tight.status]).toEqual([7, 6, 2]);
  });
});

describe('lm behaviour', () => {
  it('a non-finite trial is a failed step: rejected, radius shrunk, then converges', async () => {
    // The first (Gauss-Newton) trial from (-1.2, 1) is (1, -3.84): make y < -3 undefined.
    const nanBelow: Fun = (x) => (x[1] < -3 ? [NaN, 0] : rosen(x));
    const r = await solve(nanBelow, rosenJ, [-1.2, 1]);
    expect(r.status).toBeGreaterThan(0);
    expectClose(r.x, [1, 1], 1e-10);
    const [x0, first, second] = r.evaluator.points;
    const dist = (p: Float64Array) => Math.hypot(p[0] - x0[0], p[1] - x0[1]);
    expect(dist(second)).toBeLessThan(0.2 * dist(first));
  });

  it('never calls the callback (as scipy) and logs nothing', async () => {
    const lines: string[] = [];
    const r = await solve(rosen, rosenJ, [-1.2, 1], { callback: () => { throw new Error('called'); }, verbose: 2, log: (l) => lines.push(l) });
    expect(r.status).toBe(1);
    expect(lines).toEqual([]);
  });

  it('an aborted signal throws AbortError with the last accepted x', async () => {
    const controller = new AbortController();
    let calls = 0;
    const f: Fun = (x) => { if (++calls === 4) controller.abort(); return rosen(x); };
    const err = await solve(f, rosenJ, [-1.2, 1], { signal: controller.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect((err as AbortError).x).toHaveLength(2);
  });

  it('improper input (maxNfev 0, non-positive scale) is status -1 without evaluating', async () => {
    const a = await solve(rosen, rosenJ, [-1.2, 1], { maxNfev: 0 });
    expect([a.status, a.nfev, Array.from(a.x)]).toEqual([-1, 1, [-1.2, 1]]);
    const b = await solve(rosen, rosenJ, [-1.2, 1], { xScale: Float64Array.from([1, Infinity]) });
    expect(b.status).toBe(-1);
  });
});

describe('MINPACK kernels', () => {
  it('enorm is the 2-norm without overflow or underflow', () => {
    expect(enorm([3, 4])).toBe(5);
    expect(enorm([3e200, 4e200])).toBeCloseTo(5e200, -186);
    expect(enorm([3e-200, 4e-200]) / 5e-200).toBeCloseTo(1, 14);
    expect(enorm([1e300, 1, 1e-300])).toBe(1e300);
    expect(enorm([0, 0])).toBe(0);
  });

  // A 4 x 3 matrix, column-major.
  const A = [[1, 2, 3], [4, 5, 6.5], [7, 8.5, 9], [1, -1, 2]];
  const colMajor = () => Float64Array.from([0, 1, 2].flatMap((j) => A.map((row) => row[j])));

  it('qrfac: pivoted, |diag R| non-increasing, RᵀR = PᵀAᵀAP, Qᵀb via applyQt', () => {
    const a = colMajor();
    const { ipvt, rdiag, acnorm } = qrfac(a, 4, 3);
    expect(Array.from(ipvt).sort()).toEqual([0, 1, 2]);
    for (let j = 0; j < 3; j++) expect(acnorm[j]).toBeCloseTo(Math.hypot(...A.map((r) => r[j])), 13);
    expect(Math.abs(rdiag[0])).toBeGreaterThanOrEqual(Math.abs(rdiag[1]));
    expect(Math.abs(rdiag[1])).toBeGreaterThanOrEqual(Math.abs(rdiag[2]));
    const b = Float64Array.from([1, 2, 3, 4]);
    const qtb = applyQt(a, 4, 3, b, rdiag);
    const R = (i: number, j: number) => (i <= j ? a[i + j * 4] : 0);
    for (let p = 0; p < 3; p++) {
      for (let q = 0; q < 3; q++) {
        let rtr = 0, ata = 0;
        for (let k = 0; k < 3; k++) rtr += R(k, p) * R(k, q);
        for (const row of A) ata += row[ipvt[p]] * row[ipvt[q]];
        expect(rtr).toBeCloseTo(ata, 11);
      }
      // (R z)ᵀ Qᵀb = (AP)ᵀ b for each column: Rᵀ qtb = Pᵀ Aᵀ b.
      let lhs = 0;
      for (let k = 0; k < 3; k++) lhs += R(k, p) * qtb[k];
      expect(lhs).toBeCloseTo(A.reduce((s, row, i) => s + row[ipvt[p]] * b[i], 0), 11);
    }
  });

  it('qrsolv solves (AᵀA + DD) x = Aᵀb; lmpar lands ||D x|| within 10% of delta', () => {
    const a = colMajor();
    const { ipvt, rdiag } = qrfac(a, 4, 3);
    const b = Float64Array.from([1, 2, 3, 4]);
    const qtb = applyQt(a, 4, 3, b, rdiag);
    const d = Float64Array.from([0.5, 2, 1]);
    const x = new Float64Array(3), sdiag = new Float64Array(3);
    qrsolv(3, a, 4, ipvt, d, qtb, x, sdiag);
    for (let p = 0; p < 3; p++) {
      let lhs = d[p] * d[p] * x[p], rhs = 0;
      for (const [i, row] of A.entries()) { lhs += row[p] * A[i].reduce((s, v, k) => s + v * x[k], 0); rhs += row[p] * b[i]; }
      expect(lhs).toBeCloseTo(rhs, 10);
    }
    const gn = lmpar(3, a, 4, ipvt, d, qtb, 1e6, 0);
    expect(gn.par).toBe(0); // the Gauss-Newton step fits
    const delta = 0.05;
    const { par, x: step } = lmpar(3, a, 4, ipvt, d, qtb, delta, 0);
    expect(par).toBeGreaterThan(0);
    expect(Math.abs(enorm(step.map((v, j) => v * d[j])) - delta)).toBeLessThanOrEqual(0.1 * delta);
  });
});
