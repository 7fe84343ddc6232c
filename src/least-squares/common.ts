/**
 * Pure helpers of the bound-constrained trust-region algorithms (trf, dogbox, lsqLinear),
 * after scipy/optimize/_lsq/common.py. Every product with the Jacobian is computed by the
 * caller (on whichever backend) and passed in, so these stay backend-agnostic and exact
 * in f64.
 */

export const EPS = 2.220446049250313e-16;

/** x · y */
export function dot(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  return s;
}

/** ||x||∞ */
export function normInf(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s = Math.max(s, Math.abs(x[i]));
  return s;
}

/** ||x||₂ */
export function norm(x: ArrayLike<number>): number {
  return Math.sqrt(dot(x, x));
}

/** lb <= x <= ub componentwise. */
export function inBounds(x: ArrayLike<number>, lb: ArrayLike<number>, ub: ArrayLike<number>): boolean {
  for (let i = 0; i < x.length; i++) if (!(x[i] >= lb[i] && x[i] <= ub[i])) return false;
  return true;
}

/**
 * The smallest t >= 0 with x + t s on a bound, and which bounds are hit (-1 lower,
 * 1 upper, 0 none). Components with s = 0 never hit. t = Infinity when none is hit.
 */
export function stepSizeToBound(
  x: ArrayLike<number>, s: ArrayLike<number>, lb: ArrayLike<number>, ub: ArrayLike<number>,
): { step: number; hits: Int8Array } {
  const n = x.length;
  const steps = new Float64Array(n).fill(Infinity);
  let min = Infinity;
  for (let i = 0; i < n; i++) {
    if (s[i] === 0) continue;
    steps[i] = Math.max((lb[i] - x[i]) / s[i], (ub[i] - x[i]) / s[i]);
    if (steps[i] < min) min = steps[i];
  }
  const hits = new Int8Array(n);
  for (let i = 0; i < n; i++) if (steps[i] === min) hits[i] = Math.sign(s[i]);
  return { step: min, hits };
}

/**
 * Which constraints are active at x: -1 lower, 1 upper, 0 none, with the threshold
 * rtol · max(1, |bound|) (exact comparison when rtol = 0).
 */
export function findActiveConstraints(
  x: ArrayLike<number>, lb: ArrayLike<number>, ub: ArrayLike<number>, rtol = 1e-10,
): Int8Array {
  const n = x.length;
  const active = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    if (rtol === 0) {
      if (x[i] <= lb[i]) active[i] = -1;
      if (x[i] >= ub[i]) active[i] = 1;
      continue;
    }
    const lower = x[i] - lb[i], upper = ub[i] - x[i];
    const lt = rtol * Math.max(1, Math.abs(lb[i])), ut = rtol * Math.max(1, Math.abs(ub[i]));
    if (Number.isFinite(lb[i]) && lower <= Math.min(upper, lt)) active[i] = -1;
    if (Number.isFinite(ub[i]) && upper <= Math.min(lower, ut)) active[i] = 1;
  }
  return active;
}

/** The next float after x towards y (numpy's nextafter). */
export function nextAfter(x: number, y: number): number {
  if (Number.isNaN(x) || Number.isNaN(y)) return NaN;
  if (x === y) return y;
  if (x === 0) return y > 0 ? Number.MIN_VALUE : -Number.MIN_VALUE;
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  let bits = buf.getBigInt64(0);
  bits += (y > x) === (x > 0) ? 1n : -1n;
  buf.setBigInt64(0, bits);
  return buf.getFloat64(0);
}

/**
 * Moves x strictly inside the bounds: each component at least rstep · max(1, |bound|)
 * from its nearest active bound (one float away when rstep = 0); components squeezed
 * between tight bounds go to the midpoint.
 */
export function makeStrictlyFeasible(
  x: ArrayLike<number>, lb: ArrayLike<number>, ub: ArrayLike<number>, rstep = 1e-10,
): Float64Array {
  const out = Float64Array.from(x);
  const active = findActiveConstraints(x, lb, ub, rstep);
  for (let i = 0; i < out.length; i++) {
    if (active[i] === -1) out[i] = rstep === 0 ? nextAfter(lb[i], ub[i]) : lb[i] + rstep * Math.max(1, Math.abs(lb[i]));
    else if (active[i] === 1) out[i] = rstep === 0 ? nextAfter(ub[i], lb[i]) : ub[i] - rstep * Math.max(1, Math.abs(ub[i]));
    if (out[i] < lb[i] || out[i] > ub[i]) out[i] = 0.5 * (lb[i] + ub[i]);
  }
  return out;
}

/**
 * The Coleman–Li scaling vector v and its derivative dv (Branch, Coleman & Li 1999,
 * eq. 2.2, with v >= 0): v = ub - x where g < 0 and ub is finite, x - lb where g > 0 and
 * lb is finite, else 1.
 */
export function clScalingVector(
  x: ArrayLike<number>, g: ArrayLike<number>, lb: ArrayLike<number>, ub: ArrayLike<number>,
): { v: Float64Array; dv: Float64Array } {
  const n = x.length;
  const v = new Float64Array(n).fill(1);
  const dv = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (g[i] < 0 && Number.isFinite(ub[i])) { v[i] = ub[i] - x[i]; dv[i] = -1; }
    if (g[i] > 0 && Number.isFinite(lb[i])) { v[i] = x[i] - lb[i]; dv[i] = 1; }
  }
  return { v, dv };
}

/**
 * Reflects y into [lb, ub] (mirror images at the bounds, periodically for two-sided
 * bounds); g holds the derivative dx/dy = ±1.
 */
export function reflectiveTransformation(
  y: ArrayLike<number>, lb: ArrayLike<number>, ub: ArrayLike<number>,
): { x: Float64Array; g: Float64Array } {
  const n = y.length;
  const x = Float64Array.from(y);
  const g = new Float64Array(n).fill(1);
  if (inBounds(y, lb, ub)) return { x, g };
  for (let i = 0; i < n; i++) {
    const lf = Number.isFinite(lb[i]), uf = Number.isFinite(ub[i]);
    let negative = false;
    if (lf && !uf) {
      x[i] = Math.max(y[i], 2 * lb[i] - y[i]);
      negative = y[i] < lb[i];
    } else if (!lf && uf) {
      x[i] = Math.min(y[i], 2 * ub[i] - y[i]);
      negative = y[i] > ub[i];
    } else if (lf && uf) {
      const d = ub[i] - lb[i];
      const t = pyRemainder(y[i] - lb[i], 2 * d);
      x[i] = lb[i] + Math.min(t, 2 * d - t);
      negative = t > d;
    }
    if (negative) g[i] = -1;
  }
  return { x, g };
}

/** Python's a % b (result has the sign of b). */
function pyRemainder(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && (r < 0) !== (b < 0) ? r + b : r;
}

/**
 * The univariate quadratic f(t) = ½ (s0 + t s)ᵀ(JᵀJ + diag)(s0 + t s) + gᵀ(s0 + t s)
 * as a t² + b t + c, from the products Js = J s and Js0 = J s0 (Js0 omitted: s0 = 0).
 */
export function buildQuadratic1d(
  Js: ArrayLike<number>, g: ArrayLike<number>, s: ArrayLike<number>,
  diag?: ArrayLike<number> | null, s0?: ArrayLike<number> | null, Js0?: ArrayLike<number> | null,
): { a: number; b: number; c: number } {
  let a = dot(Js, Js);
  if (diag) for (let i = 0; i < s.length; i++) a += s[i] * diag[i] * s[i];
  a *= 0.5;
  let b = dot(g, s);
  let c = 0;
  if (s0 && Js0) {
    b += dot(Js0, Js);
    c = 0.5 * dot(Js0, Js0) + dot(g, s0);
    if (diag) {
      for (let i = 0; i < s.length; i++) {
        b += s0[i] * diag[i] * s[i];
        c += 0.5 * s0[i] * diag[i] * s0[i];
      }
    }
  }
  return { a, b, c };
}

/** Minimizes a t² + b t + c over [lb, ub] (finite). */
export function minimizeQuadratic1d(a: number, b: number, lb: number, ub: number, c = 0): { t: number; value: number } {
  const ts = [lb, ub];
  if (a !== 0) {
    const extremum = -0.5 * b / a;
    if (lb < extremum && extremum < ub) ts.push(extremum);
  }
  // evaluated as t (a t + b) + c, as scipy, so ties resolve identically
  let best = ts[0], bestValue = best * (a * best + b) + c;
  for (let k = 1; k < ts.length; k++) {
    const v = ts[k] * (a * ts[k] + b) + c;
    if (v < bestValue) { best = ts[k]; bestValue = v; }
  }
  return { t: best, value: bestValue };
}

/** ½ sᵀ(JᵀJ + diag)s + gᵀs from Js = J s. */
export function evaluateQuadratic(Js: ArrayLike<number>, g: ArrayLike<number>, s: ArrayLike<number>, diag?: ArrayLike<number> | null): number {
  let q = dot(Js, Js);
  if (diag) for (let i = 0; i < s.length; i++) q += s[i] * diag[i] * s[i];
  return 0.5 * q + dot(s, g);
}

/**
 * The roots t₋ <= t₊ of ||x + t s|| = Delta (x inside the region), computed without
 * cancellation (Numerical Recipes §5.6).
 */
export function intersectTrustRegion(x: ArrayLike<number>, s: ArrayLike<number>, delta: number): [number, number] {
  const a = dot(s, s);
  if (a === 0) throw new RangeError('intersectTrustRegion: s is zero');
  const b = dot(x, s);
  const c = dot(x, x) - delta * delta;
  if (c > 0) throw new RangeError('intersectTrustRegion: x is outside the trust region');
  const d = Math.sqrt(b * b - a * c);
  const q = -(b + (b >= 0 ? d : -d));
  const t1 = q / a, t2 = c / q;
  return t1 < t2 ? [t1, t2] : [t2, t1];
}

/**
 * The trust-region radius update of scipy's trf/dogbox: ratio < 0.25 shrinks the radius to
 * a quarter of the step; ratio > 0.75 with the step on the boundary doubles it.
 */
export function updateTrRadius(
  delta: number, actualReduction: number, predictedReduction: number, stepNorm: number, boundHit: boolean,
): { delta: number; ratio: number } {
  // A zero step that changes nothing counts as a perfect model (ratio 1), so the ftol test
  // can end the run (scipy 1.17's rule).
  let ratio = 0;
  if (predictedReduction > 0) ratio = actualReduction / predictedReduction;
  else if (predictedReduction === 0 && actualReduction === 0) ratio = 1;
  if (ratio < 0.25) delta = 0.25 * stepNorm;
  else if (ratio > 0.75 && boundHit) delta *= 2;
  return { delta, ratio };
}

/**
 * The ftol / xtol tests of trf and dogbox: 2 when the cost fell by less than ftol·F on a
 * good step (ratio > 0.25), 3 when ||dx|| < xtol (xtol + ||x||), 4 for both, else null.
 */
export function checkTermination(
  dF: number, F: number, dxNorm: number, xNorm: number, ratio: number, ftol: number, xtol: number,
): 2 | 3 | 4 | null {
  const ftolOk = dF < ftol * F && ratio > 0.25;
  const xtolOk = dxNorm < xtol * (xtol + xNorm);
  if (ftolOk && xtolOk) return 4;
  if (ftolOk) return 2;
  if (xtolOk) return 3;
  return null;
}

// Elementwise helpers as plain loops (TypedArray.prototype.map costs 15-20x a loop in V8,
// and these run once or more per trust-region iteration).

/** t v */
export const scaled = (v: Float64Array, t: number): Float64Array => {
  const out = new Float64Array(v.length);
  for (let i = 0; i < out.length; i++) out[i] = t * v[i];
  return out;
};

/** a + b */
export const sum = (a: Float64Array, b: Float64Array): Float64Array => {
  const out = new Float64Array(a.length);
  for (let i = 0; i < out.length; i++) out[i] = a[i] + b[i];
  return out;
};

/** -a */
export const negated = (a: Float64Array): Float64Array => {
  const out = new Float64Array(a.length);
  for (let i = 0; i < out.length; i++) out[i] = -a[i];
  return out;
};

/** a ∘ b */
export const product = (a: Float64Array, b: Float64Array): Float64Array => {
  const out = new Float64Array(a.length);
  for (let i = 0; i < out.length; i++) out[i] = a[i] * b[i];
  return out;
};

/** ||a ∘ b||∞ (normInf of the product, without forming it) */
export const normInfProduct = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s = Math.max(s, Math.abs(a[i] * b[i]));
  return s;
};

