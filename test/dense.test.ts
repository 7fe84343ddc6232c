import { describe, expect, it } from 'vitest';
import { DenseMatrix } from '../src/linear/dense-matrix.js';
import {
  cholesky,
  choleskySolve,
  lstsq,
  matmul,
  matmulTransA,
  qr,
  qrPivoted,
  solve,
  solveUpperTriangular,
  solveUpperTriangularTransposed,
  svd,
} from '../src/linear/dense.js';
import { InvalidArgumentError, LinearAlgebraError, ShapeMismatchError } from '../src/errors.js';
import { normal, randomVector, rng } from '../src/problems/random-sparse.js';
import { norm } from './helpers/compare.js';

const EPS = Number.EPSILON;

/* ---------------------------------------------------------------------------------- */
/* Test helpers, written independently of the code under test                          */
/* ---------------------------------------------------------------------------------- */

/** m x n with standard normal entries (row-major, the stream of randomVector(m * n, seed)). */
function randomMatrix(m: number, n: number, seed: number): DenseMatrix {
  return new DenseMatrix(m, n, randomVector(m * n, seed));
}

/** Naive triple-loop product, independent of matmul. */
function mul(a: DenseMatrix, b: DenseMatrix): DenseMatrix {
  const c = new DenseMatrix(a.rows, b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < b.cols; j++) {
      let s = 0;
      for (let k = 0; k < a.cols; k++) s += a.get(i, k) * b.get(k, j);
      c.set(i, j, s);
    }
  }
  return c;
}

/** m x n (m >= n) with orthonormal columns: modified Gram–Schmidt applied twice to a Gaussian matrix. */
function randomOrthonormal(m: number, n: number, seed: number): DenseMatrix {
  const t = randomMatrix(n, m, seed); // rows of t are the columns being orthonormalized
  const d = t.data;
  for (let j = 0; j < n; j++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < j; i++) {
        let h = 0;
        for (let r = 0; r < m; r++) h += d[i * m + r] * d[j * m + r];
        for (let r = 0; r < m; r++) d[j * m + r] -= h * d[i * m + r];
      }
    }
    let nr = 0;
    for (let r = 0; r < m; r++) nr += d[j * m + r] ** 2;
    nr = Math.sqrt(nr);
    for (let r = 0; r < m; r++) d[j * m + r] /= nr;
  }
  return t.transpose();
}

/** U diag(s) Vᵀ for U m x r, V n x r. */
function fromFactors(u: DenseMatrix, s: ArrayLike<number>, v: DenseMatrix): DenseMatrix {
  return mul(u.scaleColumns(s), v.transpose());
}

function frob(a: DenseMatrix): number {
  let s = 0;
  for (const x of a.data) s += x * x;
  return Math.sqrt(s);
}

function diffFrob(a: DenseMatrix, b: DenseMatrix): number {
  expect([a.rows, a.cols]).toEqual([b.rows, b.cols]);
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += (a.data[i] - b.data[i]) ** 2;
  return Math.sqrt(s);
}

/** max |QᵀQ - I|: how far the columns of q are from orthonormal. */
function orthoError(q: DenseMatrix): number {
  const g = mul(q.transpose(), q);
  let e = 0;
  for (let i = 0; i < g.rows; i++) for (let j = 0; j < g.cols; j++) e = Math.max(e, Math.abs(g.get(i, j) - (i === j ? 1 : 0)));
  return e;
}

function vecDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  expect(x.length).toBe(y.length);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] - y[i]) ** 2;
  return Math.sqrt(s);
}

/** A[:, perm]. */
function permuteColumns(a: DenseMatrix, perm: Int32Array): DenseMatrix {
  const out = new DenseMatrix(a.rows, perm.length);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < perm.length; j++) out.set(i, j, a.get(i, perm[j]));
  return out;
}

/** U diag(s) Vᵀ from an SvdResult. */
function reconstruct(r: { u: DenseMatrix; s: Float64Array; vt: DenseMatrix }): DenseMatrix {
  return mul(r.u.scaleColumns(r.s), r.vt);
}

function expectShapeError(f: () => unknown, argument: string): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(ShapeMismatchError);
  expect((caught as ShapeMismatchError).argument).toBe(argument);
}

/**
 * Checks every SVD invariant: shapes, s sorted and >= 0, orthonormal U and V (to 5e-14),
 * reconstruction ||U S Vᵀ - A|| <= tol ||A||. Measured on the matrices below (n <= 80):
 * orthogonality <= ~1e-14, reconstruction <= ~7e-15 relative.
 */
function checkSvd(a: DenseMatrix, tol = 2e-14): { u: DenseMatrix; s: Float64Array; vt: DenseMatrix } {
  const r = svd(a);
  const k = Math.min(a.rows, a.cols);
  expect([r.u.rows, r.u.cols, r.s.length, r.vt.rows, r.vt.cols]).toEqual([a.rows, k, k, k, a.cols]);
  for (let i = 0; i < k; i++) {
    expect(r.s[i]).toBeGreaterThanOrEqual(0);
    if (i > 0) expect(r.s[i]).toBeLessThanOrEqual(r.s[i - 1]);
  }
  expect(orthoError(r.u)).toBeLessThan(5e-14);
  expect(orthoError(r.vt.transpose())).toBeLessThan(5e-14);
  expect(diffFrob(reconstruct(r), a)).toBeLessThanOrEqual(tol * Math.max(frob(a), Number.MIN_VALUE));
  return r;
}

/* ---------------------------------------------------------------------------------- */
/* QR                                                                                  */
/* ---------------------------------------------------------------------------------- */

describe('qrPivoted', () => {
  function checkPivotedQr(a: DenseMatrix): ReturnType<typeof qrPivoted> {
    const { q, r, perm } = qrPivoted(a);
    const m = a.rows, n = a.cols, k = Math.min(m, n);
    expect([q.rows, q.cols, r.rows, r.cols, perm.length]).toEqual([m, k, k, n, n]);
    expect(Array.from(perm).sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i));
    for (let i = 0; i < k; i++) for (let j = 0; j < Math.min(i, n); j++) expect(r.get(i, j)).toBe(0);
    for (let i = 1; i < k; i++) expect(Math.abs(r.get(i, i))).toBeLessThanOrEqual(Math.abs(r.get(i - 1, i - 1)));
    expect(orthoError(q)).toBeLessThan(1e-14);
    expect(diffFrob(mul(q, r), permuteColumns(a, perm))).toBeLessThan(1e-14 * frob(a));
    return { q, r, perm };
  }

  it('factors tall and wide matrices: A[:, perm] = Q R, Q orthonormal, |diag R| non-increasing', () => {
    checkPivotedQr(randomMatrix(60, 25, 1));
    checkPivotedQr(randomMatrix(15, 40, 2));
    checkPivotedQr(randomMatrix(30, 30, 3));
  });

  it('puts the column of largest norm first', () => {
    const a = randomMatrix(20, 8, 4);
    for (let i = 0; i < 20; i++) a.set(i, 5, 10 * a.get(i, 5));
    const { r, perm } = checkPivotedQr(a);
    expect(perm[0]).toBe(5);
    expect(Math.abs(r.get(0, 0))).toBeCloseTo(a.columnNorms()[5], 12);
  });

  it('keeps the pivoting property |R[j,j]| >= ||R[j:, c]|| through severe norm cancellation', () => {
    // Columns that agree with column 0 up to 1e-9: after the first step their partial
    // norms are ~1e-9 of the originals, so a naive downdate sqrt(norm² - r²) is pure
    // rounding noise (~1e-8 relative) and picks pivots at random. The dlaqp2 safeguard
    // recomputes those norms, and the greedy choice stays exact.
    const m = 40, n = 12;
    const base = randomVector(m, 5);
    const rand = rng(6);
    const a = new DenseMatrix(m, n);
    for (let j = 0; j < n; j++) {
      const scale = j === 0 ? 0 : 1e-9 * (1 + j / 3);
      for (let i = 0; i < m; i++) a.set(i, j, base[i] + scale * normal(rand));
    }
    const { r } = checkPivotedQr(a);
    for (let j = 0; j < n; j++) {
      for (let c = j + 1; c < n; c++) {
        let s = 0;
        for (let i = j; i < Math.min(m, n); i++) s += r.get(i, c) ** 2;
        expect(Math.abs(r.get(j, j))).toBeGreaterThanOrEqual(Math.sqrt(s) * (1 - 1e-6));
      }
    }
  });

  it('reveals the rank of a rank-deficient matrix', () => {
    const a = mul(randomMatrix(30, 5, 7), randomMatrix(5, 12, 8)); // rank 5
    const { r } = checkPivotedQr(a);
    const r00 = Math.abs(r.get(0, 0));
    expect(Math.abs(r.get(4, 4))).toBeGreaterThan(1e-3 * r00);
    for (let i = 5; i < 12; i++) expect(Math.abs(r.get(i, i))).toBeLessThan(1e-13 * r00);
  });

  it('handles empty matrices', () => {
    const a = qrPivoted(new DenseMatrix(0, 3));
    expect([a.q.rows, a.q.cols, a.r.rows, a.r.cols]).toEqual([0, 0, 0, 3]);
    expect(Array.from(a.perm)).toEqual([0, 1, 2]);
    const b = qrPivoted(new DenseMatrix(4, 0));
    expect([b.q.rows, b.q.cols, b.r.rows, b.r.cols, b.perm.length]).toEqual([4, 0, 0, 0, 0]);
  });
});

describe('qr', () => {
  it('factors A = Q R without pivoting, thin, tall and wide', () => {
    for (const [m, n, seed] of [[50, 20, 11], [12, 30, 12], [1, 1, 13], [7, 1, 14], [1, 6, 15]]) {
      const a = randomMatrix(m, n, seed);
      const { q, r } = qr(a);
      const k = Math.min(m, n);
      expect([q.rows, q.cols, r.rows, r.cols]).toEqual([m, k, k, n]);
      for (let i = 0; i < k; i++) for (let j = 0; j < i; j++) expect(r.get(i, j)).toBe(0);
      expect(orthoError(q)).toBeLessThan(1e-14);
      expect(diffFrob(mul(q, r), a)).toBeLessThan(1e-14 * frob(a));
    }
  });

  it('does not pivot: column 0 of A is a multiple of column 0 of Q', () => {
    const a = randomMatrix(10, 4, 16);
    for (let i = 0; i < 10; i++) a.set(i, 3, 100 * a.get(i, 3));
    const { q, r } = qr(a);
    expect(Math.abs(r.get(0, 0))).toBeCloseTo(a.columnNorms()[0], 12);
    for (let i = 0; i < 10; i++) expect(q.get(i, 0) * r.get(0, 0)).toBeCloseTo(a.get(i, 0), 12);
  });

  it('rejects non-matrices and non-finite entries', () => {
    expect(() => qr([[1]] as unknown as DenseMatrix)).toThrow(InvalidArgumentError);
    const a = randomMatrix(3, 3, 17);
    a.data[4] = NaN;
    expect(() => qr(a)).toThrow(InvalidArgumentError);
    expect(() => qrPivoted(a)).toThrow(InvalidArgumentError);
  });
});

/* ---------------------------------------------------------------------------------- */
/* SVD                                                                                 */
/* ---------------------------------------------------------------------------------- */

describe('svd', () => {
  it('decomposes tall, wide and square random matrices', () => {
    checkSvd(randomMatrix(80, 30, 21));
    checkSvd(randomMatrix(25, 70, 22));
    checkSvd(randomMatrix(40, 40, 23));
  });

  it('recovers known singular values from 1 down to 1e-12 (ill-conditioned), tall and wide', () => {
    const m = 60, n = 40;
    const sTrue = Float64Array.from({ length: n }, (_, i) => 10 ** ((-12 * i) / (n - 1)));
    const u = randomOrthonormal(m, n, 24);
    const v = randomOrthonormal(n, n, 25);
    const a = fromFactors(u, sTrue, v);
    for (const mat of [a, a.transpose()]) {
      const r = checkSvd(mat);
      // The entries of A carry rounding errors of ~eps ||A||, so each s_i is determined
      // only to a few eps * s_0 in absolute terms.
      for (let i = 0; i < n; i++) expect(Math.abs(r.s[i] - sTrue[i])).toBeLessThan(20 * EPS * sTrue[0]);
      // The large ones are relatively accurate too.
      for (let i = 0; i < 10; i++) expect(Math.abs(r.s[i] - sTrue[i]) / sTrue[i]).toBeLessThan(1e-13);
    }
  });

  it('matches the singular values of the Hilbert matrices n = 8..12', () => {
    // References: singular values of the float64 Hilbert matrix (entries 1 / (i + j + 1)
    // rounded to double, taken exactly) computed with mpmath at 60 digits:
    //   mp.mp.dps = 60; H[i, j] = mp.mpf(1.0 / (i + j + 1)); mp.svd_r(H, compute_uv=False)
    // (numpy.linalg.svd agrees to 2.5e-16 * s_0).
    const refs: Record<number, number[]> = {
      8: [1.6959389969219494e+0, 2.981252113169307e-1, 2.6212843578119052e-2, 1.4676881177418471e-3, 5.4369433697508964e-5, 1.2943320918741794e-6, 1.7988737460063012e-8, 1.1115389694888081e-10],
      9: [1.7258826609018465e+0, 3.2163312229920676e-1, 3.103892578126833e-2, 1.978933860215912e-3, 8.7580850514600884e-5, 2.6730134106021221e-6, 5.3856133492312088e-8, 6.4609052857053334e-10, 3.499685501915387e-12],
      10: [1.7519196702651776e+0, 3.4292954848350909e-1, 3.5741816271639235e-2, 2.5308907686700287e-3, 1.2874961427637339e-4, 4.729689293190096e-6, 1.2289677387429186e-7, 2.1474388217975424e-9, 2.2667455503810733e-11, 1.0932524334974553e-13],
      11: [1.7748831794993816e+0, 3.6238212869942238e-1, 4.0309621705337945e-2, 3.1144343276532124e-3, 1.7742851294357621e-4, 7.5424059206548398e-6, 2.3717594739981601e-7, 5.3683783627082259e-9, 8.2833281775260631e-11, 7.8070715943542971e-13, 3.3993310866669496e-15],
      12: [1.7953720595619973e+0, 3.8027524595503709e-1, 4.473854875218107e-2, 3.7223122378911627e-3, 2.3308908902177285e-4, 1.1163357483233021e-5, 4.0823761103912114e-7, 1.1228610668336419e-8, 2.2519645373627416e-10, 3.1113480676915081e-12, 2.6492762064029931e-14, 1.0674897547441722e-16],
    };
    for (let n = 8; n <= 12; n++) {
      const h = new DenseMatrix(n, n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) h.set(i, j, 1 / (i + j + 1));
      const { s } = checkSvd(h);
      const ref = refs[n];
      for (let i = 0; i < n; i++) expect(Math.abs(s[i] - ref[i])).toBeLessThan(8 * EPS * ref[0]);
      for (let i = 0; i < 4; i++) expect(Math.abs(s[i] - ref[i]) / ref[i]).toBeLessThan(1e-13);
    }
  });

  it('handles numerically rank-deficient matrices', () => {
    const u = randomOrthonormal(50, 7, 26);
    const v = randomOrthonormal(20, 7, 27);
    const a = fromFactors(u, [9, 7, 5, 4, 3, 2, 1], v);
    const { s } = checkSvd(a);
    expect(s[6]).toBeCloseTo(1, 13);
    for (let i = 7; i < 20; i++) expect(s[i]).toBeLessThan(1e-14 * s[0]);
  });

  it('completes U and V to orthonormal sets when singular values are exactly zero', () => {
    // Rank 2 with exact zero singular values: A = e_0 (1, 2, 0, 0) + e_3 (0, 0, 1, 3).
    // Every reflector step is exact here, so two singular values come out exactly 0 and
    // their vectors must be built to be orthogonal to (1, 2, 0, 0) / sqrt(5) and
    // (0, 0, 1, 3) / sqrt(10), which are not coordinate vectors.
    const a = new DenseMatrix(6, 4);
    a.set(0, 0, 1);
    a.set(0, 1, 2);
    a.set(3, 2, 1);
    a.set(3, 3, 3);
    for (const mat of [a, a.transpose()]) {
      const r = checkSvd(mat);
      expect(r.s[0]).toBeCloseTo(Math.sqrt(10), 14);
      expect(r.s[1]).toBeCloseTo(Math.sqrt(5), 14);
      expect(Array.from(r.s.subarray(2))).toEqual([0, 0]);
    }
  });

  it('handles zero matrices', () => {
    for (const [m, n] of [[5, 3], [3, 5], [4, 4]]) {
      const r = checkSvd(new DenseMatrix(m, n));
      expect(Array.from(r.s)).toEqual(new Array(Math.min(m, n)).fill(0));
    }
  });

  it('handles 1x1, 1xn and mx1', () => {
    const one = svd(DenseMatrix.fromRows([[-3]]));
    expect(one.s[0]).toBe(3);
    expect(one.u.get(0, 0) * one.s[0] * one.vt.get(0, 0)).toBe(-3);
    expect(Math.abs(one.u.get(0, 0))).toBe(1);

    const row = DenseMatrix.fromRows([[3, 0, -4, 12]]);
    const r = checkSvd(row);
    expect(r.s[0]).toBeCloseTo(13, 14);
    const col = row.transpose();
    const c = checkSvd(col);
    expect(c.s[0]).toBeCloseTo(13, 14);
    for (let i = 0; i < 4; i++) expect(Math.abs(c.u.get(i, 0))).toBeCloseTo(Math.abs(col.get(i, 0)) / 13, 15);
  });

  it('handles 0-size matrices', () => {
    for (const [m, n] of [[0, 0], [0, 4], [4, 0]]) {
      const r = svd(new DenseMatrix(m, n));
      expect([r.u.rows, r.u.cols, r.s.length, r.vt.rows, r.vt.cols]).toEqual([m, 0, 0, 0, n]);
    }
  });

  it('scales: no overflow or underflow for huge and tiny entries', () => {
    const a = randomMatrix(12, 7, 29);
    const ref = svd(a).s;
    for (const c of [2 ** 600, 2 ** -600, 1e300, 1e-300]) {
      const b = new DenseMatrix(12, 7, a.data.map((x) => x * c));
      const { s } = svd(b);
      for (let i = 0; i < 7; i++) expect(Math.abs(s[i] / c - ref[i])).toBeLessThan(1e-14 * ref[0]);
    }
  });

  it('keeps high relative accuracy for a column-graded matrix', () => {
    // A = B D, B a small integer matrix, D = diag(2^0, 2^-8, ..., 2^-40): every entry is
    // exact, and the singular values span 1e1 .. 1e-11. QR-preconditioned one-sided Jacobi
    // gets each of them to high *relative* accuracy [Demmel–Veselić; Drmač–Veselić], which
    // an SVD accurate only to eps * s_0 (e.g. bidiagonalization-based) would not.
    // Reference by mpmath at 60 digits:
    //   random.seed(7); B = [[random.randint(-9, 9) for j in range(6)] for i in range(8)]
    //   A[i, j] = mpf(B[i][j]) * mpf(2) ** (-8 * j); mp.svd_r(A, compute_uv=False)
    const bRows = [
      [1, -5, 3, -8, -7, 8], [-6, 2, 9, -8, 7, -3], [-8, -7, 4, 4, -7, -2], [-7, 8, 4, -8, 9, -6],
      [-2, 9, -8, 9, 9, 3], [-8, -2, -8, 8, -5, 0], [4, -5, 8, -6, 9, 0], [8, -4, -6, 9, 9, -3],
    ];
    const ref = [1.7262683978001764e+1, 6.1896996858134982e-2, 2.7273062728805451e-4, 5.7354108882206513e-7, 3.4469104103374397e-9, 7.7924453656119299e-12];
    const a = DenseMatrix.fromRows(bRows.map((r) => r.map((x, j) => x * 2 ** (-8 * j))));
    for (const mat of [a, a.transpose()]) {
      const { s } = checkSvd(mat);
      for (let i = 0; i < 6; i++) expect(Math.abs(s[i] - ref[i]) / ref[i]).toBeLessThan(1e-13);
    }
  });

  it('rejects non-finite entries', () => {
    const a = randomMatrix(4, 3, 31);
    a.data[5] = Infinity;
    expect(() => svd(a)).toThrow(InvalidArgumentError);
  });
});

/* ---------------------------------------------------------------------------------- */
/* lstsq                                                                               */
/* ---------------------------------------------------------------------------------- */

describe('lstsq', () => {
  /** pinv(A) b for A = U diag(s) Vᵀ: V diag(1/s) Uᵀ b. */
  function pinvSolve(u: DenseMatrix, s: ArrayLike<number>, v: DenseMatrix, b: Float64Array): Float64Array {
    const c = u.rmatvec(b);
    for (let i = 0; i < s.length; i++) c[i] /= s[i];
    return v.matvec(c);
  }

  it('solves a full-rank overdetermined problem (residual orthogonal to the range)', () => {
    const a = randomMatrix(40, 12, 41);
    const b = randomVector(40, 42);
    const { x, rank, s } = lstsq(a, b);
    expect(rank).toBe(12);
    expect(s.length).toBe(12);
    const res = a.matvec(x).map((v, i) => v - b[i]);
    const g = a.rmatvec(res);
    expect(norm(g)).toBeLessThan(1e-13 * frob(a) * norm(b));
  });

  it('returns the minimum-norm solution of a rank-deficient problem', () => {
    const sv = [5, 3, 2, 1, 0.5, 0.25];
    const u = randomOrthonormal(40, 6, 43);
    const v = randomOrthonormal(15, 6, 44);
    const a = fromFactors(u, sv, v);
    const b = randomVector(40, 45);
    const ref = pinvSolve(u, sv, v, b);
    const { x, rank } = lstsq(a, b);
    expect(rank).toBe(6);
    expect(vecDiff(x, ref)).toBeLessThan(1e-13 * norm(ref));
    // Minimum norm: x has no component in the null space, i.e. x = V Vᵀ x.
    expect(vecDiff(v.matvec(v.rmatvec(x)), x)).toBeLessThan(1e-13 * norm(x));
  });

  it('returns the minimum-norm solution of an underdetermined (wide) problem', () => {
    const sv = [4, 2, 1, 0.5, 0.1];
    const u = randomOrthonormal(5, 5, 46);
    const v = randomOrthonormal(18, 5, 47);
    const a = fromFactors(u, sv, v); // 5 x 18, full row rank
    const b = randomVector(5, 48);
    const { x, rank } = lstsq(a, b);
    expect(rank).toBe(5);
    expect(vecDiff(x, pinvSolve(u, sv, v, b))).toBeLessThan(1e-13 * norm(x));
    expect(vecDiff(a.matvec(x), b)).toBeLessThan(1e-13 * norm(b));
  });

  it('truncates singular values <= rcond * s[0]', () => {
    const sv = [1, 1e-1, 1e-2, 1e-4, 1e-6, 1e-8];
    const u = randomOrthonormal(20, 6, 49);
    const v = randomOrthonormal(6, 6, 50);
    const a = fromFactors(u, sv, v);
    const b = randomVector(20, 51);
    expect(lstsq(a, b).rank).toBe(6);
    const r = lstsq(a, b, 1e-3);
    expect(r.rank).toBe(3);
    expect(vecDiff(r.x, pinvSolve(u.transpose().scaleRows([1, 1, 1, 0, 0, 0]).transpose(), sv, v, b))).toBeLessThan(1e-12 * norm(r.x));
    expect(lstsq(a, b, 0.5).rank).toBe(1);
  });

  it('gives x = 0 and rank 0 for a zero matrix, and handles 0-size', () => {
    const r = lstsq(new DenseMatrix(4, 3), Float64Array.of(1, 2, 3, 4));
    expect(r.rank).toBe(0);
    expect(Array.from(r.x)).toEqual([0, 0, 0]);
    const e = lstsq(new DenseMatrix(0, 2), new Float64Array(0));
    expect(Array.from(e.x)).toEqual([0, 0]);
    expect(e.rank).toBe(0);
  });

  it('validates b and rcond', () => {
    const a = randomMatrix(5, 3, 52);
    expectShapeError(() => lstsq(a, new Float64Array(3)), 'b');
    expect(() => lstsq(a, new Float64Array(5), -1)).toThrow(InvalidArgumentError);
    expect(() => lstsq(a, new Float64Array(5), NaN)).toThrow(InvalidArgumentError);
  });
});

/* ---------------------------------------------------------------------------------- */
/* Triangular, Cholesky, LU, products                                                  */
/* ---------------------------------------------------------------------------------- */

describe('triangular solves', () => {
  function upper(n: number, cols: number, seed: number): DenseMatrix {
    const r = randomMatrix(n, cols, seed);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < Math.min(i, cols); j++) r.set(i, j, 999); // below the diagonal: must be ignored
      if (i < cols) r.set(i, i, 2 + Math.abs(r.get(i, i)));
    }
    return r;
  }
  /** The leading n x n upper triangle of r as a clean matrix. */
  function leadingUpper(r: DenseMatrix, n: number): DenseMatrix {
    const out = new DenseMatrix(n, n);
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) out.set(i, j, r.get(i, j));
    return out;
  }

  it('solves R x = b and Rᵀ x = b', () => {
    const r = upper(20, 20, 61);
    const x0 = randomVector(20, 62);
    const clean = leadingUpper(r, 20);
    expect(vecDiff(solveUpperTriangular(r, clean.matvec(x0)), x0)).toBeLessThan(1e-13 * norm(x0));
    expect(vecDiff(solveUpperTriangularTransposed(r, clean.rmatvec(x0)), x0)).toBeLessThan(1e-13 * norm(x0));
  });

  it('uses the leading n x n block of a trapezoidal R', () => {
    const r = upper(5, 8, 63);
    const x0 = randomVector(3, 64);
    const lead = leadingUpper(r, 3);
    expect(vecDiff(solveUpperTriangular(r, lead.matvec(x0), 3), x0)).toBeLessThan(1e-14 * norm(x0));
    expect(vecDiff(solveUpperTriangularTransposed(r, lead.rmatvec(x0), 3), x0)).toBeLessThan(1e-14 * norm(x0));
    expect(solveUpperTriangular(r, new Float64Array(5)).length).toBe(5); // default n = min(rows, cols)
  });

  it('throws on a zero diagonal and on bad shapes', () => {
    const r = upper(4, 4, 65);
    r.set(2, 2, 0);
    expect(() => solveUpperTriangular(r, new Float64Array(4))).toThrow(LinearAlgebraError);
    expect(() => solveUpperTriangularTransposed(r, new Float64Array(4))).toThrow(LinearAlgebraError);
    expect(solveUpperTriangular(r, Float64Array.of(1, 2), 2).length).toBe(2); // zero is outside the block
    expectShapeError(() => solveUpperTriangular(r, new Float64Array(3)), 'b');
    expectShapeError(() => solveUpperTriangularTransposed(r, new Float64Array(5)), 'b');
    expect(() => solveUpperTriangular(r, new Float64Array(5), 5)).toThrow(InvalidArgumentError);
  });
});

describe('cholesky', () => {
  it('factors an SPD matrix and solves with it', () => {
    const b = randomMatrix(30, 15, 71);
    const a = mul(b.transpose(), b);
    for (let i = 0; i < 15; i++) a.set(i, i, a.get(i, i) + 1);
    const l = cholesky(a);
    expect(l).not.toBeNull();
    const L = l as DenseMatrix;
    for (let i = 0; i < 15; i++) {
      expect(L.get(i, i)).toBeGreaterThan(0);
      for (let j = i + 1; j < 15; j++) expect(L.get(i, j)).toBe(0);
    }
    expect(diffFrob(mul(L, L.transpose()), a)).toBeLessThan(1e-14 * frob(a));
    const x0 = randomVector(15, 72);
    expect(vecDiff(choleskySolve(L, a.matvec(x0)), x0)).toBeLessThan(1e-12 * norm(x0));
  });

  it('returns null for indefinite, negative definite and singular matrices', () => {
    expect(cholesky(DenseMatrix.fromRows([[1, 2], [2, 1]]))).toBeNull();
    expect(cholesky(DenseMatrix.fromRows([[-1, 0], [0, -2]]))).toBeNull();
    expect(cholesky(DenseMatrix.fromRows([[1, 1], [1, 1]]))).toBeNull();
    expect(cholesky(DenseMatrix.fromRows([[4, 2], [2, 3]]))?.toArray()).toEqual([[2, 0], [1, Math.sqrt(2)]]);
  });

  it('validates shapes', () => {
    expectShapeError(() => cholesky(new DenseMatrix(2, 3)), 'a');
    expectShapeError(() => choleskySolve(DenseMatrix.identity(3), new Float64Array(2)), 'b');
    expectShapeError(() => choleskySolve(new DenseMatrix(3, 2), new Float64Array(3)), 'l');
  });
});

describe('solve', () => {
  it('round-trips b = A x through LU with partial pivoting', () => {
    const a = randomMatrix(30, 30, 81);
    const x0 = randomVector(30, 82);
    expect(vecDiff(solve(a, a.matvec(x0)), x0)).toBeLessThan(1e-11 * norm(x0));
    // A zero leading entry needs a row swap.
    expect(Array.from(solve(DenseMatrix.fromRows([[0, 1], [1, 0]]), Float64Array.of(2, 3)))).toEqual([3, 2]);
    expect(Array.from(solve(new DenseMatrix(0, 0), new Float64Array(0)))).toEqual([]);
  });

  it('throws LinearAlgebraError on singular matrices and ShapeMismatchError on bad shapes', () => {
    expect(() => solve(DenseMatrix.fromRows([[1, 2], [2, 4]]), Float64Array.of(1, 1))).toThrow(LinearAlgebraError);
    expect(() => solve(new DenseMatrix(3, 3), new Float64Array(3))).toThrow(LinearAlgebraError);
    expectShapeError(() => solve(new DenseMatrix(2, 3), new Float64Array(2)), 'a');
    expectShapeError(() => solve(DenseMatrix.identity(3), new Float64Array(4)), 'b');
  });
});

describe('matmul', () => {
  it('computes A B and Aᵀ B', () => {
    const a = DenseMatrix.fromRows([[1, 2, 3], [4, 5, 6]]);
    const b = DenseMatrix.fromRows([[1, 0], [0, 1], [2, -1]]);
    expect(matmul(a, b).toArray()).toEqual([[7, -1], [16, -1]]);
    const c = DenseMatrix.fromRows([[1, -1], [2, 0]]);
    expect(matmulTransA(a, c).toArray()).toEqual([[9, -1], [12, -2], [15, -3]]);
    const x = randomMatrix(17, 9, 91), y = randomMatrix(17, 5, 92);
    expect(diffFrob(matmulTransA(x, y), mul(x.transpose(), y))).toBeLessThan(1e-14 * frob(x) * frob(y));
    expect(diffFrob(matmul(x.transpose(), y), mul(x.transpose(), y))).toBeLessThan(1e-14 * frob(x) * frob(y));
    expect(matmul(new DenseMatrix(2, 0), new DenseMatrix(0, 3)).toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
  });

  it('rejects mismatched shapes, naming b', () => {
    expectShapeError(() => matmul(new DenseMatrix(2, 3), new DenseMatrix(2, 3)), 'b');
    expectShapeError(() => matmulTransA(new DenseMatrix(2, 3), new DenseMatrix(3, 3)), 'b');
  });
});
