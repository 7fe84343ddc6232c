import { describe, expect, it } from 'vitest';
import { lsqr, lsqrCore, LSQR_MESSAGES } from '../src/linear/lsqr.js';
import { DenseMatrix } from '../src/linear/dense-matrix.js';
import { matrixOperator } from '../src/linear/operators.js';
import { AbortError, InvalidArgumentError, ShapeMismatchError } from '../src/errors.js';
import { randomSparse, uniformDenseMatrix, uniformVector } from './helpers/random-problems.js';
import { scipyKrylovProblem } from './helpers/scipy-krylov-problem.js';
import { normalSolve } from './helpers/reference-solve.js';
import { norm, relErr } from './helpers/compare.js';
import { countingOperator } from './helpers/counting-operator.js';
import { instrumented } from './helpers/instrumented-backend.js';

// ---- the test problems ----

const M = 10_000, N = 200;
const A = randomSparse(M, N, 5, 11);
const B = uniformVector(M, 12); // inconsistent
const X_LS = normalSolve(A, B);
const TIGHT = { atol: 1e-12, btol: 1e-12 };

describe('lsqr on a 10^4 x 200 sparse problem', () => {
  it('matches the normal-equations solution to 1e-8 with tight tolerances', async () => {
    const res = await lsqr(A, B, TIGHT);
    expect(relErr(res.x, X_LS)).toBeLessThan(1e-8);
    expect(res.istop).toBe(2);
    expect(res.message).toBe(LSQR_MESSAGES[2]);
    expect(res.backend).toBe('cpu');
    const r = Float64Array.from(A.matvec(res.x), (v, i) => B[i] - v);
    expect(res.r1norm).toBeCloseTo(norm(r), 8);
    expect(res.r2norm).toBe(res.r1norm);
    expect(res.arnorm).toBeLessThan(1e-12 * res.anorm * res.r2norm);
    expect(Math.abs(res.xnorm - norm(res.x)) / norm(res.x)).toBeLessThan(1e-10);
    expect(res.acond).toBeGreaterThan(1);
    expect(res.acond).toBeLessThan(100);
  });

  it('stops with istop 1 on a consistent system', async () => {
    const xTrue = uniformVector(N, 13);
    const res = await lsqr(A, A.matvec(xTrue), { atol: 1e-10, btol: 1e-10 });
    expect(res.istop).toBe(1);
    expect(relErr(res.x, xTrue)).toBeLessThan(1e-8);
  });

  it('with damp solves (AᵀA + damp² I) x = Aᵀb; r1norm and r2norm split the damping', async () => {
    const damp = 3;
    const res = await lsqr(A, B, { ...TIGHT, damp });
    expect(relErr(res.x, normalSolve(A, B, damp))).toBeLessThan(1e-8);
    expect(relErr(res.x, X_LS)).toBeGreaterThan(1e-3);
    const r = norm(Float64Array.from(A.matvec(res.x), (v, i) => B[i] - v));
    expect(res.r1norm).toBeCloseTo(r, 6);
    expect(res.r2norm).toBeCloseTo(Math.hypot(r, damp * norm(res.x)), 8);
  });

  it('starts from x0', async () => {
    const x0 = Float64Array.from(X_LS, (v, i) => v + 1e-3 * Math.sin(i));
    const warm = await lsqr(A, B, { ...TIGHT, x0 });
    expect(relErr(warm.x, X_LS)).toBeLessThan(1e-8);
    const cold = await lsqr(A, B);
    const near = await lsqr(A, B, { x0 });
    expect(near.itn).toBeLessThan(cold.itn);
  });

  it('accepts a LinearOperator and gives the CSR result', async () => {
    const op = countingOperator(A);
    const a = await lsqr(op, B, TIGHT);
    const c = await lsqr(A, B, TIGHT);
    expect(a.itn).toBe(c.itn);
    expect(op.calls).toBe(a.itn);
    expect(Array.from(a.x)).toEqual(Array.from(c.x));
  });

  it('stops with istop 7 at iterLim', async () => {
    const res = await lsqr(A, B, { ...TIGHT, iterLim: 5 });
    expect([res.istop, res.itn]).toEqual([7, 5]);
    expect(res.message).toBe('The iteration limit has been reached');
  });

  it('returns x = 0 with istop 0 for b = 0', async () => {
    const res = await lsqr(A, new Float64Array(M));
    expect([res.istop, res.itn, norm(res.x)]).toEqual([0, 0, 0]);
    expect(res.message).toBe('The exact solution is  x = 0');
  });

  it('stops with istop 3 when cond(A) exceeds conlim', async () => {
    const ill = randomSparse(2000, 40, 5, 15, (j) => 10 ** (-6 * j / 39));
    const b = uniformVector(2000, 16);
    const res = await lsqr(ill, b, { ...TIGHT, conlim: 1e3 });
    expect(res.istop).toBe(3);
    expect(res.acond).toBeGreaterThanOrEqual(1e3);
    const free = await lsqr(ill, b, { ...TIGHT, conlim: 0 });
    expect(free.istop).not.toBe(3);
    expect(free.itn).toBeGreaterThan(res.itn);
  });
});

describe('lsqr on dense input', () => {
  it('solves a 300 x 20 DenseMatrix problem', async () => {
    const a = uniformDenseMatrix(300, 20, 17);
    const b = uniformVector(300, 18);
    const res = await lsqr(a, b, TIGHT);
    expect(relErr(res.x, normalSolve(a, b))).toBeLessThan(1e-8);
  });
});

describe('lsqr against scipy 1.17.1', () => {
  // Made by:
  //   import numpy as np; from scipy.sparse.linalg import lsqr
  //   m, n, A, b as in helpers/scipy-krylov-problem.ts
  //   for kw in [{}, dict(damp=0.5), dict(atol=1e-12, btol=1e-12), dict(iter_lim=3), dict(conlim=5.0), dict(x0=np.ones(n))]:
  //       q = lsqr(A, b, **kw); print(kw, q[1], q[2], float(q[3]), float(q[4]), float(q[5]), float(q[6]), list(map(float, q[0])))
  const { n, a, b } = scipyKrylovProblem();
  const xLs = [-0.11919081108239074, 0.08761775750428973, -0.276229248892116, -0.020140746288296166, 0.20107646480974967, -0.6899986131731675];
  const x3 = [-0.09447921867210232, 0.045018401274613526, -0.3027319100687278, 0.15357954844871485, 0.1565294247517811, -0.21695846172501332];
  const cases: { opts: Parameters<typeof lsqr>[2]; istop: number; itn: number; r1norm: number; r2norm: number; anorm: number; acond: number; x: number[] }[] = [
    { opts: {}, istop: 2, itn: 6, r1norm: 2.0168353848634823, r2norm: 2.0168353848634823, anorm: 13.850330922641042, acond: 17.963921419162755, x: xLs },
    {
      opts: { damp: 0.5 }, istop: 2, itn: 6, r1norm: 2.020465538552683, r2norm: 2.0504389821323064, anorm: 13.904375810034288, acond: 16.80338479208346,
      x: [-0.11257746476604731, 0.08327297597181917, -0.25982548624255647, 0.010608764974511256, 0.20806217212037115, -0.5979601467590454],
    },
    { opts: { atol: 1e-12, btol: 1e-12 }, istop: 2, itn: 7, r1norm: 2.0168353848634823, r2norm: 2.0168353848634823, anorm: 18.230644729939282, acond: 23.695161460768077, x: xLs },
    { opts: { iterLim: 3 }, istop: 7, itn: 3, r1norm: 2.1323995762756236, r2norm: 2.1323995762756236, anorm: 13.325989089835604, acond: 5.414218840087338, x: x3 },
    { opts: { conlim: 5 }, istop: 3, itn: 3, r1norm: 2.1323995762756236, r2norm: 2.1323995762756236, anorm: 13.325989089835604, acond: 5.414218840087338, x: x3 },
    { opts: { x0: new Float64Array(n).fill(1) }, istop: 2, itn: 6, r1norm: 2.016835384863483, r2norm: 2.016835384863483, anorm: 13.85033092264104, acond: 17.96392141916273, x: xLs },
  ];
  it.each(cases.map((c, i) => [i, c] as const))('case %i: istop, itn, r1norm, r2norm, anorm, acond and x', async (_, c) => {
    const res = await lsqr(a, b, c.opts);
    expect(res.istop).toBe(c.istop);
    expect(res.itn).toBe(c.itn);
    expect(Math.abs(res.r1norm - c.r1norm) / c.r1norm).toBeLessThan(1e-12);
    expect(Math.abs(res.r2norm - c.r2norm) / c.r2norm).toBeLessThan(1e-12);
    // anorm of the 7th iteration and acond depend on the rounding of a lost-orthogonality step
    expect(Math.abs(res.anorm - c.anorm) / c.anorm).toBeLessThan(1e-6);
    expect(Math.abs(res.acond - c.acond) / c.acond).toBeLessThan(1e-6);
    expect(relErr(res.x, c.x)).toBeLessThan(1e-8);
  });

  it('keeps scipy\'s quirk for b = 0 with x0: one step, istop 1', async () => {
    // lsqr(np.array([[1., 0], [0, 1], [1, 1]]), np.zeros(3), x0=np.array([1., 2.])) -> istop 1, itn 1, x below
    const res = await lsqr(new DenseMatrix(3, 2, Float64Array.from([1, 0, 0, 1, 1, 1])), [0, 0, 0], { x0: Float64Array.from([1, 2]) });
    expect([res.istop, res.itn]).toEqual([1, 1]);
    expect(relErr(res.x, [-0.34426229508196693, 0.31967213114754145])).toBeLessThan(1e-14);
  });
});

describe('lsqr when the Krylov space is exhausted (β = 0)', () => {
  it('solves a consistent problem exactly in one step, as scipy', async () => {
    // lsqr(np.array([[1., 0], [0, 2], [0, 0]]), np.array([1., 0, 0])) -> istop 1, itn 1, x = [1, 0], also with atol = btol = conlim = 0
    const a = new DenseMatrix(3, 2, Float64Array.from([1, 0, 0, 2, 0, 0]));
    for (const opts of [{}, { atol: 0, btol: 0, conlim: 0 }]) {
      const res = await lsqr(a, [1, 0, 0], opts);
      expect([res.istop, res.itn, ...res.x]).toEqual([1, 1, 1, 0]);
    }
  });
});

describe('lsqrCore (deferred backend)', () => {
  it('gives the same result with reads every 3 iterations, clears the guard and releases its scratch', async () => {
    const ref = await lsqr(A, B, TIGHT);
    const { backend, stats } = instrumented(3);
    const dev = backend.matrix(A);
    const b = backend.vector(M, B);
    const res = await lsqrCore(backend, matrixOperator(backend, dev), b, TIGHT);
    expect(Array.from(await backend.read(res.x))).toEqual(Array.from(ref.x));
    expect([res.istop, res.itn, res.r1norm, res.arnorm, res.acond]).toEqual([ref.istop, ref.itn, ref.r1norm, ref.arnorm, ref.acond]);
    expect(stats.readScalars).toBe(Math.ceil(ref.itn / 3));
    expect(stats.guards.length).toBe(2);
    expect(stats.guards.at(-1)).toBeNull();
    expect(stats.live.size).toBe(2);
    expect(stats.live.has(b) && stats.live.has(res.x)).toBe(true);
    expect(Array.from(await backend.read(b))).toEqual(Array.from(B));
  });

  it('throws AbortError when the signal fires mid-solve, with the last x', async () => {
    const controller = new AbortController();
    const op = countingOperator(A);
    const matvec = op.matvec;
    op.matvec = (x) => {
      if (op.calls === 3) controller.abort();
      return matvec(x);
    };
    const err = await lsqr(op, B, { ...TIGHT, signal: controller.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect((err as AbortError).x).toHaveLength(N);
    await expect(lsqr(A, B, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
  });
});

describe('lsqr input checks', () => {
  const small = new DenseMatrix(3, 2, Float64Array.from([1, 0, 0, 1, 1, 1]));
  const cases: [string, () => Promise<unknown>, typeof InvalidArgumentError, string][] = [
    ['b of the wrong length', () => lsqr(small, [1, 2]), ShapeMismatchError, 'b'],
    ['non-finite b', () => lsqr(small, [1, Infinity, 2]), InvalidArgumentError, 'b'],
    ['A not a matrix', () => lsqr(new Float64Array(3) as never, [1, 2, 3]), InvalidArgumentError, 'A'],
    ['negative damp', () => lsqr(small, [1, 2, 3], { damp: -0.5 }), InvalidArgumentError, 'damp'],
    ['NaN btol', () => lsqr(small, [1, 2, 3], { btol: NaN }), InvalidArgumentError, 'btol'],
    ['negative atol', () => lsqr(small, [1, 2, 3], { atol: -1 }), InvalidArgumentError, 'atol'],
    ['a string conlim', () => lsqr(small, [1, 2, 3], { conlim: '1e8' as never }), InvalidArgumentError, 'conlim'],
    ['negative iterLim', () => lsqr(small, [1, 2, 3], { iterLim: -1 }), InvalidArgumentError, 'iterLim'],
    ['x0 of the wrong length', () => lsqr(small, [1, 2, 3], { x0: new Float64Array(1) }), InvalidArgumentError, 'x0'],
    ['an unknown option (maxiter is lsmr\'s)', () => lsqr(small, [1, 2, 3], { maxiter: 3 } as never), InvalidArgumentError, 'options.maxiter'],
    ['options that are not an object', () => lsqr(small, [1, 2, 3], 5 as never), InvalidArgumentError, 'options'],
  ];
  it.each(cases)('rejects %s', async (_, call, type, argument) => {
    const err = await call().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(type);
    expect((err as InvalidArgumentError).argument).toBe(argument);
  });
});
