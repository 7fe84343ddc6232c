/**
 * Trust-region subproblems of the trf driver, after scipy 1.17.1's _lsq/common.py
 * (solve_lsq_trust_region, solve_trust_region_2d), the 2-D subspace step and the
 * reflective step selection (select_step) of _lsq/trf.py.
 * Pure host functions in f64: the large products are done by the caller and passed in.
 *
 * References:
 * - [More] J. J. Moré, "The Levenberg-Marquardt Algorithm: Implementation and Theory",
 *   Numerical Analysis, ed. G. A. Watson, Lecture Notes in Mathematics 630, Springer 1977.
 * - [STIR] M. A. Branch, T. F. Coleman & Y. Li, "A Subspace, Interior, and Conjugate
 *   Gradient Method for Large-Scale Bound-Constrained Minimization Problems",
 *   SIAM J. Sci. Comput. 21(1), 1999 (the 2-D subspace approach).
 */
import { DenseMatrix } from '../linear/dense-matrix.js';
import { norm2Range, qr } from '../linear/dense.js';
import type { LinearOperator } from '../linear/operator.js';
import {
  EPS, buildQuadratic1d, dot, evaluateQuadratic, inBounds, intersectTrustRegion, minimizeQuadratic1d, norm, stepSizeToBound,
} from './common.js';
import { negated, product, scaled, sum } from './common.js';

/**
 * min ||J p + f|| subject to ||p|| <= delta from one thin SVD J = U diag(s) Vᵀ [More]:
 * the Gauss–Newton step when J has full column rank and the step fits, else the
 * Levenberg–Marquardt step p(α) = −V (s ∘ uf)/(s² + α) with ||p(α)|| ≈ delta, α found by
 * Moré's safeguarded Newton iteration on φ(α) = ||p(α)|| − delta (stopping at
 * |φ| < rtol·delta), then rescaled onto the boundary.
 * @param n variables; @param m residuals (scipy passes the un-augmented m, which decides
 *   whether a Gauss–Newton step is tried: only when m >= n)
 * @param uf Uᵀ f (length k = s.length); @param s singular values, descending
 * @param vt Vᵀ, k x n
 * @param initialAlpha a warm start (the previous α); null: chosen from the bounds on α
 */
export function solveLsqTrustRegion(
  n: number, m: number, uf: Float64Array, s: Float64Array, vt: DenseMatrix, delta: number,
  initialAlpha: number | null = null, rtol = 0.01, maxIter = 10,
): { p: Float64Array; alpha: number; iterations: number } {
  const k = s.length;
  const suf = s.map((si, i) => si * uf[i]);
  // Rank test: s_min > eps · m · s_max (m >= n only; a wide J is never full column rank).
  const fullRank = m >= n && k === n && s[k - 1] > EPS * m * s[0];
  if (fullRank) {
    const p = combineRows(vt, uf.map((u, i) => -u / s[i]), n);
    if (norm(p) <= delta) return { p, alpha: 0, iterations: 0 };
  }

  const phiAndDerivative = (alpha: number): [number, number] => {
    let pp = 0, d3 = 0;
    for (let i = 0; i < k; i++) {
      const denom = s[i] * s[i] + alpha;
      pp += (suf[i] / denom) ** 2;
      d3 += suf[i] ** 2 / denom ** 3;
    }
    const pNorm = Math.sqrt(pp);
    return [pNorm - delta, -d3 / pNorm];
  };

  let alphaUpper = norm(suf) / delta;
  let alphaLower = 0;
  if (fullRank) {
    const [phi, phiPrime] = phiAndDerivative(0);
    alphaLower = -phi / phiPrime;
  }
  const restart = () => Math.max(0.001 * alphaUpper, Math.sqrt(alphaLower * alphaUpper));
  let alpha = initialAlpha === null || (!fullRank && initialAlpha === 0) ? restart() : initialAlpha;

  let it = 0;
  for (; it < maxIter; it++) {
    if (alpha < alphaLower || alpha > alphaUpper) alpha = restart();
    const [phi, phiPrime] = phiAndDerivative(alpha);
    if (phi < 0) alphaUpper = alpha;
    const ratio = phi / phiPrime;
    alphaLower = Math.max(alphaLower, alpha - ratio);
    alpha -= ((phi + delta) * ratio) / delta;
    if (Math.abs(phi) < rtol * delta) break;
  }
  if (it === maxIter) it = maxIter - 1; // scipy reports it + 1 with `it` the last loop index

  const p = combineRows(vt, suf.map((v, i) => -v / (s[i] * s[i] + alpha)), n);
  // Put p exactly on the boundary so that rounding never leaves it outside the region.
  const scale = delta / norm(p);
  for (let j = 0; j < n; j++) p[j] *= scale;
  return { p, alpha, iterations: it + 1 };
}

/** Σ_i c_i · (row i of vt) = V c. */
function combineRows(vt: DenseMatrix, c: ArrayLike<number>, n: number): Float64Array {
  const p = new Float64Array(n);
  for (let i = 0; i < c.length; i++) {
    const ci = c[i], o = i * n;
    if (ci !== 0) for (let j = 0; j < n; j++) p[j] += ci * vt.data[o + j];
  }
  return p;
}

/**
 * min ½ pᵀBp + gᵀp subject to ||p|| <= delta for a symmetric 2 x 2 B (row-major
 * [b00, b01, b10, b11]; the upper triangle is used, as scipy's cho_factor). When B is
 * positive definite and the Newton step −B⁻¹g fits, it is the answer (newtonStep true).
 * Otherwise the minimizer lies on the circle p = delta·(2t/(1+t²), (1−t²)/(1+t²)), where
 * the stationarity condition is scipy's quartic in t; the real roots are all candidates
 * and the one of least model value wins. The point t = ±∞, p = (0, −delta), which the
 * quartic only reaches as its leading coefficient vanishes, is a candidate too (a tie
 * keeps the roots' candidate), so a root lost to rounding cannot leave us without one.
 */
export function solveTrustRegion2d(
  B: ArrayLike<number>, g: ArrayLike<number>, delta: number,
): { p: Float64Array; newtonStep: boolean } {
  const b00 = B[0], b01 = B[1], b11 = B[3];
  const newton = choleskySolve2(b00, b01, b11, g[0], g[1]);
  if (newton && newton[0] * newton[0] + newton[1] * newton[1] <= delta * delta) {
    return { p: Float64Array.from(newton), newtonStep: true };
  }
  const d2 = delta * delta;
  const a = b00 * d2, b = b01 * d2, c = b11 * d2;
  const d = g[0] * delta, f = g[1] * delta;
  const roots = realPolynomialRoots([-b + d, 2 * (a - c + f), 6 * b, 2 * (-a + c + f), -b - d]);
  const value = (p0: number, p1: number) =>
    0.5 * (p0 * (B[0] * p0 + B[1] * p1) + p1 * (B[2] * p0 + B[3] * p1)) + g[0] * p0 + g[1] * p1;
  let best: [number, number] = [0, -delta];
  let bestValue = Infinity;
  for (const t of roots) {
    const p = circlePoint(t, delta);
    const v = value(p[0], p[1]);
    if (v < bestValue) { best = p; bestValue = v; }
  }
  if (value(0, -delta) < bestValue) best = [0, -delta];
  return { p: Float64Array.from(best), newtonStep: false };
}

/** −B⁻¹g by the Cholesky factor UᵀU of [b00 b01; b01 b11], or null when B is not positive definite. */
function choleskySolve2(b00: number, b01: number, b11: number, g0: number, g1: number): [number, number] | null {
  if (!(b00 > 0)) return null;
  const u00 = Math.sqrt(b00), u01 = b01 / u00;
  const r = b11 - u01 * u01;
  if (!(r > 0)) return null;
  const u11 = Math.sqrt(r);
  const y0 = -g0 / u00;
  const y1 = (-g1 - u01 * y0) / u11;
  const p1 = y1 / u11;
  return [(y0 - u01 * p1) / u00, p1];
}

/** delta·(2t/(1+t²), (1−t²)/(1+t²)), written in 1/t for |t| > 1 so that t² never overflows. */
function circlePoint(t: number, delta: number): [number, number] {
  if (Math.abs(t) <= 1) {
    const q = 1 + t * t;
    return [(delta * 2 * t) / q, (delta * (1 - t * t)) / q];
  }
  const u = 1 / t, q = u * u + 1;
  return [(delta * 2 * u) / q, (delta * (u * u - 1)) / q];
}

/**
 * The real roots of c[0] tᵈ + c[1] tᵈ⁻¹ + ... + c[d] (d <= 4 in use; any degree works),
 * ascending. Like numpy.roots, exactly-zero leading coefficients lower the degree and
 * exactly-zero trailing ones give roots at 0. Roots are isolated between the real roots
 * of the derivative (the polynomial is monotone there, so each sign change brackets
 * exactly one root) and found by bracketed Newton with bisection fallback, to full
 * precision. A critical point where the polynomial vanishes to rounding level is kept as
 * a (multiple) root.
 */
export function realPolynomialRoots(coefficients: ArrayLike<number>): number[] {
  let lo = 0, hi = coefficients.length;
  while (lo < hi && coefficients[lo] === 0) lo++;
  let zeros = 0;
  while (hi > lo && coefficients[hi - 1] === 0) { hi--; zeros++; }
  const c = Array.from(coefficients).slice(lo, hi);
  const roots: number[] = new Array<number>(hi > lo ? zeros : 0).fill(0);
  const degree = c.length - 1;
  if (degree >= 1) roots.push(...nonzeroConstantRoots(c));
  return roots.sort((x, y) => x - y);
}

function nonzeroConstantRoots(c: number[]): number[] {
  const degree = c.length - 1;
  if (degree === 1) return [-c[1] / c[0]];
  if (degree === 2) return quadraticRoots(c[0], c[1], c[2]);
  const derivative = c.slice(0, degree).map((v, i) => v * (degree - i));
  const critical = realPolynomialRoots(derivative);
  // Cauchy's bound: every root has |t| < 1 + max |c_i / c_0|.
  let bound = 0;
  for (let i = 1; i <= degree; i++) bound = Math.max(bound, Math.abs(c[i] / c[0]));
  bound = Math.min(1 + bound, Number.MAX_VALUE);
  const points = [-bound, ...critical.filter((t) => Math.abs(t) < bound), bound];
  const values = points.map((t) => horner(c, t));
  const roots: number[] = [];
  // A critical point where p vanishes (to rounding) is a multiple root.
  for (let i = 1; i + 1 < points.length; i++) if (nearZero(c, points[i], values[i])) roots.push(points[i]);
  // Between consecutive critical points p is monotone: a sign change brackets one root.
  for (let i = 0; i + 1 < points.length; i++) {
    const pa = values[i], pb = values[i + 1];
    if (pa !== 0 && pb !== 0 && Math.sign(pa) !== Math.sign(pb)) roots.push(bracketedRoot(c, points[i], points[i + 1], pa));
  }
  roots.sort((x, y) => x - y);
  return dedupe(roots);
}

/** Roots of a t² + b t + c (a ≠ 0) without cancellation; none when complex. */
function quadraticRoots(a: number, b: number, c: number): number[] {
  const disc = b * b - 4 * a * c;
  if (disc < 0) return [];
  const q = -0.5 * (b + (b >= 0 ? 1 : -1) * Math.sqrt(disc));
  if (q === 0) return [0, 0];
  return [q / a, c / q];
}

function horner(c: number[], t: number): number {
  let v = 0;
  for (const ci of c) v = v * t + ci;
  return v;
}

/** |p(t)| within the rounding error of Horner's rule at t. */
function nearZero(c: number[], t: number, value: number): boolean {
  let bound = 0;
  const at = Math.abs(t);
  for (const ci of c) bound = bound * at + Math.abs(ci);
  return Math.abs(value) <= 8 * c.length * EPS * bound;
}

/** The root of p in (a, b), where p(a) = pa and p(b) have opposite signs. */
function bracketedRoot(c: number[], a: number, b: number, pa: number): number {
  const dc = c.slice(0, c.length - 1).map((v, i) => v * (c.length - 1 - i));
  let x = 0.5 * a + 0.5 * b;
  for (let iter = 0; iter < 400; iter++) {
    const v = horner(c, x);
    if (v === 0) return x;
    if (Math.sign(v) === Math.sign(pa)) a = x;
    else b = x;
    let next = x - v / horner(dc, x);
    if (!(next > a && next < b)) next = 0.5 * a + 0.5 * b;
    if (next === x || next === a || next === b) return x;
    x = next;
  }
  return x;
}

function dedupe(sorted: number[]): number[] {
  return sorted.filter((t, i) => i === 0 || t !== sorted[i - 1]);
}

/**
 * The 1-D subproblem min ½ b t² + g t, |t| <= delta (the subspace degenerates to one
 * direction when n = 1).
 */
export function solveTrustRegion1d(b: number, g: number, delta: number): { p: number; newtonStep: boolean } {
  if (b > 0 && Math.abs(g / b) <= delta) return { p: -g / b, newtonStep: true };
  return { p: minimizeQuadratic1d(0.5 * b, g, -delta, delta).t, newtonStep: false };
}

/**
 * An orthonormal basis (columns, n-vectors) of span{g_h, gn_h}: the economic QR of the
 * n x 2 matrix [g_h gn_h] as scipy (two columns even when the vectors are parallel; one
 * when n = 1).
 */
export function subspaceBasis(gH: Float64Array, gnH: Float64Array): Float64Array[] {
  const n = gH.length;
  if (n < 2 || gnH.length !== n || !allFinite(gH) || !allFinite(gnH)) return subspaceBasisByQr(gH, gnH);
  return householderBasis2(gH, gnH);
}

/** The basis through linear/dense.ts's qr (which also reports non-finite input). */
function subspaceBasisByQr(gH: Float64Array, gnH: Float64Array): Float64Array[] {
  const n = gH.length;
  const a = new DenseMatrix(n, 2);
  for (let i = 0; i < n; i++) { a.data[2 * i] = gH[i]; a.data[2 * i + 1] = gnH[i]; }
  const { q } = qr(a);
  const k = q.cols;
  const basis: Float64Array[] = [];
  for (let j = 0; j < k; j++) {
    const col = new Float64Array(n);
    for (let i = 0; i < n; i++) col[i] = q.data[i * k + j];
    basis.push(col);
  }
  return basis;
}

/**
 * The thin Q of [c0 c1] (n >= 2, finite) with the arithmetic of linear/dense.ts's qr
 * operation for operation (Householder reflectors as LAPACK's dgeqr2/dlarfg, Q by backward
 * accumulation), so the basis is bit for bit the one qr gives, without its n x 2 matrix
 * copies and transposes: this runs once per trf iteration on vectors of length n.
 */
function householderBasis2(gH: Float64Array, gnH: Float64Array): Float64Array[] {
  const m = gH.length;
  const v0 = gH.slice(), v1 = gnH.slice();
  const tau0 = householderColumn(v0, 0);
  applyReflector(v0, 0, tau0, v1);
  const tau1 = householderColumn(v1, 1);
  const q0 = new Float64Array(m), q1 = new Float64Array(m);
  q0[0] = 1;
  q1[1] = 1;
  applyReflector(v1, 1, tau1, q1);
  applyReflector(v0, 0, tau0, q0);
  applyReflector(v0, 0, tau0, q1);
  return [q0, q1];
}

/**
 * Turns x = v[j..] into the reflector H = I − τ u uᵀ with H x = (β, 0, ..., 0): v[j] = β,
 * v[j+1..] = u[j+1..] (u[j] = 1 implicit); returns τ (0 when x[j+1..] = 0).
 */
function householderColumn(v: Float64Array, j: number): number {
  const m = v.length;
  const alpha = v[j];
  const xnorm = norm2Range(v, j + 1, m);
  if (xnorm === 0) return 0;
  const beta = -(alpha >= 0 ? 1 : -1) * Math.hypot(alpha, xnorm);
  const tau = (beta - alpha) / beta;
  const scal = 1 / (alpha - beta);
  for (let i = j + 1; i < m; i++) v[i] *= scal;
  v[j] = beta;
  return tau;
}

/** y[j..] −= τ (uᵀ y[j..]) u for the reflector u stored in v from j (u[j] = 1 implicit). */
function applyReflector(v: Float64Array, j: number, tau: number, y: Float64Array): void {
  if (tau === 0) return;
  const m = v.length;
  let w = y[j];
  for (let i = j + 1; i < m; i++) w += v[i] * y[i];
  w *= tau;
  if (w === 0) return;
  y[j] -= w;
  for (let i = j + 1; i < m; i++) y[i] -= w * v[i];
}


const allFinite = (a: Float64Array): boolean => {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
};

/**
 * The model ½ pᵀB_h p + g_hᵀp restricted to p = S q: B_S = (J_h S)ᵀ(J_h S) + Sᵀ diag(diag_h) S
 * (row-major k x k) and g_S = Sᵀ g_h. `JS` holds the columns J_h s_j.
 */
export function projectModel(
  S: Float64Array[], JS: Float64Array[], gH: Float64Array, diagH: Float64Array | null,
): { B: Float64Array; g: Float64Array } {
  const k = S.length;
  const B = new Float64Array(k * k), g = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    g[i] = dot(S[i], gH);
    for (let j = i; j < k; j++) {
      let v = dot(JS[i], JS[j]);
      if (diagH) v = addWeightedDot(v, S[i], diagH, S[j]);
      B[i * k + j] = B[j * k + i] = v;
    }
  }
  return { B, g };
}

/** v + Σ a_r w_r b_r, added in index order (a loop of its own, for V8: see the helpers below). */
function addWeightedDot(v: number, a: Float64Array, w: Float64Array, b: Float64Array): number {
  for (let r = 0; r < a.length; r++) v += a[r] * w[r] * b[r];
  return v;
}

/** The subspace step: p_h = S q with q solving the k-dimensional (k = 1 or 2) subproblem. */
export function solveSubspaceStep(S: Float64Array[], B: Float64Array, g: Float64Array, delta: number): Float64Array {
  const n = S[0].length;
  const q = S.length === 2 ? solveTrustRegion2d(B, g, delta).p : [solveTrustRegion1d(B[0], g[0], delta).p];
  const p = new Float64Array(n);
  for (let j = 0; j < S.length; j++) addScaled(p, S[j], q[j]);
  return p;
}

/** p += s t (a loop of its own, for V8: see the elementwise helpers below) */
function addScaled(p: Float64Array, s: Float64Array, t: number): void {
  for (let i = 0; i < p.length; i++) p[i] += s[i] * t;
}

/**
 * scipy's regularization of the LSMR Gauss–Newton solve: with the model's minimum value
 * along −g_h inside the region (a, b from build_quadratic_1d along −g_h), the damping
 * −value/delta² keeps the Gauss–Newton direction from exceeding the region by far when
 * J_h is ill-conditioned. 0 when g_h = 0 (no Cauchy direction).
 */
export function lsmrRegularization(a: number, b: number, gHNorm: number, delta: number): number {
  if (gHNorm === 0) return 0;
  const value = minimizeQuadratic1d(a, b, 0, delta / gHNorm).value;
  return -value / (delta * delta);
}


// Elementwise helpers as functions of their own (plain loops: TypedArray.prototype.map
// costs 15-20x a loop in V8; and a loop inline in a function called once per iteration
// gets that function compiled on stack and deoptimized after the loop on every call).



/** v with the components where hits ≠ 0 negated */
const reflected = (v: Float64Array, hits: Int8Array): Float64Array => {
  const out = new Float64Array(v.length);
  for (let i = 0; i < out.length; i++) out[i] = hits[i] !== 0 ? -v[i] : v[i];
  return out;
};

/** a t + b */
const scaledPlus = (a: Float64Array, t: number, b: Float64Array): Float64Array => {
  const out = new Float64Array(a.length);
  for (let i = 0; i < out.length; i++) out[i] = a[i] * t + b[i];
  return out;
};


/**
 * scipy's select_step [STIR]: the trust-region step when it stays feasible; otherwise the
 * best (by model value, C term included) of the step cut at the first bound and stepped
 * back by θ, the reflection of that step at the bound (minimized along the reflected
 * direction), and the scaled anti-gradient (Cauchy) step. p = d ∘ p_h is the trust-region
 * step, J_h the Jacobian in hat variables (only its products are used). Returns the step in
 * x and hat variables and the predicted reduction.
 */
export function selectStep(
  x: Float64Array, Jh: LinearOperator, diagH: Float64Array | null, gH: Float64Array, p: Float64Array, pH: Float64Array,
  d: Float64Array, delta: number, lb: Float64Array, ub: Float64Array, theta: number,
): { step: Float64Array; stepH: Float64Array; predicted: number } {
  const modelValue = (sH: Float64Array) => evaluateQuadratic(Jh.matvec(sH), gH, sH, diagH);
  if (inBounds(sum(x, p), lb, ub)) return { step: p, stepH: pH, predicted: -modelValue(pH) };

  const { step: pStride, hits } = stepSizeToBound(x, p, lb, ub);
  let rH = reflected(pH, hits);
  let r = product(rH, d);
  // The trust-region step cut at the bound.
  const pCut = scaled(p, pStride), pHCut = scaled(pH, pStride);
  const xOnBound = sum(x, pCut);

  // The reflected direction leaves either the feasible box or the trust region first.
  const toTr = reflectedTrustRegionStride(pHCut, rH, delta);
  const toBound = stepSizeToBound(xOnBound, r, lb, ub).step;
  const rStride = Math.min(toBound, toTr);
  let rLower = 0, rUpper = -1;
  if (rStride > 0) {
    rLower = ((1 - theta) * pStride) / rStride;
    rUpper = rStride === toBound ? theta * toBound : toTr;
  }
  let rValue = Infinity;
  if (rLower <= rUpper) {
    const { a, b, c } = buildQuadratic1d(Jh.matvec(rH), gH, rH, diagH, pHCut, Jh.matvec(pHCut));
    const best = minimizeQuadratic1d(a, b, rLower, rUpper, c);
    rH = scaledPlus(rH, best.t, pHCut);
    r = product(rH, d);
    rValue = best.value;
  }

  // The cut step, stepped back to stay strictly interior.
  const pBack = scaled(pCut, theta), pHBack = scaled(pHCut, theta);
  const pValue = modelValue(pHBack);

  // The anti-gradient step, cut by the trust region or (stepped back) by the bounds.
  let agH: Float64Array = negated(gH);
  let ag: Float64Array = product(agH, d);
  const agToTr = delta / norm(agH);
  const agToBound = stepSizeToBound(x, ag, lb, ub).step;
  const agStride = agToBound < agToTr ? theta * agToBound : agToTr;
  const { a, b } = buildQuadratic1d(Jh.matvec(agH), gH, agH, diagH);
  const agBest = minimizeQuadratic1d(a, b, 0, agStride);
  agH = scaled(agH, agBest.t);
  ag = scaled(ag, agBest.t);
  const agValue = agBest.value;

  if (pValue < rValue && pValue < agValue) return { step: pBack, stepH: pHBack, predicted: -pValue };
  if (rValue < pValue && rValue < agValue) return { step: r, stepH: rH, predicted: -rValue };
  return { step: ag, stepH: agH, predicted: -agValue };
}

/**
 * The positive root of ||p_h + t r_h|| = Δ. scipy raises when p_h, cut at the bound from a
 * point on the boundary, lies outside the region by rounding; here no reflection is then
 * tried (stride 0).
 */
function reflectedTrustRegionStride(pH: Float64Array, rH: Float64Array, delta: number): number {
  try {
    return intersectTrustRegion(pH, rH, delta)[1];
  } catch (err) {
    if (err instanceof RangeError) return 0;
    throw err;
  }
}
