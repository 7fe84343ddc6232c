/**
 * method 'lm': MINPACK's Levenberg–Marquardt (lmder) as scipy 1.17's call_minpack runs it:
 * factor 100, maxfev = maxNfev ?? 100 n, mode 1 (D = J's column norms, never decreasing)
 * for xScale 'jac', mode 2 with D = 1 / xScale otherwise [Moré, LNM 630 (1978)].
 * nfev / njev are MINPACK's, which scipy reports: the front end's f(x0) and J(x0) are
 * lmder's first ones, and the J that scipy evaluates at the solution afterwards is not in
 * njev. Finite differences come from the front end (scipy 1.16+ differences outside
 * MINPACK too). Like scipy's 'lm', no callback and no iteration table (verbose 2 is not
 * supported by scipy's 'lm'). ctx.signal is checked before every evaluation; non-finite
 * residuals at a trial point count as ||f|| = ∞: the step is rejected (ratio <= 0) and
 * the radius shrinks tenfold, as MINPACK does on overflow.
 */
import { DenseMatrix } from '../linear/dense-matrix.js';
import { AbortError, InvalidArgumentError } from '../errors.js';
import { normInf } from './common.js';
import { applyQt, enorm, EPSMCH, lmpar, qrfac, type QrFactors } from './minpack.js';
import type { DriverContext, DriverOutcome, Jacobian } from './types.js';

/** lmder's initial radius: delta0 = FACTOR ||D x0|| (FACTOR when that is 0). */
const FACTOR = 100;
/** Radius update thresholds and factors; a step is accepted when its ratio >= P0001. */
const P1 = 0.1, P5 = 0.5, P25 = 0.25, P75 = 0.75, P0001 = 1e-4;

/** MINPACK's info → scipy's status (FROM_MINPACK_TO_COMMON; 6/7/8, the "tolerance too small" codes, as 2/3/1). */
const STATUS_FROM_INFO: Record<number, DriverOutcome['status']> = { 0: -1, 1: 2, 2: 3, 3: 4, 4: 1, 5: 0, 6: 2, 7: 3, 8: 1 };

/** lmder's state between iterations (iter: 1 until the first accepted step; xnorm = ||D x||). */
interface LmState { x: Float64Array; f: Float64Array; fnorm: number; xnorm: number; delta: number; par: number; iter: number }
/** A trial point x + p; reductions scaled by ||f||², dirder = the directional derivative. */
interface Trial { xt: Float64Array; ft: Float64Array; fnorm1: number; pnorm: number; actred: number; prered: number; dirder: number; ratio: number }

export async function lm(ctx: DriverContext): Promise<DriverOutcome> {
  const { evaluator, ftol, xtol, gtol } = ctx;
  const n = ctx.x0.length, m = ctx.f0.length;
  const maxfev = ctx.maxNfev ?? 100 * n;
  const fixedScale = ctx.xScale !== 'jac';
  const diag = fixedScale ? (ctx.xScale as Float64Array).map((s) => 1 / s) : new Float64Array(n);
  if (improperInput(m, n, ftol, xtol, gtol, maxfev, fixedScale ? diag : null)) {
    return outcome(ctx, new Float64Array(ctx.x0), ctx.f0, ctx.J0, evaluator.njev, 0);
  }
  const s: LmState = { x: new Float64Array(ctx.x0), f: ctx.f0, fnorm: enorm(ctx.f0), xnorm: 0, delta: 0, par: 0, iter: 1 };
  let J: Jacobian = ctx.J0;
  let jacobianAt = s.x; // the x that J belongs to (compared by identity: accept() replaces s.x)
  let info = 0;
  for (;;) {
    const a = columnMajor(J, m, n);
    const qr = qrfac(a, m, n);
    if (s.iter === 1) initializeScaling(s, diag, qr.acnorm, fixedScale);
    const qtf = applyQt(a, m, n, s.f, qr.rdiag);
    const gnorm = scaledGradientNorm(a, m, n, qr, qtf, s.fnorm);
    if (gnorm <= gtol) { info = 4; break; }
    if (!fixedScale) for (let j = 0; j < n; j++) diag[j] = Math.max(diag[j], qr.acnorm[j]);
    let ratio: number;
    do {
      const t = await tryStep(ctx, s, a, m, n, qr, diag, qtf);
      updateRadius(s, t);
      ratio = t.ratio;
      if (ratio >= P0001) accept(s, t, diag);
      info = convergenceInfo(s, t, gnorm, ftol, xtol, evaluator.nfev, maxfev);
      if (info !== 0) break;
    } while (ratio < P0001);
    if (info !== 0) break;
    checkAbort(ctx, s.x);
    J = await evaluator.jac(s.x, s.f);
    jacobianAt = s.x;
  }
  // scipy evaluates J once more at the solution (call_minpack's `J = jac(x)`), outside njev.
  const njev = evaluator.njev;
  if (s.x !== jacobianAt) {
    checkAbort(ctx, s.x);
    J = await evaluator.jac(s.x, s.f);
  }
  return outcome(ctx, s.x, s.f, J, njev, info);
}

/** MINPACK's checks that make lmder return info = 0 (scipy: status -1). */
function improperInput(m: number, n: number, ftol: number, xtol: number, gtol: number, maxfev: number, diag: Float64Array | null): boolean {
  if (n <= 0 || m < n || !(ftol >= 0) || !(xtol >= 0) || !(gtol >= 0) || !(maxfev > 0)) return true;
  return diag !== null && diag.some((d) => !(d > 0) || !Number.isFinite(d));
}

/** Column-major copy of a dense J for qrfac. */
function columnMajor(J: Jacobian, m: number, n: number): Float64Array {
  if (!(J instanceof DenseMatrix)) throw new InvalidArgumentError('jac', "a DenseMatrix with method 'lm'");
  const a = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) a[i + j * m] = J.data[i * n + j];
  return a;
}

/** First iteration: mode 1 takes D from J's column norms (zero → 1); delta = FACTOR ||D x0||. */
function initializeScaling(s: LmState, diag: Float64Array, acnorm: Float64Array, fixedScale: boolean): void {
  const n = diag.length;
  if (!fixedScale) for (let j = 0; j < n; j++) diag[j] = acnorm[j] === 0 ? 1 : acnorm[j];
  s.xnorm = scaledNorm(diag, s.x);
  s.delta = FACTOR * s.xnorm;
  if (s.delta === 0) s.delta = FACTOR;
}

/** ||D v|| */
function scaledNorm(diag: Float64Array, v: Float64Array): number {
  const w = new Float64Array(v.length);
  for (let j = 0; j < v.length; j++) w[j] = diag[j] * v[j];
  return enorm(w);
}

/** max_j |cos(angle between f and column j of J)|, lmder's gtol measure. */
function scaledGradientNorm(a: Float64Array, m: number, n: number, qr: QrFactors, qtf: Float64Array, fnorm: number): number {
  let gnorm = 0;
  if (fnorm === 0) return gnorm;
  for (let j = 0; j < n; j++) {
    const l = qr.ipvt[j];
    if (qr.acnorm[l] === 0) continue;
    let sum = 0;
    for (let i = 0; i <= j; i++) sum += a[i + j * m] * (qtf[i] / fnorm);
    gnorm = Math.max(gnorm, Math.abs(sum / qr.acnorm[l]));
  }
  return gnorm;
}

/** Computes the LM step for the current radius, evaluates f there and the reductions [Moré §4]. */
async function tryStep(ctx: DriverContext, s: LmState, a: Float64Array, m: number, n: number, qr: QrFactors, diag: Float64Array, qtf: Float64Array): Promise<Trial> {
  const lp = lmpar(n, a, m, qr.ipvt, diag, qtf, s.delta, s.par);
  s.par = lp.par;
  const p = new Float64Array(n), xt = new Float64Array(n);
  for (let j = 0; j < n; j++) { p[j] = -lp.x[j]; xt[j] = s.x[j] + p[j]; }
  const pnorm = scaledNorm(diag, p);
  if (s.iter === 1) s.delta = Math.min(s.delta, pnorm);
  checkAbort(ctx, s.x);
  const ft = await ctx.evaluator.fun(xt);
  const fnorm1 = ft.every(Number.isFinite) ? enorm(ft) : Infinity;
  const q = fnorm1 / s.fnorm;
  const actred = P1 * fnorm1 < s.fnorm ? 1 - q * q : -1;
  // Predicted reduction of the linear model, scaled by ||f||² [Moré (4.4)]: ||J p||² + 2 λ ||D p||².
  const jp = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const temp = p[qr.ipvt[j]];
    for (let i = 0; i <= j; i++) jp[i] += a[i + j * m] * temp;
  }
  const temp1 = enorm(jp) / s.fnorm;
  const temp2 = (Math.sqrt(s.par) * pnorm) / s.fnorm;
  const prered = temp1 * temp1 + (temp2 * temp2) / P5;
  const dirder = -(temp1 * temp1 + temp2 * temp2);
  const ratio = prered !== 0 ? actred / prered : 0;
  return { xt, ft, fnorm1, pnorm, actred, prered, dirder, ratio };
}

/** MINPACK's radius update: shrink (at most by 10) when ratio <= 1/4, double ||D p|| when >= 3/4 or λ = 0. */
function updateRadius(s: LmState, t: Trial): void {
  if (t.ratio <= P25) {
    // The minimizer of the quadratic interpolating the reduction along p [Moré §4].
    let temp = t.actred >= 0 ? P5 : (P5 * t.dirder) / (t.dirder + P5 * t.actred);
    if (P1 * t.fnorm1 >= s.fnorm || temp < P1) temp = P1;
    s.delta = temp * Math.min(s.delta, t.pnorm / P1);
    s.par /= temp;
  } else if (s.par === 0 || t.ratio >= P75) {
    s.delta = t.pnorm / P5;
    s.par *= P5;
  }
}

function accept(s: LmState, t: Trial, diag: Float64Array): void {
  s.x = t.xt; s.f = t.ft; s.fnorm = t.fnorm1;
  s.xnorm = scaledNorm(diag, s.x);
  s.iter++;
}

/** lmder's tests after a trial step: info 1–3 (ftol/xtol), 5 (maxfev), 6–8 (tolerance below machine precision). */
function convergenceInfo(s: LmState, t: Trial, gnorm: number, ftol: number, xtol: number, nfev: number, maxfev: number): number {
  const small = (tol: number) => Math.abs(t.actred) <= tol && t.prered <= tol && P5 * t.ratio <= 1;
  const ftolHit = small(ftol), xtolHit = s.delta <= xtol * s.xnorm;
  if (ftolHit || xtolHit) return ftolHit && xtolHit ? 3 : ftolHit ? 1 : 2;
  let info = 0;
  if (nfev >= maxfev) info = 5;
  if (small(EPSMCH)) info = 6;
  if (s.delta <= EPSMCH * s.xnorm) info = 7;
  if (gnorm <= EPSMCH) info = 8;
  return info;
}

function checkAbort(ctx: DriverContext, x: Float64Array): void {
  if (ctx.signal?.aborted) throw new AbortError('leastSquares was aborted', new Float64Array(x));
}

function outcome(ctx: DriverContext, x: Float64Array, f: Float64Array, J: Jacobian, njev: number, info: number): DriverOutcome {
  const grad = J.rmatvec(f);
  return {
    x, cost: 0.5 * f.reduce((acc, v) => acc + v * v, 0), fun: f, jac: J, grad, optimality: normInf(grad),
    activeMask: new Int8Array(x.length), nfev: ctx.evaluator.nfev, njev, status: STATUS_FROM_INFO[info],
  };
}
