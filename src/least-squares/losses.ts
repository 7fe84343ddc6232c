/**
 * Robust loss functions ρ(z) of z = f², applied as C² ρ(f²/C²) with C = fScale
 * (scipy's construct_loss_function), and the rescaling of J and f that turns a robust
 * problem into an ordinary least-squares subproblem (Triggs et al., "Bundle Adjustment —
 * A Modern Synthesis", §4.3; scipy's scale_for_robust_loss_function).
 */
import { InvalidArgumentError } from '../errors.js';
import { EPS } from './common.js';

export type LossName = 'linear' | 'soft_l1' | 'huber' | 'cauchy' | 'arctan';
export const LOSS_NAMES: readonly LossName[] = ['linear', 'soft_l1', 'huber', 'cauchy', 'arctan'];

/**
 * A user loss: given z (= (f/C)²), fills rho0, rho1, rho2 with ρ(z), ρ'(z), ρ''(z).
 */
export type LossCallback = (z: Float64Array, rho0: Float64Array, rho1: Float64Array, rho2: Float64Array) => void;

/** ρ and its first two derivatives for each residual, already scaled by C. */
export interface Rho {
  rho0: Float64Array;
  rho1: Float64Array;
  rho2: Float64Array;
}

export interface Loss {
  /** ½ Σ C² ρ(f²/C²) */
  cost(f: Float64Array): number;
  /** C² ρ, ρ', ρ''/C² at f (scipy's rho with its scaling). */
  rho(f: Float64Array): Rho;
}

const KERNELS: Record<Exclude<LossName, 'linear'>, (z: number) => [number, number, number]> = {
  huber: (z) => (z <= 1 ? [z, 1, 0] : [2 * Math.sqrt(z) - 1, 1 / Math.sqrt(z), -0.5 * z ** -1.5]),
  soft_l1: (z) => {
    const t = 1 + z;
    return [2 * (Math.sqrt(t) - 1), 1 / Math.sqrt(t), -0.5 * t ** -1.5];
  },
  cauchy: (z) => {
    const t = 1 + z;
    return [Math.log1p(z), 1 / t, -1 / (t * t)];
  },
  arctan: (z) => {
    const t = 1 + z * z;
    return [Math.atan(z), 1 / t, (-2 * z) / (t * t)];
  },
};

/** The loss for `loss` and `fScale`, or null for 'linear' (plain least squares). */
export function makeLoss(loss: LossName | LossCallback, fScale: number): Loss | null {
  if (loss === 'linear') return null;
  const c2 = fScale * fScale;
  const evaluate = (f: Float64Array): Rho => {
    const m = f.length;
    const rho0 = new Float64Array(m), rho1 = new Float64Array(m), rho2 = new Float64Array(m);
    const z = new Float64Array(m);
    for (let i = 0; i < m; i++) z[i] = (f[i] / fScale) ** 2;
    if (typeof loss === 'function') {
      loss(z, rho0, rho1, rho2);
      for (let i = 0; i < m; i++) {
        if (!Number.isFinite(rho0[i]) || !Number.isFinite(rho1[i]) || !Number.isFinite(rho2[i])) {
          throw new InvalidArgumentError('loss', 'a callback filling rho0, rho1, rho2 with finite values', `non-finite value at residual ${i}`);
        }
      }
    } else {
      const k = KERNELS[loss];
      for (let i = 0; i < m; i++) [rho0[i], rho1[i], rho2[i]] = k(z[i]);
    }
    for (let i = 0; i < m; i++) {
      rho0[i] *= c2;
      rho2[i] /= c2;
    }
    return { rho0, rho1, rho2 };
  };
  return {
    cost(f) {
      const { rho0 } = evaluate(f);
      let s = 0;
      for (let i = 0; i < rho0.length; i++) s += rho0[i];
      return 0.5 * s;
    },
    rho: evaluate,
  };
}

/**
 * The row weights w = √max(ρ' + 2ρ''f², EPS) and the scaled residual f ρ'/w such that the
 * robust problem's Gauss–Newton model is that of J̃ = diag(w) J and f̃. Returns both;
 * the caller applies w to its Jacobian.
 */
export function robustScaling(f: Float64Array, rho: Rho): { weights: Float64Array; fScaled: Float64Array } {
  const m = f.length;
  const weights = new Float64Array(m), fScaled = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = rho.rho1[i] + 2 * rho.rho2[i] * f[i] * f[i];
    if (s < EPS) s = EPS;
    weights[i] = Math.sqrt(s);
    fScaled[i] = (f[i] * rho.rho1[i]) / weights[i];
  }
  return { weights, fScaled };
}
