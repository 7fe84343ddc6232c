import { describe, expect, it } from 'vitest';
import { steihaugCg, steihaugCgCore } from '../src/linear/steihaug-cg.js';
import { CsrMatrix } from '../src/sparse/csr.js';
import { DenseMatrix } from '../src/linear/dense-matrix.js';
import type { LinearOperator } from '../src/linear/operator.js';
import { CpuBackend } from '../src/backend/cpu.js';
import { matrixOperator } from '../src/linear/operators.js';
import { AbortError, InvalidArgumentError, ShapeMismatchError } from '../src/errors.js';
import { randomVector } from '../src/problems/random-sparse.js';
import { uniformVector } from './helpers/random-problems.js';
import { choleskySolve, denseOf } from './helpers/reference-solve.js';
import { norm, relErr } from './helpers/compare.js';
import { instrumented } from './helpers/instrumented-backend.js';

// ---- helpers ----

function dot(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  return s;
}

/** The model m(p) = gᵀp + ½ pᵀBp. */
function model(b: LinearOperator, g: ArrayLike<number>, p: Float64Array): number {
  return dot(g, p) + 0.5 * dot(p, b.matvec(p));
}

/** The Cauchy point: the model minimizer along −g inside the region (Nocedal & Wright 4.12). */
function cauchyPoint(b: LinearOperator, g: Float64Array, delta: number): Float64Array {
  const gn = norm(g);
  const gBg = dot(g, b.matvec(g));
  const tau = gBg <= 0 ? 1 : Math.min(1, gn ** 3 / (delta * gBg));
  return Float64Array.from(g, (v) => (-tau * delta * v) / gn);
}

/** A random symmetric n x n DenseMatrix Q diag(eigs) Qᵀ (Q from Gram-Schmidt on random vectors). */
function symmetricWithEigenvalues(eigs: number[], seed: number): DenseMatrix {
  const n = eigs.length;
  const q: Float64Array[] = [];
  for (let k = 0; k < n; k++) {
    const v = uniformVector(n, seed + k);
    for (const u of q) {
      const c = dot(u, v);
      for (let i = 0; i < n; i++) v[i] -= c * u[i];
    }
    const vn = norm(v);
    q.push(v.map((x) => x / vn));
  }
  const a = new DenseMatrix(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += q[k][i] * eigs[k] * q[k][j];
    a.set(i, j, s);
  }
  return a;
}

/** A sparse SPD n x n matrix: the 1-D Laplacian plus `shift` on the diagonal. */
function laplacian(n: number, shift: number): CsrMatrix {
  const ri: number[] = [], ci: number[] = [], v: number[] = [];
  for (let i = 0; i < n; i++) {
    ri.push(i); ci.push(i); v.push(2 + shift);
    if (i > 0) { ri.push(i); ci.push(i - 1); v.push(-1); }
    if (i + 1 < n) { ri.push(i); ci.push(i + 1); v.push(-1); }
  }
  return CsrMatrix.fromTriplets(n, n, ri, ci, v);
}

// ---- tests ----

describe('steihaugCg on a positive definite B', () => {
  const n = 60;
  const B = symmetricWithEigenvalues(Array.from({ length: n }, (_, k) => 1 + 9 * k / (n - 1)), 100);
  const g = uniformVector(n, 1);
  const newton = choleskySolve(denseOf(n, (x) => B.matvec(x)), g.map((v) => -v));

  it('with a large radius and a tight tol returns the Newton step -B⁻¹g', async () => {
    const res = await steihaugCg(B, g, 1e3, { tol: 1e-12 * norm(g) });
    expect(relErr(res.step, newton)).toBeLessThan(1e-10);
    expect(res.hitsBoundary).toBe(false);
    expect(res.negativeCurvature).toBe(false);
    expect(res.iterations).toBeGreaterThan(5);
    expect(res.iterations).toBeLessThanOrEqual(n);
    expect(res.backend).toBe('cpu');
  });

  it('with the default tolerance stops once ||g + Bp|| < min(0.5, sqrt(||g||)) ||g||', async () => {
    const res = await steihaugCg(B, g, 1e3);
    const gn = norm(g);
    const tol = Math.min(0.5, Math.sqrt(gn)) * gn;
    const r = Float64Array.from(B.matvec(res.step), (v, i) => v + g[i]);
    expect(norm(r)).toBeLessThan(tol);
    // ... and not earlier: one iteration fewer leaves the residual above it
    const fewer = await steihaugCg(B, g, 1e3, { maxiter: res.iterations - 1 });
    const r2 = Float64Array.from(B.matvec(fewer.step), (v, i) => v + g[i]);
    expect(norm(r2)).toBeGreaterThanOrEqual(tol);
    expect(res.hitsBoundary).toBe(false);
  });

  it('with a small radius ends on the boundary, below the Cauchy point\'s model value', async () => {
    const newtonNorm = norm(newton);
    const delta = 0.3 * newtonNorm;
    const res = await steihaugCg(B, g, delta, { tol: 1e-12 });
    expect(res.hitsBoundary).toBe(true);
    expect(res.negativeCurvature).toBe(false);
    expect(Math.abs(norm(res.step) - delta) / delta).toBeLessThan(1e-12);
    expect(model(B, g, res.step)).toBeLessThan(model(B, g, cauchyPoint(B, g, delta)));
  });

  it('takes a sparse CSR matrix or a LinearOperator alike', async () => {
    const L = laplacian(5000, 0.5);
    const gl = randomVector(5000, 2);
    const op: LinearOperator = { rows: 5000, cols: 5000, matvec: (x) => L.matvec(x), rmatvec: (y) => L.rmatvec(y) };
    const a = await steihaugCg(L, gl, 10, { tol: 1e-8 });
    const b = await steihaugCg(op, gl, 10, { tol: 1e-8 });
    expect(Array.from(a.step)).toEqual(Array.from(b.step));
    const r = Float64Array.from(L.matvec(a.step), (v, i) => v + gl[i]);
    expect(a.hitsBoundary ? Math.abs(norm(a.step) - 10) : norm(r)).toBeLessThan(1e-8);
  });
});

describe('steihaugCg on an indefinite B', () => {
  // B = Q diag(-2, -0.5, 1, ..., 5) Qᵀ
  const n = 30;
  const B = symmetricWithEigenvalues([-2, -0.5, ...Array.from({ length: n - 2 }, (_, k) => 1 + 4 * k / (n - 3))], 200);
  const g = uniformVector(n, 3);

  it('meets negative curvature (4th step) and ends on the boundary below the Cauchy point', async () => {
    for (const delta of [10, 100]) {
      const res = await steihaugCg(B, g, delta, { tol: 1e-10 });
      expect([res.negativeCurvature, res.hitsBoundary, res.iterations]).toEqual([true, true, 4]);
      expect(Math.abs(norm(res.step) - delta) / delta).toBeLessThan(1e-12);
      expect(model(B, g, res.step)).toBeLessThan(model(B, g, cauchyPoint(B, g, delta)) - 1e-3);
    }
  });

  it('with a small radius leaves the region on the first step: the Cauchy point', async () => {
    const res = await steihaugCg(B, g, 0.1, { tol: 1e-10 });
    expect([res.negativeCurvature, res.hitsBoundary, res.iterations]).toEqual([false, true, 1]);
    expect(relErr(res.step, cauchyPoint(B, g, 0.1))).toBeLessThan(1e-12);
  });

  it('at the boundary along d, keeps the crossing with the lower model value', async () => {
    // -g is a direction of negative curvature for this g: the first iteration stops, and of
    // p = ±delta g/||g|| the one along -g has the lower model value (gᵀp < 0).
    const e0 = symmetricWithEigenvalues([-1, 2, 3], 300);
    let u = Float64Array.from([1, 0.3, -0.2]);
    for (let t = 0; t < 60; t++) { // power iteration on (3 I - B) finds the eigenvector of -1
      const w = e0.matvec(u).map((x, i) => 3 * u[i] - x);
      u = w.map((x) => x / norm(w));
    }
    const gg = u.map((x) => 2 * x);
    const res = await steihaugCg(e0, gg, 0.7);
    expect(res.iterations).toBe(1);
    expect(res.negativeCurvature).toBe(true);
    expect(relErr(res.step, gg.map((x) => (-0.7 * x) / 2))).toBeLessThan(1e-12);
  });
});

describe('steihaugCg against scipy 1.17.1 (trust-ncg subproblem)', () => {
  // Made by:
  //   import numpy as np; from scipy.optimize._trustregion_ncg import CGSteihaugSubproblem
  //   n = 6
  //   B = np.array([[np.cos(1.0 + i*0.7 + j*0.7) + (0.0 if i != j else [4, 3, 2.5, 2, 1.5, -1.2][i]) for j in range(n)] for i in range(n)])
  //   B = (B + B.T) / 2
  //   g = 1e-4 * np.array([1.0, -0.5, 0.3, 0.8, -0.2, 0.1])
  //   for delta in [1e-5, 1e-3]:
  //       p, hb = CGSteihaugSubproblem(np.zeros(n), lambda x: 0.0, lambda x: g, hess=lambda x: B).solve(delta)
  //       print(delta, hb, list(map(float, p)))
  const n = 6, diag = [4, 3, 2.5, 2, 1.5, -1.2];
  const B = new DenseMatrix(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) B.set(i, j, Math.cos(1 + i * 0.7 + j * 0.7) + (i === j ? diag[i] : 0));
  const g = [1.0, -0.5, 0.3, 0.8, -0.2, 0.1].map((v) => v * 1e-4);

  it('leaves the region on the first step: the positive crossing', async () => {
    const res = await steihaugCg(B, g, 1e-5);
    expect([res.hitsBoundary, res.negativeCurvature, res.iterations]).toEqual([true, false, 1]);
    const ref = [-7.018624063435965e-06, 3.5093120317179825e-06, -2.1055872190307894e-06, -5.614899250748772e-06, 1.403724812687193e-06, -7.018624063435965e-07];
    expect(relErr(res.step, ref)).toBeLessThan(1e-13);
  });

  it('meets negative curvature on the third step', async () => {
    const res = await steihaugCg(B, g, 1e-3);
    expect([res.hitsBoundary, res.negativeCurvature, res.iterations]).toEqual([true, true, 3]);
    const ref = [-0.00012418528442449526, -0.00045290730066341485, -0.000478554614006113, -0.0005423017252374096, 0.00039504237209922856, 0.0003166841274872965];
    expect(relErr(res.step, ref)).toBeLessThan(1e-12);
  });
});

describe('steihaugCg edge cases', () => {
  it('returns p = 0 for g = 0', async () => {
    const B = symmetricWithEigenvalues([1, 2, 3, 4], 400);
    const res = await steihaugCg(B, [0, 0, 0, 0], 1);
    expect(Array.from(res.step)).toEqual([0, 0, 0, 0]);
    expect([res.hitsBoundary, res.negativeCurvature, res.iterations]).toEqual([false, false, 0]);
  });

  it('stops at maxiter inside the region', async () => {
    const L = laplacian(2000, 0.01);
    const res = await steihaugCg(L, randomVector(2000, 5), 1e6, { maxiter: 7, tol: 0 });
    expect([res.iterations, res.hitsBoundary, res.negativeCurvature]).toEqual([7, false, false]);
  });
});

describe('steihaugCgCore (deferred backend)', () => {
  it('gives the same step with reads every 5 iterations, clears the guard and releases its scratch', async () => {
    const L = laplacian(3000, 0.05);
    const g = randomVector(3000, 6);
    const ref = await steihaugCg(L, g, 1e3, { tol: 1e-9 });
    const { backend, stats } = instrumented(5);
    const gv = backend.vector(3000, g);
    const res = await steihaugCgCore(backend, matrixOperator(backend, backend.matrix(L)), gv, 1e3, { tol: 1e-9 });
    expect(Array.from(await backend.read(res.step))).toEqual(Array.from(ref.step));
    expect([res.iterations, res.hitsBoundary, res.negativeCurvature]).toEqual([ref.iterations, ref.hitsBoundary, ref.negativeCurvature]);
    expect(ref.iterations).toBeGreaterThan(10);
    expect(stats.readScalars).toBe(Math.ceil(ref.iterations / 5));
    expect(stats.guards.length).toBe(2);
    expect(stats.guards.at(-1)).toBeNull();
    expect(stats.live.size).toBe(2);
    expect(stats.live.has(gv) && stats.live.has(res.step)).toBe(true);
    expect(Array.from(await backend.read(gv))).toEqual(Array.from(g));
  });

  it('throws AbortError when the signal fires mid-solve', async () => {
    const L = laplacian(2000, 0.01);
    const controller = new AbortController();
    let calls = 0;
    const op: LinearOperator = {
      rows: 2000, cols: 2000,
      matvec: (x) => {
        if (++calls === 4) controller.abort();
        return L.matvec(x);
      },
      rmatvec: (y) => L.rmatvec(y),
    };
    const err = await steihaugCg(op, randomVector(2000, 7), 1e6, { tol: 0, signal: controller.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect((err as AbortError).x).toHaveLength(2000);
    expect(calls).toBe(4);
    await expect(steihaugCg(L, randomVector(2000, 7), 1, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
  });
});

describe('steihaugCg input checks', () => {
  const B = new DenseMatrix(2, 2, Float64Array.from([2, 0, 0, 1]));
  const cases: [string, () => Promise<unknown>, typeof InvalidArgumentError, string][] = [
    ['delta = 0', () => steihaugCg(B, [1, 1], 0), InvalidArgumentError, 'delta'],
    ['negative delta', () => steihaugCg(B, [1, 1], -1), InvalidArgumentError, 'delta'],
    ['NaN delta', () => steihaugCg(B, [1, 1], NaN), InvalidArgumentError, 'delta'],
    ['infinite delta', () => steihaugCg(B, [1, 1], Infinity), InvalidArgumentError, 'delta'],
    ['a non-square B', () => steihaugCg(new DenseMatrix(2, 3), [1, 1, 1], 1), ShapeMismatchError, 'B'],
    ['B not a matrix', () => steihaugCg([[1]] as never, [1], 1), InvalidArgumentError, 'B'],
    ['g of the wrong length', () => steihaugCg(B, [1, 1, 1], 1), ShapeMismatchError, 'g'],
    ['non-finite g', () => steihaugCg(B, [1, NaN], 1), InvalidArgumentError, 'g'],
    ['negative tol', () => steihaugCg(B, [1, 1], 1, { tol: -1 }), InvalidArgumentError, 'tol'],
    ['fractional maxiter', () => steihaugCg(B, [1, 1], 1, { maxiter: 2.5 }), InvalidArgumentError, 'maxiter'],
    ['an unknown option', () => steihaugCg(B, [1, 1], 1, { radius: 1 } as never), InvalidArgumentError, 'options.radius'],
    ['steihaugCgCore: g of the wrong length', () => {
      const be = new CpuBackend();
      return steihaugCgCore(be, matrixOperator(be, be.matrix(B)), be.vector(3), 1);
    }, ShapeMismatchError, 'g'],
  ];
  it.each(cases)('rejects %s', async (_, call, type, argument) => {
    const err = await call().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(type);
    expect((err as InvalidArgumentError).argument).toBe(argument);
  });
});
