/**
 * MINPACK's Levenberg–Marquardt kernels (enorm, qrfac, qrsolv, lmpar) as scipy 1.17's C
 * translation (scipy/optimize/src/minpack.c) runs them, after J. J. Moré, "The
 * Levenberg–Marquardt algorithm: implementation and theory", LNM 630 (1978) [Moré]. The
 * order of operations is MINPACK's, so iterates agree with scipy's method='lm' bit for bit.
 * Matrices are column-major, (i, j) at a[i + j * ld]; R lives in the upper triangle and
 * qrsolv's Sᵀ in the strict lower triangle of the same array.
 */

/** MINPACK's dpmpar(1) and dpmpar(2): machine epsilon, the smallest positive normal double. */
export const EPSMCH = 2.220446049250313e-16, DWARF = 2.2250738585072014e-308;
/** enorm's bounds of the intermediate components (scipy's C: rgiant = 2^63.5). */
const RGIANT = 2 ** 63 * Math.SQRT2, RDWARF = 0.5 / RGIANT;
/** lmpar accepts ||D x|| within P1 · delta [Moré §5], after at most LMPAR_MAX_ITER iterations. */
const P1 = 0.1, P001 = 1e-3, LMPAR_MAX_ITER = 10;
/** qrfac recomputes a downdated column norm once P05 (norm / last exact norm)² <= eps. */
const P05 = 0.05;

/** Euclidean norm of x[start .. start+len), without overflow or destructive underflow (MINPACK enorm). */
export function enorm(x: ArrayLike<number>, start = 0, len = x.length - start): number {
  let s1 = 0, s2 = 0, s3 = 0, x1max = 0, x3max = 0;
  const agiant = RGIANT / len;
  for (let i = start; i < start + len; i++) {
    const xabs = Math.abs(x[i]);
    if (xabs > RDWARF && xabs < agiant) {
      s2 += xabs * xabs; // intermediate components: plain sum of squares
    } else if (xabs > RDWARF) {
      // large components, scaled by the largest so far
      if (xabs > x1max) { const r = x1max / xabs; s1 = 1 + s1 * (r * r); x1max = xabs; } else { const r = xabs / x1max; s1 += r * r; }
    } else if (xabs > x3max) {
      const r = x3max / xabs; s3 = 1 + s3 * (r * r); x3max = xabs; // small components
    } else if (xabs !== 0) {
      const r = xabs / x3max; s3 += r * r;
    }
  }
  if (s1 !== 0) return x1max * Math.sqrt(s1 + (s2 / x1max) / x1max);
  if (s2 !== 0) return s2 >= x3max ? Math.sqrt(s2 * (1 + (x3max / s2) * (x3max * s3))) : Math.sqrt(x3max * ((s2 / x3max) + (x3max * s3)));
  return x3max * Math.sqrt(s3);
}

/** A P = Q R: column j of A P is column ipvt[j] of A; rdiag = diag(R); acnorm = A's column norms. */
export interface QrFactors { ipvt: Int32Array; rdiag: Float64Array; acnorm: Float64Array }

/**
 * Householder QR with column pivoting (MINPACK qrfac, after LINPACK dqrdc), in place on
 * the m x n column-major `a` (ld = m, m >= n): R's strict upper triangle and the
 * Householder vectors u (with I - u uᵀ / u_j) end up in `a`, R's diagonal in rdiag.
 */
export function qrfac(a: Float64Array, m: number, n: number): QrFactors {
  const ipvt = new Int32Array(n), rdiag = new Float64Array(n), acnorm = new Float64Array(n), wa = new Float64Array(n);
  for (let j = 0; j < n; j++) { acnorm[j] = rdiag[j] = wa[j] = enorm(a, j * m, m); ipvt[j] = j; }
  for (let j = 0; j < Math.min(m, n); j++) {
    let kmax = j;
    for (let k = j; k < n; k++) if (rdiag[k] > rdiag[kmax]) kmax = k;
    if (kmax !== j) swapColumns(a, m, j, kmax, rdiag, wa, ipvt);
    const cj = j * m;
    let ajnorm = enorm(a, cj + j, m - j);
    if (ajnorm !== 0) {
      if (a[cj + j] < 0) ajnorm = -ajnorm;
      for (let i = j; i < m; i++) a[cj + i] /= ajnorm;
      a[cj + j] += 1;
      for (let k = j + 1; k < n; k++) {
        applyReflector(a, m, j, k);
        if (rdiag[k] !== 0) downdateNorm(a, m, j, k, rdiag, wa);
      }
    }
    rdiag[j] = -ajnorm;
  }
  return { ipvt, rdiag, acnorm };
}

function swapColumns(a: Float64Array, m: number, j: number, k: number, rdiag: Float64Array, wa: Float64Array, ipvt: Int32Array): void {
  for (let i = 0; i < m; i++) { const t = a[i + m * j]; a[i + m * j] = a[i + m * k]; a[i + m * k] = t; }
  rdiag[k] = rdiag[j]; wa[k] = wa[j];
  const p = ipvt[j]; ipvt[j] = ipvt[k]; ipvt[k] = p;
}

/** Column k of a ← (I - u uᵀ / u_j) column k, u = column j from row j on. */
function applyReflector(a: Float64Array, m: number, j: number, k: number): void {
  const cj = j * m, ck = k * m;
  let sum = 0;
  for (let i = j; i < m; i++) sum += a[cj + i] * a[ck + i];
  const temp = sum / a[cj + j];
  for (let i = j; i < m; i++) a[ck + i] -= temp * a[cj + i];
}

/** The norm of column k below row j, downdated; recomputed when cancellation made it inaccurate. */
function downdateNorm(a: Float64Array, m: number, j: number, k: number, rdiag: Float64Array, wa: Float64Array): void {
  const temp = a[j + m * k] / rdiag[k];
  rdiag[k] *= Math.sqrt(Math.max(0, 1 - temp * temp));
  const ratio = rdiag[k] / wa[k];
  if (P05 * (ratio * ratio) <= EPSMCH) rdiag[k] = wa[k] = enorm(a, j + 1 + m * k, m - j - 1);
}

/**
 * Qᵀ f (its first n components) from qrfac's reflectors, then R's diagonal is put back
 * into `a` so that its upper triangle is R (lmder's loop 90–130).
 */
export function applyQt(a: Float64Array, m: number, n: number, f: Float64Array, rdiag: Float64Array): Float64Array {
  const w = new Float64Array(f), qtf = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const cj = j * m;
    if (a[cj + j] !== 0) {
      let sum = 0;
      for (let i = j; i < m; i++) sum += a[cj + i] * w[i];
      const temp = -sum / a[cj + j];
      for (let i = j; i < m; i++) w[i] += a[cj + i] * temp;
    }
    a[cj + j] = rdiag[j]; qtf[j] = w[j];
  }
  return qtf;
}

/**
 * Solves A x ≈ b, D x ≈ 0 in the least-squares sense given A P = Q R and qtb = (Qᵀ b)[0..n)
 * (MINPACK qrsolv, [Moré §3]): Givens rotations eliminate D, giving Pᵀ(AᵀA + DD)P = SᵀS;
 * Sᵀ is left in r's strict lower triangle, S's diagonal in sdiag.
 */
export function qrsolv(n: number, r: Float64Array, ld: number, ipvt: Int32Array, diag: Float64Array, qtb: Float64Array, x: Float64Array, sdiag: Float64Array): void {
  const wa = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    for (let i = j; i < n; i++) r[i + j * ld] = r[j + i * ld];
    x[j] = r[j + j * ld]; wa[j] = qtb[j];
  }
  for (let j = 0; j < n; j++) {
    const l = ipvt[j];
    if (diag[l] !== 0) eliminateDiagonalRow(n, r, ld, j, diag[l], wa, sdiag);
    sdiag[j] = r[j + j * ld]; r[j + j * ld] = x[j];
  }
  let nsing = n;
  for (let j = 0; j < n; j++) {
    if (sdiag[j] === 0 && nsing === n) nsing = j;
    if (nsing < n) wa[j] = 0;
  }
  for (let j = nsing - 1; j >= 0; j--) {
    let sum = 0;
    for (let i = j + 1; i < nsing; i++) sum += r[i + j * ld] * wa[i];
    wa[j] = (wa[j] - sum) / sdiag[j];
  }
  for (let j = 0; j < n; j++) x[ipvt[j]] = wa[j];
}

/** Rotates row j of D (value dj) into the triangle S, updating (Qᵀb, 0) alongside. */
function eliminateDiagonalRow(n: number, r: Float64Array, ld: number, j: number, dj: number, wa: Float64Array, sdiag: Float64Array): void {
  for (let k = j; k < n; k++) sdiag[k] = 0;
  sdiag[j] = dj;
  let qtbpj = 0;
  for (let k = j; k < n; k++) {
    if (sdiag[k] === 0) continue;
    const rkk = r[k + k * ld];
    let cos: number, sin: number;
    if (Math.abs(rkk) < Math.abs(sdiag[k])) {
      const cotan = rkk / sdiag[k];
      sin = 0.5 / Math.sqrt(0.25 + 0.25 * (cotan * cotan)); cos = sin * cotan;
    } else {
      const tan = sdiag[k] / rkk;
      cos = 0.5 / Math.sqrt(0.25 + 0.25 * (tan * tan)); sin = cos * tan;
    }
    r[k + k * ld] = cos * rkk + sin * sdiag[k];
    const temp = cos * wa[k] + sin * qtbpj;
    qtbpj = -sin * wa[k] + cos * qtbpj; wa[k] = temp;
    for (let i = k + 1; i < n; i++) {
      const t = cos * r[i + k * ld] + sin * sdiag[i];
      sdiag[i] = -sin * r[i + k * ld] + cos * sdiag[i]; r[i + k * ld] = t;
    }
  }
}

/** λ and x with (AᵀA + λ DD) x = Aᵀb, ||D x|| ≈ delta (λ = 0: the Gauss–Newton step). */
export interface LmparResult { par: number; x: Float64Array }

/**
 * The Levenberg–Marquardt parameter (MINPACK lmpar, [Moré §5]): λ = 0 when the
 * Gauss–Newton step fits in the trust region (||D x|| <= 1.1 delta); otherwise a
 * safeguarded Newton iteration on φ(λ) = ||D x(λ)|| - delta inside [parl, paru] until
 * |φ| <= 0.1 delta. `par` is the previous λ, the starting guess.
 */
export function lmpar(n: number, r: Float64Array, ld: number, ipvt: Int32Array, diag: Float64Array, qtb: Float64Array, delta: number, par: number): LmparResult {
  const x = gaussNewtonStep(n, r, ld, ipvt, qtb);
  const dx = new Float64Array(n), sdiag = new Float64Array(n), sqrtPd = new Float64Array(n);
  for (let j = 0; j < n; j++) dx[j] = diag[j] * x[j];
  let dxnorm = enorm(dx);
  let fp = dxnorm - delta;
  if (fp <= P1 * delta) return { par: 0, x };

  let singular = false;
  for (let j = 0; j < n; j++) if (r[j + j * ld] === 0) singular = true;
  // With R of full rank, the Newton step from λ = 0 bounds the root from below [Moré (5.5)].
  let parl = singular ? 0 : newtonCorrection(n, r, ld, ipvt, diag, dx, dxnorm, fp, delta, null);
  // ||(RPᵀD⁻¹)ᵀ Qᵀb|| / delta bounds it from above [Moré (5.6)].
  const grad = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let sum = 0;
    for (let i = 0; i <= j; i++) sum += r[i + j * ld] * qtb[i];
    grad[j] = sum / diag[ipvt[j]];
  }
  const gnorm = enorm(grad);
  let paru = gnorm / delta;
  if (paru === 0) paru = DWARF / Math.min(delta, P1);

  par = Math.min(Math.max(par, parl), paru);
  if (par === 0) par = gnorm / dxnorm;
  for (let iter = 1; ; iter++) {
    if (par === 0) par = Math.max(DWARF, P001 * paru);
    const s = Math.sqrt(par);
    for (let j = 0; j < n; j++) sqrtPd[j] = s * diag[j];
    qrsolv(n, r, ld, ipvt, sqrtPd, qtb, x, sdiag);
    for (let j = 0; j < n; j++) dx[j] = diag[j] * x[j];
    dxnorm = enorm(dx);
    const previous = fp;
    fp = dxnorm - delta;
    if (Math.abs(fp) <= P1 * delta || (parl === 0 && fp <= previous && previous < 0) || iter === LMPAR_MAX_ITER) return { par, x };
    const parc = newtonCorrection(n, r, ld, ipvt, diag, dx, dxnorm, fp, delta, sdiag);
    if (fp > 0) parl = Math.max(parl, par);
    if (fp < 0) paru = Math.min(paru, par);
    par = Math.max(parl, par + parc);
  }
}

/** The (least-squares, if R is singular) solution of R z = qtb, permuted back: x = P z. */
function gaussNewtonStep(n: number, r: Float64Array, ld: number, ipvt: Int32Array, qtb: Float64Array): Float64Array {
  const w = new Float64Array(n);
  let nsing = n;
  for (let j = 0; j < n; j++) {
    w[j] = qtb[j];
    if (r[j + j * ld] === 0 && nsing === n) nsing = j;
    if (nsing < n) w[j] = 0;
  }
  for (let j = nsing - 1; j >= 0; j--) {
    const temp = (w[j] /= r[j + j * ld]);
    for (let i = 0; i < j; i++) w[i] -= r[i + j * ld] * temp;
  }
  const x = new Float64Array(n);
  for (let j = 0; j < n; j++) x[ipvt[j]] = w[j];
  return x;
}

/**
 * Newton's correction to λ for φ(λ) = ||D x|| - delta, (φ/delta) / ||T⁻ᵀ Pᵀ D (D x)/||D x|| ||²
 * [Moré (5.4)] with T = R (sdiag null, the Gauss–Newton point) or T = S (sdiag given).
 */
function newtonCorrection(n: number, r: Float64Array, ld: number, ipvt: Int32Array, diag: Float64Array, dx: Float64Array, dxnorm: number, fp: number, delta: number, sdiag: Float64Array | null): number {
  const w = new Float64Array(n);
  for (let j = 0; j < n; j++) { const l = ipvt[j]; w[j] = diag[l] * (dx[l] / dxnorm); }
  if (sdiag === null) {
    // Rᵀ w' = w by forward substitution on R's upper triangle.
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let i = 0; i < j; i++) sum += r[i + j * ld] * w[i];
      w[j] = (w[j] - sum) / r[j + j * ld];
    }
  } else {
    // Sᵀ w' = w with Sᵀ in the strict lower triangle, its diagonal in sdiag.
    for (let j = 0; j < n; j++) {
      const temp = (w[j] /= sdiag[j]);
      for (let i = j + 1; i < n; i++) w[i] -= r[i + j * ld] * temp;
    }
  }
  const temp = enorm(w);
  return ((fp / delta) / temp) / temp;
}
