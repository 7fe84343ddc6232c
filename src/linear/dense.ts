/**
 * Small dense linear algebra in f64 for the CPU side of the solvers: the trust-region
 * 'exact' subproblem, BVLS and friends, where n is at most a few hundred and m at most a
 * few thousand. Written from the textbook algorithms, no dependencies.
 *
 * References:
 * - [GVL] G. H. Golub & C. F. Van Loan, Matrix Computations, 4th ed. (2013).
 * - [DV]  Z. Drmač & K. Veselić, "New fast and accurate Jacobi SVD algorithm I",
 *         SIAM J. Matrix Anal. Appl. 29(4), 2008.
 * - [DB]  Z. Drmač & Z. Bujanović, "On the failure of rank-revealing QR factorization
 *         software – a case study", ACM TOMS 35(2), 2008 (the column-norm downdate
 *         safeguard used by LAPACK dgeqp3/dlaqp2 since 3.1).
 *
 * Layout: DenseMatrix is row-major. Householder QR and one-sided Jacobi both work on
 * columns, so they run on a transposed ("column-rows") working copy in which column j of
 * the matrix is the contiguous slice [j * m, (j + 1) * m). Every inner loop is then a
 * unit-stride dot product or axpy over a Float64Array, with no allocation.
 */
import { InvalidArgumentError, LinearAlgebraError, ShapeMismatchError } from '../errors.js';
import { DenseMatrix } from './dense-matrix.js';

/** A[:, perm] = Q R; Q is m x k with orthonormal columns, R is k x n upper trapezoidal, k = min(m, n); |diag(R)| non-increasing. */
export interface QrResult {
  q: DenseMatrix;
  r: DenseMatrix;
  perm: Int32Array;
}

/** Thin SVD: A = U diag(s) Vᵀ, U m x k, s descending and >= 0, vt k x n, k = min(m, n). */
export interface SvdResult {
  u: DenseMatrix;
  s: Float64Array;
  vt: DenseMatrix;
}

const EPS = Number.EPSILON; // 2^-52, the spacing of doubles at 1

/* ------------------------------------------------------------------------------------ */
/* Argument checks                                                                       */
/* ------------------------------------------------------------------------------------ */

function requireDense(name: string, a: unknown): DenseMatrix {
  if (!(a instanceof DenseMatrix)) throw new InvalidArgumentError(name, 'a DenseMatrix');
  return a;
}

/**
 * The DenseMatrix constructor checks finiteness, but `data` is mutable. The factorizations
 * would silently turn a NaN into garbage (every comparison with NaN is false, so Jacobi
 * would "converge"), so the entry points re-check: it is O(mn), negligible next to O(mn²).
 */
function requireFiniteData(name: string, a: DenseMatrix): void {
  const d = a.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) {
      throw new InvalidArgumentError(name, 'finite entries', `entry (${Math.floor(i / a.cols)}, ${i % a.cols}) is ${d[i]}`);
    }
  }
}

function requireVector(name: string, b: unknown, n: number): Float64Array {
  if (!(b instanceof Float64Array)) throw new InvalidArgumentError(name, 'a Float64Array');
  if (b.length !== n) throw new ShapeMismatchError(name, `length ${n}`, `length ${b.length}`);
  return b;
}

function requireSquare(name: string, a: DenseMatrix): number {
  if (a.rows !== a.cols) throw new ShapeMismatchError(name, 'a square matrix', `${a.rows} x ${a.cols}`);
  return a.rows;
}

/* ------------------------------------------------------------------------------------ */
/* Kernels                                                                               */
/* ------------------------------------------------------------------------------------ */

/**
 * Euclidean norm of x[start, end). The plain sum of squares is used when it is safely
 * inside the normal range; otherwise it is recomputed with scaling by the largest
 * magnitude (the idea of LAPACK dnrm2), so huge entries cannot overflow and tiny ones
 * cannot underflow to zero.
 */
export function norm2Range(x: Float64Array, start: number, end: number): number {
  let s = 0;
  for (let i = start; i < end; i++) s += x[i] * x[i];
  if (s > 1e-280 && s < 1e280) return Math.sqrt(s);
  let big = 0;
  for (let i = start; i < end; i++) {
    const v = Math.abs(x[i]);
    if (v > big) big = v;
  }
  if (big === 0) return 0;
  const inv = 1 / big;
  s = 0;
  for (let i = start; i < end; i++) {
    const v = x[i] * inv;
    s += v * v;
  }
  return big * Math.sqrt(s);
}

/** Dot product of x[xo, xo + len) and y[yo, yo + len). */
function dot(x: Float64Array, xo: number, y: Float64Array, yo: number, len: number): number {
  let s = 0;
  for (let i = 0; i < len; i++) s += x[xo + i] * y[yo + i];
  return s;
}

/**
 * Householder QR of an m x n matrix held as column-rows in `ct` (column j is
 * ct[j*m, (j+1)*m)), in place, LAPACK style [GVL 5.2.2 Householder QR; LAPACK dgeqr2]:
 * after the call, for j < k = min(m, n), column j holds R[0..j, j] in entries 0..j and the
 * Householder vector v_j (with implicit v_j[j] = 1) in entries j+1..m-1, and
 * H_j = I - tau[j] v_j v_jᵀ. Columns j >= k hold R[0..k-1, j]. Q = H_0 H_1 ... H_{k-1}.
 *
 * With `pivot`, this is QR with column pivoting (Businger & Golub 1965, [GVL 5.4.2]): at
 * step j the remaining column of largest partial norm is swapped to the front, which
 * makes |R[j, j]| non-increasing. Partial norms are downdated, not recomputed, with the
 * cancellation safeguard of LAPACK dlaqp2 [DB]: the downdate is trusted only while the
 * norm is above sqrt(tol3z) = eps^(1/4) ≈ 1e-4 times the value it had when last computed
 * exactly (below that, sqrt(norm² - r²) has lost most of its digits); otherwise the norm
 * is recomputed from scratch.
 */
function householderQr(ct: Float64Array, m: number, n: number, pivot: boolean): { tau: Float64Array; perm: Int32Array } {
  const k = Math.min(m, n);
  const tau = new Float64Array(k);
  const perm = new Int32Array(n);
  for (let j = 0; j < n; j++) perm[j] = j;

  // vn1: partial column norms (of rows j..m-1); vn2: the norm when vn1 was last exact.
  let vn1: Float64Array | undefined;
  let vn2: Float64Array | undefined;
  // LAPACK's tol3z = sqrt(dlamch('Epsilon')), where dlamch('Epsilon') = 2^-53.
  const tol3z = Math.sqrt(EPS / 2);
  if (pivot) {
    vn1 = new Float64Array(n);
    vn2 = new Float64Array(n);
    for (let j = 0; j < n; j++) vn1[j] = vn2[j] = norm2Range(ct, j * m, (j + 1) * m);
  }

  for (let j = 0; j < k; j++) {
    if (vn1 !== undefined && vn2 !== undefined) {
      // First index of the largest partial norm, like idamax (so ties keep the original order).
      let p = j;
      for (let c = j + 1; c < n; c++) if (vn1[c] > vn1[p]) p = c;
      if (p !== j) {
        const oj = j * m, op = p * m;
        for (let i = 0; i < m; i++) {
          const t = ct[oj + i];
          ct[oj + i] = ct[op + i];
          ct[op + i] = t;
        }
        const tp = perm[j];
        perm[j] = perm[p];
        perm[p] = tp;
        vn1[p] = vn1[j];
        vn2[p] = vn2[j];
      }
    }

    // Generate H_j so that H_j x = (beta, 0, ..., 0) for x = column j, rows j..m-1
    // [GVL Algorithm 5.1.1; LAPACK dlarfg]. beta takes the sign opposite to x[j] so that
    // alpha - beta never cancels.
    const oj = j * m;
    const alpha = ct[oj + j];
    const xnorm = norm2Range(ct, oj + j + 1, oj + m);
    if (xnorm === 0) {
      tau[j] = 0; // H_j = I: the column is already reduced.
    } else {
      const beta = -(alpha >= 0 ? 1 : -1) * Math.hypot(alpha, xnorm);
      tau[j] = (beta - alpha) / beta;
      const scal = 1 / (alpha - beta);
      for (let i = j + 1; i < m; i++) ct[oj + i] *= scal;
      ct[oj + j] = beta;

      // Apply H_j to the trailing columns j+1..n-1 (rows of ct).
      applyReflectorToRows(ct, m, j, tau[j], ct, m, j + 1, n);
    }

    if (vn1 !== undefined && vn2 !== undefined) {
      // Downdate the partial norms: ||x[j+1:]||² = ||x[j:]||² - x[j]² [GVL 5.4.2],
      // guarded as in dlaqp2 [DB].
      for (let c = j + 1; c < n; c++) {
        if (vn1[c] === 0) continue;
        const oc = c * m;
        const r = Math.abs(ct[oc + j]) / vn1[c];
        const temp = Math.max(0, (1 + r) * (1 - r));
        const q = vn1[c] / vn2[c];
        if (temp * q * q <= tol3z) {
          vn1[c] = vn2[c] = j + 1 < m ? norm2Range(ct, oc + j + 1, oc + m) : 0;
        } else {
          vn1[c] *= Math.sqrt(temp);
        }
      }
    }
  }
  return { tau, perm };
}

/**
 * Applies H_j (the reflector stored in column j of `ct`: v_j[j] = 1 implicit, v_j[i] =
 * ct[j*m + i] for i > j) to rows r0..r1-1 of the row-major `y` with row length `ld`:
 * y_r[j..m) -= tau_j (v_jᵀ y_r) v_j [GVL 5.1.4].
 *
 * Rows go four at a time: one pass over v_j forms four dot products and one pass does four
 * updates, so each v_j[i] is loaded once per four rows. This roughly halves the time of
 * the O(m n²) parts against the one-row loop in V8 (which does no SIMD on its own).
 */
function applyReflectorToRows(
  ct: Float64Array,
  m: number,
  j: number,
  tauj: number,
  y: Float64Array,
  ld: number,
  r0: number,
  r1: number,
): void {
  if (tauj === 0) return;
  const oj = j * m;
  let r = r0;
  for (; r + 3 < r1; r += 4) {
    const o0 = r * ld, o1 = o0 + ld, o2 = o1 + ld, o3 = o2 + ld;
    let w0 = y[o0 + j], w1 = y[o1 + j], w2 = y[o2 + j], w3 = y[o3 + j];
    for (let i = j + 1; i < m; i++) {
      const vi = ct[oj + i];
      w0 += vi * y[o0 + i];
      w1 += vi * y[o1 + i];
      w2 += vi * y[o2 + i];
      w3 += vi * y[o3 + i];
    }
    w0 *= tauj;
    w1 *= tauj;
    w2 *= tauj;
    w3 *= tauj;
    y[o0 + j] -= w0;
    y[o1 + j] -= w1;
    y[o2 + j] -= w2;
    y[o3 + j] -= w3;
    for (let i = j + 1; i < m; i++) {
      const vi = ct[oj + i];
      y[o0 + i] -= w0 * vi;
      y[o1 + i] -= w1 * vi;
      y[o2 + i] -= w2 * vi;
      y[o3 + i] -= w3 * vi;
    }
  }
  for (; r < r1; r++) {
    const o = r * ld;
    let w = y[o + j];
    for (let i = j + 1; i < m; i++) w += ct[oj + i] * y[o + i];
    w *= tauj;
    if (w === 0) continue;
    y[o + j] -= w;
    for (let i = j + 1; i < m; i++) y[o + i] -= w * ct[oj + i];
  }
}

/** Thin Q (m x k) from the reflectors, by backward accumulation [GVL 5.1.6]. */
function formQ(ct: Float64Array, m: number, k: number, tau: Float64Array): DenseMatrix {
  // Column i of Q is Q e_i, built as row i of qt. Going backwards, H_j leaves e_i unchanged
  // for i < j (v_j vanishes above row j), so H_j only touches columns j..k-1.
  const qt = new Float64Array(k * m);
  for (let i = 0; i < k; i++) qt[i * m + i] = 1;
  for (let j = k - 1; j >= 0; j--) {
    applyReflectorToRows(ct, m, j, tau[j], qt, m, j, k);
  }
  return new DenseMatrix(k, m, qt).transpose();
}

/** The k x n upper trapezoidal R from the factored column-rows. */
function extractR(ct: Float64Array, m: number, n: number, k: number): DenseMatrix {
  const r = new Float64Array(k * n);
  for (let i = 0; i < k; i++) {
    for (let j = i; j < n; j++) r[i * n + j] = ct[j * m + i];
  }
  return new DenseMatrix(k, n, r);
}

/** Column-rows copy of A: row j of the result (length m) is column j of A. */
function columnRows(a: DenseMatrix): Float64Array {
  return a.transpose().data;
}

function qrImpl(a: DenseMatrix, pivot: boolean): QrResult {
  const m = a.rows, n = a.cols, k = Math.min(m, n);
  const ct = columnRows(a);
  const { tau, perm } = householderQr(ct, m, n, pivot);
  return { q: formQ(ct, m, k, tau), r: extractR(ct, m, n, k), perm };
}

/**
 * Householder QR with column pivoting (Businger–Golub, [GVL Algorithm 5.4.1]):
 * A[:, perm] = Q R with |R[0,0]| >= |R[1,1]| >= ... ; column norms are downdated with the
 * LAPACK dgeqp3 safeguard. Q is m x k with orthonormal columns, R is k x n, k = min(m, n).
 */
export function qrPivoted(a: DenseMatrix): QrResult {
  requireDense('a', a);
  requireFiniteData('a', a);
  return qrImpl(a, true);
}

/** Householder QR without pivoting [GVL Algorithm 5.2.1], thin: Q is m x k, R is k x n, k = min(m, n). */
export function qr(a: DenseMatrix): { q: DenseMatrix; r: DenseMatrix } {
  requireDense('a', a);
  requireFiniteData('a', a);
  const { q, r } = qrImpl(a, false);
  return { q, r };
}

/* ------------------------------------------------------------------------------------ */
/* SVD                                                                                   */
/* ------------------------------------------------------------------------------------ */

/** Sweeps of one-sided Jacobi before giving up; QR-preconditioned Jacobi needs ~5-10 [DV]. */
const MAX_SWEEPS = 60;

/**
 * One-sided (Hestenes) Jacobi [GVL 8.6.4; DV] on k columns x_0..x_{k-1} of length k,
 * stored with the accumulated rotations as the rows of the k x 2k row-major `gv`:
 * row i = [x_i | v_i], where v_i starts as e_i. Plane rotations make the x_i mutually
 * orthogonal; rotating whole rows applies each rotation to X and to V = [v_0 ... v_{k-1}]
 * in one pass (one loop instead of two is markedly faster in V8), keeping X_now = X_0 V.
 *
 * The pair (p, q) is rotated when |x_pᵀ x_q| > tol ||x_p|| ||x_q||, by the symmetric Schur
 * rotation of its 2 x 2 Gram matrix [GVL Algorithm 8.5.1 (sym.schur2)]. Columns are
 * visited row-cyclically; before row p of a sweep the remaining column of largest norm
 * is swapped into place (de Rijk's pivoting, as in LAPACK dgesvj), which saves a sweep or
 * so. Convergence is declared after a sweep with no rotation, so on return every pair
 * passes the relative test. Columns of norm <= `tiny` are left alone (their squared norms
 * would be subnormal); the caller treats them as zero.
 */
function oneSidedJacobi(gv: Float64Array, k: number, tiny: number): void {
  // dgesvj uses sqrt(rows) * eps; the computed cosines carry rounding error of that order.
  const tol = Math.max(1, Math.sqrt(k)) * EPS;
  const tiny2 = tiny * tiny;
  const L = 2 * k;
  const nrm = new Float64Array(k); // squared norms of the x_i
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    // Refresh the norms exactly at each sweep so the updates below cannot drift.
    for (let i = 0; i < k; i++) {
      const t = norm2Range(gv, i * L, i * L + k);
      nrm[i] = t * t;
    }
    let rotations = 0;
    for (let p = 0; p < k - 1; p++) {
      let big = p;
      for (let q = p + 1; q < k; q++) if (nrm[q] > nrm[big]) big = q;
      const op = p * L;
      if (big !== p) {
        const ob = big * L;
        for (let i = 0; i < L; i++) {
          const t = gv[op + i];
          gv[op + i] = gv[ob + i];
          gv[ob + i] = t;
        }
        const t = nrm[p];
        nrm[p] = nrm[big];
        nrm[big] = t;
      }
      if (nrm[p] <= tiny2) break; // the rest are all tiny
      for (let q = p + 1; q < k; q++) {
        const alpha = nrm[p], beta = nrm[q];
        if (beta <= tiny2) continue;
        const oq = q * L;
        const gamma = dot(gv, op, gv, oq, k);
        // sqrt separately: alpha * beta could underflow for small columns.
        if (Math.abs(gamma) <= tol * Math.sqrt(alpha) * Math.sqrt(beta)) continue;
        rotations++;
        const zeta = (beta - alpha) / (2 * gamma);
        // t = tan(theta), the smaller root of t² + 2 zeta t - 1 = 0 (|theta| <= pi/4).
        const az = Math.abs(zeta);
        const t = (zeta >= 0 ? 1 : -1) / (az > 1e150 ? 2 * az : az + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < L; i++) {
          const x = gv[op + i], y = gv[oq + i];
          gv[op + i] = c * x - s * y;
          gv[oq + i] = s * x + c * y;
        }
        // The new squared norms are the eigenvalues of the 2 x 2 Gram matrix. The one that
        // shrinks may lose relative accuracy to cancellation; recompute it in that case.
        let np = alpha - t * gamma, nq = beta + t * gamma;
        if (!(np > 0.25 * alpha)) {
          const w = norm2Range(gv, op, op + k);
          np = w * w;
        }
        if (!(nq > 0.25 * beta)) {
          const w = norm2Range(gv, oq, oq + k);
          nq = w * w;
        }
        nrm[p] = np;
        nrm[q] = nq;
      }
    }
    if (rotations === 0) return;
  }
  throw new LinearAlgebraError(`one-sided Jacobi SVD did not converge in ${MAX_SWEEPS} sweeps`);
}

/**
 * SVD of a tall M x N matrix (M >= N >= 1) given as column-rows `ct` (overwritten).
 * Returns k = N singular triplets: `ut` (k x M, row i = left vector i), `s`, and
 * `vt` (k x N, row i = right vector i).
 *
 * Method [DV]: B P = Q R by pivoted QR, then one-sided Jacobi on X = Rᵀ. Jacobi on Rᵀ
 * orthogonalizes with the Gram matrix R Rᵀ, which after column pivoting is much closer
 * to diagonal than Rᵀ R, so few sweeps are needed. If X V = W Σ (V orthogonal, W with
 * orthonormal columns) then R = V Σ Wᵀ and B = (Q V) Σ (P W)ᵀ.
 */
function svdTall(ct: Float64Array, M: number, N: number): { ut: Float64Array; s: Float64Array; vt: Float64Array } {
  const k = N;
  const s = new Float64Array(k);
  const ut = new Float64Array(k * M);
  const vt = new Float64Array(k * N);

  // Scale by a power of two (exact) so the largest entry is in [0.5, 1): the squared
  // norms in Jacobi then neither overflow nor, above `tiny`, underflow.
  let big = 0;
  for (let i = 0; i < ct.length; i++) {
    const x = Math.abs(ct[i]);
    if (x > big) big = x;
  }
  if (big === 0) {
    // Zero matrix: s = 0 and any orthonormal vectors will do.
    for (let i = 0; i < k; i++) {
      ut[i * M + i] = 1;
      vt[i * N + i] = 1;
    }
    return { ut, s, vt };
  }
  // 2^e itself may overflow (e = 1024) or 2^-e may (e <= -1024 for subnormal input), so
  // each factor is applied as two halves, every one a representable power of two.
  const e = Math.floor(Math.log2(big)) + 1;
  const e1 = Math.trunc(e / 2), e2 = e - e1;
  const down1 = 2 ** -e1, down2 = 2 ** -e2, up1 = 2 ** e1, up2 = 2 ** e2;
  if (e !== 0) for (let i = 0; i < ct.length; i++) ct[i] = ct[i] * down1 * down2;

  const { tau, perm } = householderQr(ct, M, N, true);

  // Row i of gv: [column i of X = Rᵀ (= row i of R) | e_i].
  const L = 2 * k;
  const gv = new Float64Array(k * L);
  for (let i = 0; i < k; i++) {
    for (let j = i; j < k; j++) gv[i * L + j] = ct[j * M + i];
    gv[i * L + k + i] = 1;
  }

  // Singular values below `tiny` (relative to s_max >= 0.5 after scaling) are set to zero:
  // they are ~1e-150 of the largest, far below the eps * s_max accuracy of any SVD.
  const tiny = 2 ** -500;
  oneSidedJacobi(gv, k, tiny);

  const sigma = new Float64Array(k);
  for (let i = 0; i < k; i++) sigma[i] = norm2Range(gv, i * L, i * L + k);
  const order = Array.from({ length: k }, (_, i) => i).sort((a, b) => sigma[b] - sigma[a] || a - b);

  const zeroFrom = (() => {
    let r = 0;
    while (r < k && sigma[order[r]] > tiny) r++;
    return r;
  })();

  for (let o = 0; o < k; o++) {
    const i = order[o];
    // Left vector o: Q (column i of V), i.e. Q applied to (v row i, 0, ..., 0).
    ut.set(gv.subarray(i * L + k, (i + 1) * L), o * M);
    if (o < zeroFrom) {
      s[o] = sigma[i] * up1 * up2;
      // Right vector o: P w_i, w_i = (row i of g) / sigma_i, entry j goes to perm[j].
      const inv = 1 / sigma[i];
      for (let j = 0; j < k; j++) vt[o * N + perm[j]] = gv[i * L + j] * inv;
    }
  }
  // Apply Q = H_0 ... H_{k-1} to every row of ut (reflector-major for locality).
  for (let j = k - 1; j >= 0; j--) {
    applyReflectorToRows(ct, M, j, tau[j], ut, M, 0, k);
  }
  if (zeroFrom < k) completeOrthonormal(vt, N, zeroFrom, k);
  return { ut, s, vt };
}

/**
 * Fills rows r..k-1 of the row-major `w` (k x n, rows 0..r-1 orthonormal) with further
 * orthonormal rows: the right singular vectors of zero singular values, which the
 * factorization leaves undetermined. Each new row starts from the coordinate vector e_j of
 * smallest leverage sum_i w[i][j]² (its residual after projection has squared norm
 * 1 - leverage >= 1 - r/n, so it is never nearly dependent) and is orthogonalized by
 * classical Gram–Schmidt applied twice ("twice is enough", [GVL 5.2.8]).
 */
function completeOrthonormal(w: Float64Array, n: number, r: number, k: number): void {
  const lev = new Float64Array(n);
  for (let i = 0; i < r; i++) for (let j = 0; j < n; j++) lev[j] += w[i * n + j] ** 2;
  for (let o = r; o < k; o++) {
    let jmin = 0;
    for (let j = 1; j < n; j++) if (lev[j] < lev[jmin]) jmin = j;
    const oo = o * n;
    w.fill(0, oo, oo + n);
    w[oo + jmin] = 1;
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < o; i++) {
        const h = dot(w, i * n, w, oo, n);
        if (h !== 0) for (let j = 0; j < n; j++) w[oo + j] -= h * w[i * n + j];
      }
    }
    const nr = norm2Range(w, oo, oo + n);
    for (let j = 0; j < n; j++) {
      w[oo + j] /= nr;
      lev[j] += w[oo + j] ** 2;
    }
  }
}

/**
 * Thin SVD A = U diag(s) Vᵀ with s descending, by QR-preconditioned one-sided Jacobi
 * [DV; GVL 8.6.4]: pivoted QR (of Aᵀ when m < n, i.e. an LQ of A) reduces A to a small
 * triangular factor, on which Hestenes' one-sided Jacobi converges in a few sweeps.
 * Singular values are accurate to a few eps * s[0] in absolute terms (and often far
 * better in relative terms). Throws LinearAlgebraError if Jacobi fails to converge.
 */
export function svd(a: DenseMatrix): SvdResult {
  requireDense('a', a);
  requireFiniteData('a', a);
  const m = a.rows, n = a.cols, k = Math.min(m, n);
  if (k === 0) return { u: new DenseMatrix(m, 0), s: new Float64Array(0), vt: new DenseMatrix(0, n) };
  if (m >= n) {
    const { ut, s, vt } = svdTall(columnRows(a), m, n);
    return { u: new DenseMatrix(k, m, ut).transpose(), s, vt: new DenseMatrix(k, n, vt) };
  }
  // Wide: Aᵀ = U' Σ V'ᵀ is tall, and its column-rows are the rows of A (a plain copy).
  // Then A = V' Σ U'ᵀ: U = V', Vᵀ = U'ᵀ.
  const { ut, s, vt } = svdTall(new Float64Array(a.data), n, m);
  return { u: new DenseMatrix(k, m, vt).transpose(), s, vt: new DenseMatrix(k, n, ut) };
}

/**
 * Minimum-norm least-squares solution of min ||A x - b|| via the SVD [GVL 5.5.1]:
 * x = sum over s_i > rcond * s_0 of (u_iᵀ b / s_i) v_i. Singular values <= rcond * s[0]
 * count as zero (default rcond = eps * max(m, n), numpy's default). Returns the rank
 * used and the singular values.
 */
export function lstsq(a: DenseMatrix, b: Float64Array, rcond?: number): { x: Float64Array; rank: number; s: Float64Array } {
  requireDense('a', a);
  requireVector('b', b, a.rows);
  const m = a.rows, n = a.cols;
  const rc = rcond ?? EPS * Math.max(m, n);
  if (typeof rc !== 'number' || !(rc >= 0) || !Number.isFinite(rc)) {
    throw new InvalidArgumentError('rcond', 'a finite number >= 0', `got ${String(rcond)}`);
  }
  for (let i = 0; i < m; i++) {
    if (!Number.isFinite(b[i])) throw new InvalidArgumentError('b', 'finite values', `element ${i} is ${b[i]}`);
  }
  const { u, s, vt } = svd(a);
  const k = s.length;
  const x = new Float64Array(n);
  const cutoff = k > 0 ? rc * s[0] : 0;
  let rank = 0;
  while (rank < k && s[rank] > cutoff) rank++;
  if (rank === 0) return { x, rank, s };
  // c = U_rᵀ b, row-wise over U so the access stays contiguous.
  const c = new Float64Array(rank);
  const ud = u.data;
  for (let i = 0; i < m; i++) {
    const bi = b[i];
    if (bi === 0) continue;
    const o = i * k;
    for (let j = 0; j < rank; j++) c[j] += ud[o + j] * bi;
  }
  const vd = vt.data;
  for (let j = 0; j < rank; j++) {
    const f = c[j] / s[j];
    const o = j * n;
    for (let i = 0; i < n; i++) x[i] += f * vd[o + i];
  }
  return { x, rank, s };
}

/* ------------------------------------------------------------------------------------ */
/* Triangular, Cholesky and LU solves                                                    */
/* ------------------------------------------------------------------------------------ */

function leadingOrder(r: DenseMatrix, n: number | undefined): number {
  const maxN = Math.min(r.rows, r.cols);
  if (n === undefined) return maxN;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > maxN) {
    throw new InvalidArgumentError('n', `an integer in [0, ${maxN}]`, `got ${String(n)}`);
  }
  return n;
}

/**
 * Solves R x = b by back substitution [GVL Algorithm 3.1.2] for the leading n x n block of
 * the upper-triangular (or trapezoidal) r; n defaults to min(rows, cols). Entries below
 * the diagonal are ignored. Throws LinearAlgebraError on a zero diagonal.
 */
export function solveUpperTriangular(r: DenseMatrix, b: Float64Array, n?: number): Float64Array {
  requireDense('r', r);
  const nn = leadingOrder(r, n);
  requireVector('b', b, nn);
  const ld = r.cols, d = r.data;
  const x = new Float64Array(b);
  for (let i = nn - 1; i >= 0; i--) {
    const o = i * ld;
    const rii = d[o + i];
    if (rii === 0) throw new LinearAlgebraError(`solveUpperTriangular: R[${i}, ${i}] is zero`);
    let sum = x[i];
    for (let j = i + 1; j < nn; j++) sum -= d[o + j] * x[j];
    x[i] = sum / rii;
  }
  return x;
}

/**
 * Solves Rᵀ x = b (a lower-triangular system) by forward substitution for the leading
 * n x n block of upper-triangular r. Column-oriented [GVL Algorithm 3.1.3]: once x_i is
 * known it is eliminated from the rest using row i of R, which is contiguous.
 */
export function solveUpperTriangularTransposed(r: DenseMatrix, b: Float64Array, n?: number): Float64Array {
  requireDense('r', r);
  const nn = leadingOrder(r, n);
  requireVector('b', b, nn);
  const ld = r.cols, d = r.data;
  const x = new Float64Array(b);
  for (let i = 0; i < nn; i++) {
    const o = i * ld;
    const rii = d[o + i];
    if (rii === 0) throw new LinearAlgebraError(`solveUpperTriangularTransposed: R[${i}, ${i}] is zero`);
    const xi = (x[i] /= rii);
    if (xi !== 0) for (let j = i + 1; j < nn; j++) x[j] -= d[o + j] * xi;
  }
  return x;
}

/**
 * Cholesky factor L (lower triangular, L Lᵀ = A) of a symmetric positive definite A, by
 * the row-oriented (dot-product) form of [GVL Algorithm 4.2.1]: L[i][j] is a dot product
 * of the contiguous rows i and j of L. Only the lower triangle of A is read. Returns null
 * when a pivot is not positive (A is not numerically positive definite).
 */
export function cholesky(a: DenseMatrix): DenseMatrix | null {
  requireDense('a', a);
  const n = requireSquare('a', a);
  const ad = a.data;
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const oi = i * n;
    for (let j = 0; j < i; j++) {
      const oj = j * n;
      l[oi + j] = (ad[oi + j] - dot(l, oi, l, oj, j)) / l[oj + j];
    }
    let d = ad[oi + i];
    for (let c = 0; c < i; c++) d -= l[oi + c] * l[oi + c];
    if (!(d > 0) || !Number.isFinite(d)) return null; // also catches NaN
    l[oi + i] = Math.sqrt(d);
  }
  return new DenseMatrix(n, n, l);
}

/** Solves A x = b given L = cholesky(A): L y = b, then Lᵀ x = y [GVL 4.2.5]. */
export function choleskySolve(l: DenseMatrix, b: Float64Array): Float64Array {
  requireDense('l', l);
  const n = requireSquare('l', l);
  requireVector('b', b, n);
  const d = l.data;
  const x = new Float64Array(b);
  // Forward: L y = b, row-oriented (dot products with rows of L).
  for (let i = 0; i < n; i++) {
    const o = i * n;
    const lii = d[o + i];
    if (lii === 0) throw new LinearAlgebraError(`choleskySolve: L[${i}, ${i}] is zero`);
    x[i] = (x[i] - dot(d, o, x, 0, i)) / lii;
  }
  // Backward: Lᵀ x = y, column-oriented (Lᵀ's column i is L's contiguous row i).
  for (let i = n - 1; i >= 0; i--) {
    const o = i * n;
    const xi = (x[i] /= d[o + i]);
    if (xi !== 0) for (let j = 0; j < i; j++) x[j] -= d[o + j] * xi;
  }
  return x;
}

/**
 * Solves A x = b for square A by Gaussian elimination with partial pivoting
 * [GVL Algorithm 3.4.1], PA = LU, working on a copy; row swaps and row updates are
 * contiguous in row-major storage. Throws LinearAlgebraError when a pivot is exactly zero
 * (A singular) or the solution overflows.
 */
export function solve(a: DenseMatrix, b: Float64Array): Float64Array {
  requireDense('a', a);
  const n = requireSquare('a', a);
  requireVector('b', b, n);
  const lu = new Float64Array(a.data);
  const x = new Float64Array(b);
  for (let k = 0; k < n; k++) {
    let p = k;
    let pmax = Math.abs(lu[k * n + k]);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(lu[i * n + k]);
      if (v > pmax) {
        pmax = v;
        p = i;
      }
    }
    if (pmax === 0 || Number.isNaN(pmax)) throw new LinearAlgebraError(`solve: matrix is singular (zero pivot in column ${k})`);
    const ok = k * n;
    if (p !== k) {
      const op = p * n;
      for (let j = k; j < n; j++) {
        const t = lu[ok + j];
        lu[ok + j] = lu[op + j];
        lu[op + j] = t;
      }
      // Columns < k hold multipliers of rows already eliminated; solving on the fly
      // (L y = P b applied as we go) means they are never needed again, so skip them.
      const t = x[k];
      x[k] = x[p];
      x[p] = t;
    }
    const piv = lu[ok + k];
    const xk = x[k];
    for (let i = k + 1; i < n; i++) {
      const oi = i * n;
      const f = lu[oi + k] / piv;
      if (f === 0) continue;
      for (let j = k + 1; j < n; j++) lu[oi + j] -= f * lu[ok + j];
      x[i] -= f * xk;
    }
  }
  // Back substitution with U.
  for (let i = n - 1; i >= 0; i--) {
    const o = i * n;
    x[i] = (x[i] - dot(lu, o + i + 1, x, i + 1, n - i - 1)) / lu[o + i];
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(x[i])) throw new LinearAlgebraError('solve: matrix is numerically singular (solution overflowed)');
  }
  return x;
}

/* ------------------------------------------------------------------------------------ */
/* Products                                                                              */
/* ------------------------------------------------------------------------------------ */

/** C = A B, in i-k-j order so the inner loop runs along contiguous rows of B and C. */
export function matmul(a: DenseMatrix, b: DenseMatrix): DenseMatrix {
  requireDense('a', a);
  requireDense('b', b);
  if (b.rows !== a.cols) throw new ShapeMismatchError('b', `${a.cols} rows (a is ${a.rows} x ${a.cols})`, `${b.rows} x ${b.cols}`);
  const m = a.rows, n = a.cols, p = b.cols;
  const ad = a.data, bd = b.data;
  const c = new Float64Array(m * p);
  for (let i = 0; i < m; i++) {
    const oc = i * p;
    for (let k = 0; k < n; k++) {
      const aik = ad[i * n + k];
      if (aik === 0) continue;
      const ob = k * p;
      for (let j = 0; j < p; j++) c[oc + j] += aik * bd[ob + j];
    }
  }
  return new DenseMatrix(m, p, c);
}

/** C = Aᵀ B without forming Aᵀ: a sum of outer products of rows of A and rows of B. */
export function matmulTransA(a: DenseMatrix, b: DenseMatrix): DenseMatrix {
  requireDense('a', a);
  requireDense('b', b);
  if (b.rows !== a.rows) throw new ShapeMismatchError('b', `${a.rows} rows (a is ${a.rows} x ${a.cols})`, `${b.rows} x ${b.cols}`);
  const m = a.rows, n = a.cols, p = b.cols;
  const ad = a.data, bd = b.data;
  const c = new Float64Array(n * p);
  for (let k = 0; k < m; k++) {
    const oa = k * n, ob = k * p;
    for (let i = 0; i < n; i++) {
      const aki = ad[oa + i];
      if (aki === 0) continue;
      const oc = i * p;
      for (let j = 0; j < p; j++) c[oc + j] += aki * bd[ob + j];
    }
  }
  return new DenseMatrix(n, p, c);
}
