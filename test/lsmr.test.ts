import { describe, expect, it } from 'vitest';
import { lsmr, lsmrCore, LSMR_MESSAGES } from '../src/linear/lsmr.js';
import { DenseMatrix } from '../src/linear/dense-matrix.js';
import { CpuBackend } from '../src/backend/cpu.js';
import { augmentedOperator, matrixOperator } from '../src/linear/operators.js';
import { AbortError, InvalidArgumentError, ShapeMismatchError } from '../src/errors.js';
import { randomSparse, uniformDenseMatrix, uniformVector } from './helpers/random-problems.js';
import { scipyKrylovProblem } from './helpers/scipy-krylov-problem.js';
import { normalSolve } from './helpers/reference-solve.js';
import { norm, relErr } from './helpers/compare.js';
import { countingOperator } from './helpers/counting-operator.js';
import { instrumented } from './helpers/instrumented-backend.js';

// ---- the test problems ----

const M = 10_000, N = 200;
const A = randomSparse(M, N, 5, 1);
const B = uniformVector(M, 2); // inconsistent
const X_LS = normalSolve(A, B);
const TIGHT = { atol: 1e-12, btol: 1e-12 };

describe('lsmr on a 10^4 x 200 sparse problem', () => {
  it('matches the normal-equations solution to 1e-8 with tight tolerances', async () => {
    const res = await lsmr(A, B, TIGHT);
    expect(relErr(res.x, X_LS)).toBeLessThan(1e-8);
    expect(res.istop).toBe(2);
    expect(res.message).toBe(LSMR_MESSAGES[2]);
    expect(res.backend).toBe('cpu');
    // the estimates: ||r||, ||Aᵀr||, ||x||
    const r = Float64Array.from(A.matvec(res.x), (v, i) => B[i] - v);
    expect(res.normr).toBeCloseTo(norm(r), 8);
    expect(res.normar).toBeLessThan(1e-12 * res.normA * res.normr);
    expect(res.normx).toBeCloseTo(norm(res.x), 12);
    expect(res.condA).toBeGreaterThan(1);
    expect(res.condA).toBeLessThan(10);
  });

  it('stops with istop 1 on a consistent system', async () => {
    const xTrue = uniformVector(N, 3);
    const res = await lsmr(A, A.matvec(xTrue), { atol: 1e-10, btol: 1e-10 });
    expect(res.istop).toBe(1);
    expect(relErr(res.x, xTrue)).toBeLessThan(1e-8);
    expect(res.normr).toBeLessThan(1e-9 * norm(A.matvec(xTrue)));
  });

  it('with damp solves (AᵀA + damp² I) x = Aᵀb', async () => {
    const damp = 3;
    const res = await lsmr(A, B, { ...TIGHT, damp });
    const ref = normalSolve(A, B, damp);
    expect(relErr(res.x, ref)).toBeLessThan(1e-8);
    expect(relErr(res.x, X_LS)).toBeGreaterThan(1e-3); // damping matters here
    // normr estimates ||[b; 0] - [A; damp I] x||
    const r = Float64Array.from(A.matvec(res.x), (v, i) => B[i] - v);
    expect(res.normr).toBeCloseTo(Math.hypot(norm(r), damp * norm(res.x)), 8);
  });

  it('starts from x0', async () => {
    const x0 = Float64Array.from(X_LS, (v, i) => v + 1e-3 * Math.sin(i));
    const cold = await lsmr(A, B);
    const warm = await lsmr(A, B, { ...TIGHT, x0 });
    expect(relErr(warm.x, X_LS)).toBeLessThan(1e-8);
    const far = await lsmr(A, B, { x0: uniformVector(N, 9) });
    expect(relErr(far.x, X_LS)).toBeLessThan(1e-4);
    // a good start converges in fewer iterations than a cold one at default tolerances
    const near = await lsmr(A, B, { x0 });
    expect(near.itn).toBeLessThan(cold.itn);
  });

  it('accepts a LinearOperator and gives the CSR result', async () => {
    const op = countingOperator(A);
    const a = await lsmr(op, B, TIGHT);
    const c = await lsmr(A, B, TIGHT);
    expect(a.itn).toBe(c.itn);
    expect(op.calls).toBe(a.itn); // one product with A per iteration
    expect(Array.from(a.x)).toEqual(Array.from(c.x));
  });

  it('stops with istop 7 at maxiter', async () => {
    const res = await lsmr(A, B, { ...TIGHT, maxiter: 5 });
    expect(res.istop).toBe(7);
    expect(res.itn).toBe(5);
    expect(res.message).toBe('The iteration limit has been reached');
    const none = await lsmr(A, B, { maxiter: 0 });
    expect([none.istop, none.itn, norm(none.x)]).toEqual([0, 0, 0]);
  });

  it('returns x = 0 with istop 0 for b = 0, also from x0 (as scipy)', async () => {
    const zero = new Float64Array(M);
    const res = await lsmr(A, zero);
    expect([res.istop, res.itn, norm(res.x)]).toEqual([0, 0, 0]);
    const fromX0 = await lsmr(A, zero, { x0: uniformVector(N, 4) });
    expect([fromX0.istop, fromX0.itn, norm(fromX0.x)]).toEqual([0, 0, 0]);
    expect(fromX0.message).toBe(LSMR_MESSAGES[0]);
  });

  it('stops with istop 3 when cond(A) exceeds conlim', async () => {
    // columns scaled over six decades: cond(A) about 1e6
    const ill = randomSparse(2000, 40, 5, 5, (j) => 10 ** (-6 * j / 39));
    const b = uniformVector(2000, 6);
    const res = await lsmr(ill, b, { ...TIGHT, conlim: 1e3, maxiter: 200 });
    expect(res.istop).toBe(3);
    expect(res.condA).toBeGreaterThanOrEqual(1e3);
    const free = await lsmr(ill, b, { ...TIGHT, conlim: 0, maxiter: 200 });
    expect(free.istop).not.toBe(3);
    expect(free.itn).toBeGreaterThan(res.itn);
  });
});

describe('lsmr on dense input', () => {
  it('solves a 300 x 20 DenseMatrix problem', async () => {
    const a = uniformDenseMatrix(300, 20, 7);
    const b = uniformVector(300, 8);
    const res = await lsmr(a, b, TIGHT);
    expect(relErr(res.x, normalSolve(a, b))).toBeLessThan(1e-8);
  });
});

describe('lsmr against scipy 1.17.1', () => {
  // Made by:
  //   import numpy as np; from scipy.sparse.linalg import lsmr
  //   m, n, A, b as in helpers/scipy-krylov-problem.ts
  //   for kw in [{}, dict(damp=0.5), dict(atol=1e-12, btol=1e-12), dict(maxiter=3), dict(conlim=5.0), dict(x0=np.ones(n))]:
  //       r = lsmr(A, b, **kw); print(kw, r[1], r[2], float(r[3]), float(r[5]), float(r[6]), list(map(float, r[0])))
  const { n, a, b } = scipyKrylovProblem();
  const xLs = [-0.11919081108239075, 0.08761775750428974, -0.276229248892116, -0.02014074628829611, 0.20107646480974967, -0.6899986131731675];
  const cases: { opts: Parameters<typeof lsmr>[2]; istop: number; itn: number; normr: number; normA: number; condA: number; x: number[] }[] = [
    { opts: {}, istop: 2, itn: 6, normr: 2.0168353848634823, normA: 13.850330922641042, condA: 9.190648771832352, x: xLs },
    {
      opts: { damp: 0.5 }, istop: 2, itn: 6, normr: 2.0504389821323064, normA: 13.850330922641042, condA: 8.284353025420433,
      x: [-0.11257746476604734, 0.08327297597181918, -0.2598254862425566, 0.01060876497451125, 0.20806217212037129, -0.5979601467590456],
    },
    { opts: { atol: 1e-12, btol: 1e-12 }, istop: 7, itn: 6, normr: 2.0168353848634823, normA: 13.850330922641042, condA: 9.190648771832352, x: xLs },
    {
      opts: { maxiter: 3 }, istop: 7, itn: 3, normr: 2.1388606784553796, normA: 13.325989089835604, condA: 2.9284135409930743,
      x: [-0.0852997297361433, 0.054514713363210704, -0.27153896283874907, 0.13266912920771312, 0.13629060607384624, -0.18314514556748435],
    },
    {
      opts: { conlim: 5 }, istop: 3, itn: 4, normr: 2.0338552565206176, normA: 13.65150441384452, condA: 6.907212958532125,
      x: [-0.11790067265262184, 0.0752665972372237, -0.2370929073102247, 0.06200758535757123, 0.32618084900586497, -0.5093729489578089],
    },
    { opts: { x0: new Float64Array(n).fill(1) }, istop: 2, itn: 6, normr: 2.016835384863483, normA: 13.850330922641042, condA: 9.824307643693098, x: xLs },
  ];
  it.each(cases.map((c, i) => [i, c] as const))('case %i: istop, itn, normr, normA, condA and x', async (_, c) => {
    const res = await lsmr(a, b, c.opts);
    expect(res.istop).toBe(c.istop);
    expect(res.itn).toBe(c.itn);
    expect(Math.abs(res.normr - c.normr) / c.normr).toBeLessThan(1e-12);
    expect(Math.abs(res.normA - c.normA) / c.normA).toBeLessThan(1e-12);
    expect(Math.abs(res.condA - c.condA) / c.condA).toBeLessThan(1e-9);
    expect(relErr(res.x, c.x)).toBeLessThan(1e-8);
  });
});

describe('lsmr when the Krylov space is exhausted (β = 0)', () => {
  it('solves a consistent problem exactly in one step, as scipy', async () => {
    // lsmr(np.array([[1., 0], [0, 2], [0, 0]]), np.array([1., 0, 0])) -> istop 1, itn 1, x = [1, 0], also with atol = btol = conlim = 0
    const a = new DenseMatrix(3, 2, Float64Array.from([1, 0, 0, 2, 0, 0]));
    for (const opts of [{}, { atol: 0, btol: 0, conlim: 0 }]) {
      const res = await lsmr(a, [1, 0, 0], opts);
      expect([res.istop, res.itn, ...res.x]).toEqual([1, 1, 1, 0]);
    }
  });
});

describe('lsmrCore (deferred backend)', () => {
  it('gives the same result with reads every 4 iterations, clears the guard and releases its scratch', async () => {
    const ref = await lsmr(A, B, TIGHT);
    const { backend, stats } = instrumented(4);
    const dev = backend.matrix(A);
    const b = backend.vector(M, B);
    const res = await lsmrCore(backend, matrixOperator(backend, dev), b, TIGHT);
    const x = await backend.read(res.x);
    expect(Array.from(x)).toEqual(Array.from(ref.x));
    expect([res.istop, res.itn, res.normr, res.normar]).toEqual([ref.istop, ref.itn, ref.normr, ref.normar]);
    expect(stats.readScalars).toBe(Math.ceil(ref.itn / 4));
    expect(stats.guards.at(-1)).toBeNull();
    expect(stats.guards.length).toBe(2);
    // only the caller's b and the returned x remain allocated
    expect(stats.live.size).toBe(2);
    expect(stats.live.has(b) && stats.live.has(res.x)).toBe(true);
    expect(Array.from(await backend.read(b))).toEqual(Array.from(B)); // b unchanged
  });

  it('on [A; damp I] through augmentedOperator matches lsmr with damp', async () => {
    const backend = new CpuBackend();
    const damp = 3;
    const d = backend.vector(N, new Float64Array(N).fill(damp));
    const op = augmentedOperator(backend, matrixOperator(backend, backend.matrix(A)), d);
    const rhs = new Float64Array(M + N);
    rhs.set(B);
    const res = await lsmrCore(backend, op, backend.vector(M + N, rhs), TIGHT);
    expect(relErr(await backend.read(res.x), normalSolve(A, B, damp))).toBeLessThan(1e-8);
  });

  it('throws AbortError when the signal fires mid-solve, with the last x', async () => {
    const controller = new AbortController();
    const op = countingOperator(A);
    const matvec = op.matvec;
    op.matvec = (x) => {
      if (op.calls === 3) controller.abort();
      return matvec(x);
    };
    const err = await lsmr(op, B, { ...TIGHT, signal: controller.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect((err as AbortError).x).toHaveLength(N);
    await expect(lsmr(A, B, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
  });
});

describe('lsmr input checks', () => {
  const small = new DenseMatrix(3, 2, Float64Array.from([1, 0, 0, 1, 1, 1]));
  const cases: [string, () => Promise<unknown>, typeof InvalidArgumentError, string][] = [
    ['b of the wrong length', () => lsmr(small, [1, 2]), ShapeMismatchError, 'b'],
    ['non-finite b', () => lsmr(small, [1, NaN, 2]), InvalidArgumentError, 'b'],
    ['A not a matrix', () => lsmr({ rows: 3 } as never, [1, 2, 3]), InvalidArgumentError, 'A'],
    ['negative damp', () => lsmr(small, [1, 2, 3], { damp: -1 }), InvalidArgumentError, 'damp'],
    ['infinite damp', () => lsmr(small, [1, 2, 3], { damp: Infinity }), InvalidArgumentError, 'damp'],
    ['NaN atol', () => lsmr(small, [1, 2, 3], { atol: NaN }), InvalidArgumentError, 'atol'],
    ['negative btol', () => lsmr(small, [1, 2, 3], { btol: -1e-6 }), InvalidArgumentError, 'btol'],
    ['negative conlim', () => lsmr(small, [1, 2, 3], { conlim: -1 }), InvalidArgumentError, 'conlim'],
    ['fractional maxiter', () => lsmr(small, [1, 2, 3], { maxiter: 1.5 }), InvalidArgumentError, 'maxiter'],
    ['x0 of the wrong length', () => lsmr(small, [1, 2, 3], { x0: new Float64Array(3) }), InvalidArgumentError, 'x0'],
    ['non-finite x0', () => lsmr(small, [1, 2, 3], { x0: Float64Array.from([0, Infinity]) }), InvalidArgumentError, 'x0'],
    ['an unknown option', () => lsmr(small, [1, 2, 3], { iterLim: 3 } as never), InvalidArgumentError, 'options.iterLim'],
    ['a bad signal', () => lsmr(small, [1, 2, 3], { signal: {} as never }), InvalidArgumentError, 'signal'],
    ['a bad backend', () => lsmr(small, [1, 2, 3], { backend: 'gpu' as never }), InvalidArgumentError, 'backend'],
    ['lsmrCore: b of the wrong length', () => {
      const be = new CpuBackend();
      return lsmrCore(be, matrixOperator(be, be.matrix(small)), be.vector(2));
    }, ShapeMismatchError, 'b'],
  ];
  it.each(cases)('rejects %s', async (_, call, type, argument) => {
    const err = await call().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(type);
    expect((err as InvalidArgumentError).argument).toBe(argument);
  });
});
