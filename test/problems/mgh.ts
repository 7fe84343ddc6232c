/**
 * Moré, Garbow and Hillstrom, "Testing unconstrained optimization software", ACM TOMS 7(1), 1981:
 * the 35 test problems as least-squares residual vectors f(x) with analytic Jacobians.
 *
 * - MGH_PROBLEMS: unbounded runs. Standard starting points x0 and, as in MINPACK's lmder test driver,
 *   10 x0 and 100 x0 for some problems (a zero x0 is replaced by factor * ones, as MINPACK does).
 * - MGH_BOUNDED: the same functions with the bounds D. M. Gay used ("A trust-region approach to
 *   linearly constrained optimization", LNM 1066, 1984), which cut off the unconstrained minimizer
 *   in some variables; x0 is clipped into the box (a few start points moved, noted below).
 * - SPARSE_PROBLEMS (and makeSparseProblems(n)): 10,000-variable problems with banded / block
 *   Jacobians given as triplets, for the lsmr paths.
 *
 * Costs follow scipy: cost = 0.5 * sum f_i^2. `fLiterature` is MGH's sum f_i^2 at the minimum (not
 * the cost). The twin of every problem is in test/fixtures/least_squares/make_fixtures.py.
 */

export interface MghProblem {
  /** Unique: base name, variant (n / m) and the start factor, e.g. 'watson_n9_x10'. */
  name: string;
  /** MGH problem number, 1..35. */
  id: number;
  m: number;
  n: number;
  x0: Float64Array;
  /** Start-point factor (1, 10 or 100). */
  factor: number;
  residual(x: Float64Array): Float64Array;
  /** Rows of the m x n Jacobian. */
  jacobian(x: Float64Array): Float64Array[];
  bounds?: [Float64Array, Float64Array];
  /** Minimum of sum f_i^2 reported in the literature (MGH 1981), where known. */
  fLiterature?: number;
}

type Vec = Float64Array;
type Fun = (x: Vec) => Vec;
type Jac = (x: Vec) => Vec[];

interface Family {
  id: number;
  base: string;
  m: number;
  n: number;
  x0: Vec;
  f: Fun;
  J: Jac;
  fLiterature?: number;
}

const zeros = (m: number, n: number): Vec[] => Array.from({ length: m }, () => new Float64Array(n));
const vec = (a: ArrayLike<number>): Vec => Float64Array.from(a);
const SQRT5 = Math.sqrt(5), SQRT10 = Math.sqrt(10), SQRT90 = Math.sqrt(90), SQRT_A = Math.sqrt(1e-5);

// ---------------------------------------------------------------------------------------------
// 1. Rosenbrock (n = 2, m = 2)
function rosenbrock(): Family {
  return {
    id: 1, base: 'rosenbrock', m: 2, n: 2, x0: vec([-1.2, 1]), fLiterature: 0,
    f: (x) => vec([10 * (x[1] - x[0] * x[0]), 1 - x[0]]),
    J: (x) => [vec([-20 * x[0], 10]), vec([-1, 0])],
  };
}

// 2. Freudenstein and Roth (n = 2, m = 2); local minimum 48.9842 at (11.41, -0.8968)
function freudensteinRoth(): Family {
  return {
    id: 2, base: 'freudenstein_roth', m: 2, n: 2, x0: vec([0.5, -2]), fLiterature: 0,
    f: (x) => vec([-13 + x[0] + ((5 - x[1]) * x[1] - 2) * x[1], -29 + x[0] + ((x[1] + 1) * x[1] - 14) * x[1]]),
    J: (x) => [vec([1, (10 - 3 * x[1]) * x[1] - 2]), vec([1, (3 * x[1] + 2) * x[1] - 14])],
  };
}

// 3. Powell badly scaled (n = 2, m = 2)
function powellBadlyScaled(): Family {
  return {
    id: 3, base: 'powell_badly_scaled', m: 2, n: 2, x0: vec([0, 1]), fLiterature: 0,
    f: (x) => vec([1e4 * x[0] * x[1] - 1, Math.exp(-x[0]) + Math.exp(-x[1]) - 1.0001]),
    J: (x) => [vec([1e4 * x[1], 1e4 * x[0]]), vec([-Math.exp(-x[0]), -Math.exp(-x[1])])],
  };
}

// 4. Brown badly scaled (n = 2, m = 3)
function brownBadlyScaled(): Family {
  return {
    id: 4, base: 'brown_badly_scaled', m: 3, n: 2, x0: vec([1, 1]), fLiterature: 0,
    f: (x) => vec([x[0] - 1e6, x[1] - 2e-6, x[0] * x[1] - 2]),
    J: (x) => [vec([1, 0]), vec([0, 1]), vec([x[1], x[0]])],
  };
}

// 5. Beale (n = 2, m = 3)
function beale(): Family {
  const y = [1.5, 2.25, 2.625];
  return {
    id: 5, base: 'beale', m: 3, n: 2, x0: vec([1, 1]), fLiterature: 0,
    f: (x) => vec(y.map((yi, i) => yi - x[0] * (1 - x[1] ** (i + 1)))),
    J: (x) => y.map((_, i) => vec([-(1 - x[1] ** (i + 1)), x[0] * (i + 1) * x[1] ** i])),
  };
}

// 6. Jennrich and Sampson (n = 2, m = 10)
function jennrichSampson(m = 10): Family {
  return {
    id: 6, base: 'jennrich_sampson', m, n: 2, x0: vec([0.3, 0.4]), fLiterature: m === 10 ? 124.362 : undefined,
    f: (x) => {
      const r = new Float64Array(m);
      for (let i = 1; i <= m; i++) r[i - 1] = 2 + 2 * i - (Math.exp(i * x[0]) + Math.exp(i * x[1]));
      return r;
    },
    J: (x) => {
      const J = zeros(m, 2);
      for (let i = 1; i <= m; i++) { J[i - 1][0] = -i * Math.exp(i * x[0]); J[i - 1][1] = -i * Math.exp(i * x[1]); }
      return J;
    },
  };
}

// 7. Helical valley (n = 3, m = 3)
function helicalTheta(x0: number, x1: number): number {
  if (x0 > 0) return Math.atan(x1 / x0) / (2 * Math.PI);
  if (x0 < 0) return Math.atan(x1 / x0) / (2 * Math.PI) + 0.5;
  return x1 >= 0 ? 0.25 : -0.25;
}
function helicalValley(): Family {
  return {
    id: 7, base: 'helical_valley', m: 3, n: 3, x0: vec([-1, 0, 0]), fLiterature: 0,
    f: (x) => vec([10 * (x[2] - 10 * helicalTheta(x[0], x[1])), 10 * (Math.hypot(x[0], x[1]) - 1), x[2]]),
    J: (x) => {
      const r2 = x[0] * x[0] + x[1] * x[1], r = Math.sqrt(r2);
      return [
        vec([(50 * x[1]) / (Math.PI * r2), (-50 * x[0]) / (Math.PI * r2), 10]),
        vec([(10 * x[0]) / r, (10 * x[1]) / r, 0]),
        vec([0, 0, 1]),
      ];
    },
  };
}

// 8. Bard (n = 3, m = 15); also 17.4286 at (0.8406, -inf, -inf)
const BARD_Y = [0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96, 1.34, 2.1, 4.39];
function bard(): Family {
  return {
    id: 8, base: 'bard', m: 15, n: 3, x0: vec([1, 1, 1]), fLiterature: 8.21487e-3,
    f: (x) => {
      const r = new Float64Array(15);
      for (let i = 1; i <= 15; i++) {
        const u = i, v = 16 - i, w = Math.min(u, v);
        r[i - 1] = BARD_Y[i - 1] - (x[0] + u / (v * x[1] + w * x[2]));
      }
      return r;
    },
    J: (x) => {
      const J = zeros(15, 3);
      for (let i = 1; i <= 15; i++) {
        const u = i, v = 16 - i, w = Math.min(u, v), d = v * x[1] + w * x[2];
        J[i - 1][0] = -1; J[i - 1][1] = (u * v) / (d * d); J[i - 1][2] = (u * w) / (d * d);
      }
      return J;
    },
  };
}

// 9. Gaussian (n = 3, m = 15)
const GAUSSIAN_Y = [0.0009, 0.0044, 0.0175, 0.054, 0.1295, 0.242, 0.3521, 0.3989, 0.3521, 0.242, 0.1295, 0.054, 0.0175, 0.0044, 0.0009];
function gaussian(): Family {
  return {
    id: 9, base: 'gaussian', m: 15, n: 3, x0: vec([0.4, 1, 0]), fLiterature: 1.12793e-8,
    f: (x) => {
      const r = new Float64Array(15);
      for (let i = 1; i <= 15; i++) {
        const d = (8 - i) / 2 - x[2];
        r[i - 1] = x[0] * Math.exp((-x[1] * d * d) / 2) - GAUSSIAN_Y[i - 1];
      }
      return r;
    },
    J: (x) => {
      const J = zeros(15, 3);
      for (let i = 1; i <= 15; i++) {
        const d = (8 - i) / 2 - x[2], e = Math.exp((-x[1] * d * d) / 2);
        J[i - 1][0] = e; J[i - 1][1] = (-x[0] * d * d * e) / 2; J[i - 1][2] = x[0] * x[1] * d * e;
      }
      return J;
    },
  };
}

// 10. Meyer (n = 3, m = 16)
const MEYER_Y = [34780, 28610, 23650, 19630, 16370, 13720, 11540, 9744, 8261, 7030, 6005, 5147, 4427, 3820, 3307, 2872];
function meyer(): Family {
  return {
    id: 10, base: 'meyer', m: 16, n: 3, x0: vec([0.02, 4000, 250]), fLiterature: 87.9458,
    f: (x) => {
      const r = new Float64Array(16);
      for (let i = 1; i <= 16; i++) r[i - 1] = x[0] * Math.exp(x[1] / (45 + 5 * i + x[2])) - MEYER_Y[i - 1];
      return r;
    },
    J: (x) => {
      const J = zeros(16, 3);
      for (let i = 1; i <= 16; i++) {
        const d = 45 + 5 * i + x[2], e = Math.exp(x[1] / d);
        J[i - 1][0] = e; J[i - 1][1] = (x[0] * e) / d; J[i - 1][2] = (-x[0] * x[1] * e) / (d * d);
      }
      return J;
    },
  };
}

// 11. Gulf research and development (n = 3, m = 99)
function gulf(m = 99): Family {
  const t = new Float64Array(m), y = new Float64Array(m);
  for (let i = 1; i <= m; i++) { t[i - 1] = i / 100; y[i - 1] = 25 + Math.pow(-50 * Math.log(i / 100), 2 / 3); }
  return {
    id: 11, base: 'gulf', m, n: 3, x0: vec([5, 2.5, 0.15]), fLiterature: 0,
    f: (x) => {
      const r = new Float64Array(m);
      for (let i = 0; i < m; i++) r[i] = Math.exp(-Math.pow(Math.abs(y[i] - x[1]), x[2]) / x[0]) - t[i];
      return r;
    },
    J: (x) => {
      const J = zeros(m, 3);
      for (let i = 0; i < m; i++) {
        const d = y[i] - x[1], ad = Math.abs(d), a = Math.pow(ad, x[2]), e = Math.exp(-a / x[0]);
        J[i][0] = (e * a) / (x[0] * x[0]);
        J[i][1] = ad === 0 ? 0 : (e * x[2] * Math.pow(ad, x[2] - 1) * Math.sign(d)) / x[0];
        J[i][2] = ad === 0 ? 0 : (-e * a * Math.log(ad)) / x[0];
      }
      return J;
    },
  };
}

// 12. Box three-dimensional (n = 3, m = 10)
function box3d(m = 10): Family {
  return {
    id: 12, base: 'box3d', m, n: 3, x0: vec([0, 10, 20]), fLiterature: 0,
    f: (x) => {
      const r = new Float64Array(m);
      for (let i = 1; i <= m; i++) {
        const t = 0.1 * i;
        r[i - 1] = Math.exp(-t * x[0]) - Math.exp(-t * x[1]) - x[2] * (Math.exp(-t) - Math.exp(-10 * t));
      }
      return r;
    },
    J: (x) => {
      const J = zeros(m, 3);
      for (let i = 1; i <= m; i++) {
        const t = 0.1 * i;
        J[i - 1][0] = -t * Math.exp(-t * x[0]); J[i - 1][1] = t * Math.exp(-t * x[1]);
        J[i - 1][2] = -(Math.exp(-t) - Math.exp(-10 * t));
      }
      return J;
    },
  };
}

// 13. Powell singular (n = 4, m = 4)
function powellSingular(): Family {
  return {
    id: 13, base: 'powell_singular', m: 4, n: 4, x0: vec([3, -1, 0, 1]), fLiterature: 0,
    f: (x) => vec([x[0] + 10 * x[1], SQRT5 * (x[2] - x[3]), (x[1] - 2 * x[2]) ** 2, SQRT10 * (x[0] - x[3]) ** 2]),
    J: (x) => {
      const a = x[1] - 2 * x[2], b = x[0] - x[3];
      return [vec([1, 10, 0, 0]), vec([0, 0, SQRT5, -SQRT5]), vec([0, 2 * a, -4 * a, 0]), vec([2 * SQRT10 * b, 0, 0, -2 * SQRT10 * b])];
    },
  };
}

// 14. Wood (n = 4, m = 6)
function wood(): Family {
  return {
    id: 14, base: 'wood', m: 6, n: 4, x0: vec([-3, -1, -3, -1]), fLiterature: 0,
    f: (x) => vec([
      10 * (x[1] - x[0] * x[0]), 1 - x[0], SQRT90 * (x[3] - x[2] * x[2]), 1 - x[2],
      SQRT10 * (x[1] + x[3] - 2), (x[1] - x[3]) / SQRT10,
    ]),
    J: (x) => [
      vec([-20 * x[0], 10, 0, 0]), vec([-1, 0, 0, 0]), vec([0, 0, -2 * SQRT90 * x[2], SQRT90]), vec([0, 0, -1, 0]),
      vec([0, SQRT10, 0, SQRT10]), vec([0, 1 / SQRT10, 0, -1 / SQRT10]),
    ],
  };
}

// 15. Kowalik and Osborne (n = 4, m = 11)
const KO_Y = [0.1957, 0.1947, 0.1735, 0.16, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323, 0.0235, 0.0246];
const KO_U = [4, 2, 1, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625];
function kowalikOsborne(): Family {
  return {
    id: 15, base: 'kowalik_osborne', m: 11, n: 4, x0: vec([0.25, 0.39, 0.415, 0.39]), fLiterature: 3.07505e-4,
    f: (x) => vec(KO_U.map((u, i) => KO_Y[i] - (x[0] * (u * u + u * x[1])) / (u * u + u * x[2] + x[3]))),
    J: (x) => KO_U.map((u) => {
      const num = u * u + u * x[1], den = u * u + u * x[2] + x[3];
      return vec([-num / den, (-x[0] * u) / den, (x[0] * num * u) / (den * den), (x[0] * num) / (den * den)]);
    }),
  };
}

// 16. Brown and Dennis (n = 4, m = 20)
function brownDennis(m = 20): Family {
  return {
    id: 16, base: 'brown_dennis', m, n: 4, x0: vec([25, 5, -5, -1]), fLiterature: m === 20 ? 85822.2 : undefined,
    f: (x) => {
      const r = new Float64Array(m);
      for (let i = 1; i <= m; i++) {
        const t = i / 5, a = x[0] + t * x[1] - Math.exp(t), b = x[2] + x[3] * Math.sin(t) - Math.cos(t);
        r[i - 1] = a * a + b * b;
      }
      return r;
    },
    J: (x) => {
      const J = zeros(m, 4);
      for (let i = 1; i <= m; i++) {
        const t = i / 5, a = x[0] + t * x[1] - Math.exp(t), b = x[2] + x[3] * Math.sin(t) - Math.cos(t);
        J[i - 1][0] = 2 * a; J[i - 1][1] = 2 * t * a; J[i - 1][2] = 2 * b; J[i - 1][3] = 2 * Math.sin(t) * b;
      }
      return J;
    },
  };
}

// 17. Osborne 1 (n = 5, m = 33)
const OSBORNE1_Y = [
  0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.85, 0.818, 0.784, 0.751, 0.718, 0.685, 0.658, 0.628, 0.603, 0.58,
  0.558, 0.538, 0.522, 0.506, 0.49, 0.478, 0.467, 0.457, 0.448, 0.438, 0.431, 0.424, 0.42, 0.414, 0.411, 0.406,
];
function osborne1(): Family {
  return {
    id: 17, base: 'osborne1', m: 33, n: 5, x0: vec([0.5, 1.5, -1, 0.01, 0.02]), fLiterature: 5.46489e-5,
    f: (x) => vec(OSBORNE1_Y.map((y, i) => {
      const t = 10 * i;
      return y - (x[0] + x[1] * Math.exp(-t * x[3]) + x[2] * Math.exp(-t * x[4]));
    })),
    J: (x) => OSBORNE1_Y.map((_, i) => {
      const t = 10 * i, e4 = Math.exp(-t * x[3]), e5 = Math.exp(-t * x[4]);
      return vec([-1, -e4, -e5, t * x[1] * e4, t * x[2] * e5]);
    }),
  };
}

// 18. Biggs EXP6 (n = 6, m = 13); also 5.65565e-3
function biggs(m = 13): Family {
  return {
    id: 18, base: 'biggs_exp6', m, n: 6, x0: vec([1, 2, 1, 1, 1, 1]), fLiterature: 0,
    f: (x) => {
      const r = new Float64Array(m);
      for (let i = 1; i <= m; i++) {
        const t = 0.1 * i, y = Math.exp(-t) - 5 * Math.exp(-10 * t) + 3 * Math.exp(-4 * t);
        r[i - 1] = x[2] * Math.exp(-t * x[0]) - x[3] * Math.exp(-t * x[1]) + x[5] * Math.exp(-t * x[4]) - y;
      }
      return r;
    },
    J: (x) => {
      const J = zeros(m, 6);
      for (let i = 1; i <= m; i++) {
        const t = 0.1 * i, e0 = Math.exp(-t * x[0]), e1 = Math.exp(-t * x[1]), e4 = Math.exp(-t * x[4]);
        const row = J[i - 1];
        row[0] = -t * x[2] * e0; row[1] = t * x[3] * e1; row[2] = e0; row[3] = -e1; row[4] = -t * x[5] * e4; row[5] = e4;
      }
      return J;
    },
  };
}

// 19. Osborne 2 (n = 11, m = 65)
const OSBORNE2_Y = [
  1.366, 1.191, 1.112, 1.013, 0.991, 0.885, 0.831, 0.847, 0.786, 0.725, 0.746, 0.679, 0.608, 0.655, 0.616, 0.606, 0.602,
  0.626, 0.651, 0.724, 0.649, 0.649, 0.694, 0.644, 0.624, 0.661, 0.612, 0.558, 0.533, 0.495, 0.5, 0.423, 0.395, 0.375,
  0.372, 0.391, 0.396, 0.405, 0.428, 0.429, 0.523, 0.562, 0.607, 0.653, 0.672, 0.708, 0.633, 0.668, 0.645, 0.632, 0.591,
  0.559, 0.597, 0.625, 0.739, 0.71, 0.729, 0.72, 0.636, 0.581, 0.428, 0.292, 0.162, 0.098, 0.054,
];
function osborne2(): Family {
  return {
    id: 19, base: 'osborne2', m: 65, n: 11, x0: vec([1.3, 0.65, 0.65, 0.7, 0.6, 3, 5, 7, 2, 4.5, 5.5]), fLiterature: 4.01377e-2,
    f: (x) => vec(OSBORNE2_Y.map((y, i) => {
      const t = i / 10;
      const d9 = t - x[8], d10 = t - x[9], d11 = t - x[10];
      return y - (x[0] * Math.exp(-t * x[4]) + x[1] * Math.exp(-d9 * d9 * x[5]) + x[2] * Math.exp(-d10 * d10 * x[6]) + x[3] * Math.exp(-d11 * d11 * x[7]));
    })),
    J: (x) => OSBORNE2_Y.map((_, i) => {
      const t = i / 10;
      const d9 = t - x[8], d10 = t - x[9], d11 = t - x[10];
      const e1 = Math.exp(-t * x[4]), e2 = Math.exp(-d9 * d9 * x[5]), e3 = Math.exp(-d10 * d10 * x[6]), e4 = Math.exp(-d11 * d11 * x[7]);
      return vec([
        -e1, -e2, -e3, -e4, t * x[0] * e1, d9 * d9 * x[1] * e2, d10 * d10 * x[2] * e3, d11 * d11 * x[3] * e4,
        -2 * d9 * x[5] * x[1] * e2, -2 * d10 * x[6] * x[2] * e3, -2 * d11 * x[7] * x[3] * e4,
      ]);
    }),
  };
}

// 20. Watson (2 <= n <= 31, m = 31)
const WATSON_F: Record<number, number> = { 6: 2.28767e-3, 9: 1.39976e-6, 12: 4.72238e-10 };
function watson(n: number): Family {
  return {
    id: 20, base: `watson_n${n}`, m: 31, n, x0: new Float64Array(n), fLiterature: WATSON_F[n],
    f: (x) => {
      const r = new Float64Array(31);
      for (let i = 1; i <= 29; i++) {
        const t = i / 29;
        let s1 = 0, s2 = 0, p = 1;
        for (let j = 0; j < n; j++) { if (j > 0) s1 += j * x[j] * (p / t); s2 += x[j] * p; p *= t; }
        r[i - 1] = s1 - s2 * s2 - 1;
      }
      r[29] = x[0];
      r[30] = x[1] - x[0] * x[0] - 1;
      return r;
    },
    J: (x) => {
      const J = zeros(31, n);
      for (let i = 1; i <= 29; i++) {
        const t = i / 29;
        let s2 = 0, p = 1;
        for (let j = 0; j < n; j++) { s2 += x[j] * p; p *= t; }
        p = 1;
        for (let j = 0; j < n; j++) { J[i - 1][j] = (j > 0 ? j * (p / t) : 0) - 2 * s2 * p; p *= t; }
      }
      J[29][0] = 1;
      J[30][0] = -2 * x[0]; J[30][1] = 1;
      return J;
    },
  };
}

// 21. Extended Rosenbrock (n even, m = n)
function extendedRosenbrock(n: number): Family {
  const x0 = new Float64Array(n);
  for (let j = 0; j < n; j++) x0[j] = j % 2 === 0 ? -1.2 : 1;
  return {
    id: 21, base: `ext_rosenbrock_n${n}`, m: n, n, x0, fLiterature: 0,
    f: (x) => {
      const r = new Float64Array(n);
      for (let k = 0; k < n; k += 2) { r[k] = 10 * (x[k + 1] - x[k] * x[k]); r[k + 1] = 1 - x[k]; }
      return r;
    },
    J: (x) => {
      const J = zeros(n, n);
      for (let k = 0; k < n; k += 2) { J[k][k] = -20 * x[k]; J[k][k + 1] = 10; J[k + 1][k] = -1; }
      return J;
    },
  };
}

// 22. Extended Powell singular (n multiple of 4, m = n)
function extendedPowell(n: number): Family {
  const x0 = new Float64Array(n);
  for (let j = 0; j < n; j += 4) { x0[j] = 3; x0[j + 1] = -1; x0[j + 2] = 0; x0[j + 3] = 1; }
  return {
    id: 22, base: `ext_powell_n${n}`, m: n, n, x0, fLiterature: 0,
    f: (x) => {
      const r = new Float64Array(n);
      for (let k = 0; k < n; k += 4) {
        r[k] = x[k] + 10 * x[k + 1]; r[k + 1] = SQRT5 * (x[k + 2] - x[k + 3]);
        r[k + 2] = (x[k + 1] - 2 * x[k + 2]) ** 2; r[k + 3] = SQRT10 * (x[k] - x[k + 3]) ** 2;
      }
      return r;
    },
    J: (x) => {
      const J = zeros(n, n);
      for (let k = 0; k < n; k += 4) {
        const a = x[k + 1] - 2 * x[k + 2], b = x[k] - x[k + 3];
        J[k][k] = 1; J[k][k + 1] = 10;
        J[k + 1][k + 2] = SQRT5; J[k + 1][k + 3] = -SQRT5;
        J[k + 2][k + 1] = 2 * a; J[k + 2][k + 2] = -4 * a;
        J[k + 3][k] = 2 * SQRT10 * b; J[k + 3][k + 3] = -2 * SQRT10 * b;
      }
      return J;
    },
  };
}

// 23. Penalty I (m = n + 1)
function penalty1(n: number): Family {
  const lit: Record<number, number> = { 4: 2.24997e-5, 10: 7.08765e-5 };
  return {
    id: 23, base: `penalty1_n${n}`, m: n + 1, n, x0: vec(Array.from({ length: n }, (_, j) => j + 1)), fLiterature: lit[n],
    f: (x) => {
      const r = new Float64Array(n + 1);
      let s = 0;
      for (let j = 0; j < n; j++) { r[j] = SQRT_A * (x[j] - 1); s += x[j] * x[j]; }
      r[n] = s - 0.25;
      return r;
    },
    J: (x) => {
      const J = zeros(n + 1, n);
      for (let j = 0; j < n; j++) { J[j][j] = SQRT_A; J[n][j] = 2 * x[j]; }
      return J;
    },
  };
}

// 24. Penalty II (m = 2n)
function penalty2(n: number): Family {
  const lit: Record<number, number> = { 4: 9.37629e-6, 10: 2.9366e-4 };
  const e01 = Math.exp(-0.1);
  return {
    id: 24, base: `penalty2_n${n}`, m: 2 * n, n, x0: new Float64Array(n).fill(0.5), fLiterature: lit[n],
    f: (x) => {
      const r = new Float64Array(2 * n);
      r[0] = x[0] - 0.2;
      for (let i = 2; i <= n; i++) {
        const y = Math.exp(i / 10) + Math.exp((i - 1) / 10);
        r[i - 1] = SQRT_A * (Math.exp(x[i - 1] / 10) + Math.exp(x[i - 2] / 10) - y);
      }
      for (let i = n + 1; i < 2 * n; i++) r[i - 1] = SQRT_A * (Math.exp(x[i - n] / 10) - e01);
      let s = 0;
      for (let j = 1; j <= n; j++) s += (n - j + 1) * x[j - 1] * x[j - 1];
      r[2 * n - 1] = s - 1;
      return r;
    },
    J: (x) => {
      const J = zeros(2 * n, n);
      J[0][0] = 1;
      for (let i = 2; i <= n; i++) {
        J[i - 1][i - 1] = (SQRT_A * Math.exp(x[i - 1] / 10)) / 10;
        J[i - 1][i - 2] = (SQRT_A * Math.exp(x[i - 2] / 10)) / 10;
      }
      for (let i = n + 1; i < 2 * n; i++) J[i - 1][i - n] = (SQRT_A * Math.exp(x[i - n] / 10)) / 10;
      for (let j = 1; j <= n; j++) J[2 * n - 1][j - 1] = 2 * (n - j + 1) * x[j - 1];
      return J;
    },
  };
}

// 25. Variably dimensioned (m = n + 2)
function variablyDimensioned(n: number): Family {
  return {
    id: 25, base: `variably_dimensioned_n${n}`, m: n + 2, n, x0: vec(Array.from({ length: n }, (_, j) => 1 - (j + 1) / n)), fLiterature: 0,
    f: (x) => {
      const r = new Float64Array(n + 2);
      let s = 0;
      for (let j = 0; j < n; j++) { r[j] = x[j] - 1; s += (j + 1) * (x[j] - 1); }
      r[n] = s; r[n + 1] = s * s;
      return r;
    },
    J: (x) => {
      const J = zeros(n + 2, n);
      let s = 0;
      for (let j = 0; j < n; j++) s += (j + 1) * (x[j] - 1);
      for (let j = 0; j < n; j++) { J[j][j] = 1; J[n][j] = j + 1; J[n + 1][j] = 2 * s * (j + 1); }
      return J;
    },
  };
}

// 26. Trigonometric (m = n); for n = 10 also a local minimum 2.79506e-5
function trigonometric(n: number): Family {
  return {
    id: 26, base: `trigonometric_n${n}`, m: n, n, x0: new Float64Array(n).fill(1 / n), fLiterature: 0,
    f: (x) => {
      let c = 0;
      for (let j = 0; j < n; j++) c += Math.cos(x[j]);
      const r = new Float64Array(n);
      for (let i = 0; i < n; i++) r[i] = n - c + (i + 1) * (1 - Math.cos(x[i])) - Math.sin(x[i]);
      return r;
    },
    J: (x) => {
      const J = zeros(n, n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) J[i][j] = Math.sin(x[j]);
        J[i][i] += (i + 1) * Math.sin(x[i]) - Math.cos(x[i]);
      }
      return J;
    },
  };
}

// 27. Brown almost-linear (m = n); also 1 at (0, ..., 0, n + 1)
function brownAlmostLinear(n: number): Family {
  return {
    id: 27, base: `brown_almost_linear_n${n}`, m: n, n, x0: new Float64Array(n).fill(0.5), fLiterature: 0,
    f: (x) => {
      let s = 0, p = 1;
      for (let j = 0; j < n; j++) { s += x[j]; p *= x[j]; }
      const r = new Float64Array(n);
      for (let i = 0; i < n - 1; i++) r[i] = x[i] + s - (n + 1);
      r[n - 1] = p - 1;
      return r;
    },
    J: (x) => {
      const J = zeros(n, n);
      for (let i = 0; i < n - 1; i++) { J[i].fill(1); J[i][i] = 2; }
      for (let j = 0; j < n; j++) {
        let p = 1;
        for (let k = 0; k < n; k++) if (k !== j) p *= x[k];
        J[n - 1][j] = p;
      }
      return J;
    },
  };
}

// 28. Discrete boundary value (m = n)
function dbvX0(n: number): Vec {
  return vec(Array.from({ length: n }, (_, j) => { const t = (j + 1) / (n + 1); return t * (t - 1); }));
}
function discreteBoundaryValue(n: number): Family {
  const h = 1 / (n + 1);
  return {
    id: 28, base: `discrete_boundary_value_n${n}`, m: n, n, x0: dbvX0(n), fLiterature: 0,
    f: (x) => {
      const r = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const t = (i + 1) * h, u = x[i] + t + 1;
        r[i] = 2 * x[i] - (i > 0 ? x[i - 1] : 0) - (i < n - 1 ? x[i + 1] : 0) + (h * h * u * u * u) / 2;
      }
      return r;
    },
    J: (x) => {
      const J = zeros(n, n);
      for (let i = 0; i < n; i++) {
        const t = (i + 1) * h, u = x[i] + t + 1;
        J[i][i] = 2 + 1.5 * h * h * u * u;
        if (i > 0) J[i][i - 1] = -1;
        if (i < n - 1) J[i][i + 1] = -1;
      }
      return J;
    },
  };
}

// 29. Discrete integral equation (m = n)
function discreteIntegralEquation(n: number): Family {
  const h = 1 / (n + 1);
  return {
    id: 29, base: `discrete_integral_n${n}`, m: n, n, x0: dbvX0(n), fLiterature: 0,
    f: (x) => {
      const r = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const ti = (i + 1) * h;
        let s1 = 0, s2 = 0;
        for (let j = 0; j < n; j++) {
          const tj = (j + 1) * h, u = x[j] + tj + 1, c = u * u * u;
          if (j <= i) s1 += tj * c; else s2 += (1 - tj) * c;
        }
        r[i] = x[i] + (h * ((1 - ti) * s1 + ti * s2)) / 2;
      }
      return r;
    },
    J: (x) => {
      const J = zeros(n, n);
      for (let i = 0; i < n; i++) {
        const ti = (i + 1) * h;
        for (let j = 0; j < n; j++) {
          const tj = (j + 1) * h, u = x[j] + tj + 1;
          J[i][j] = 1.5 * h * u * u * (j <= i ? (1 - ti) * tj : ti * (1 - tj));
        }
        J[i][i] += 1;
      }
      return J;
    },
  };
}

// 30. Broyden tridiagonal (m = n)
function broydenTridiagonal(n: number): Family {
  return {
    id: 30, base: `broyden_tridiagonal_n${n}`, m: n, n, x0: new Float64Array(n).fill(-1), fLiterature: 0,
    f: (x) => {
      const r = new Float64Array(n);
      for (let i = 0; i < n; i++) r[i] = (3 - 2 * x[i]) * x[i] - (i > 0 ? x[i - 1] : 0) - 2 * (i < n - 1 ? x[i + 1] : 0) + 1;
      return r;
    },
    J: (x) => {
      const J = zeros(n, n);
      for (let i = 0; i < n; i++) {
        J[i][i] = 3 - 4 * x[i];
        if (i > 0) J[i][i - 1] = -1;
        if (i < n - 1) J[i][i + 1] = -2;
      }
      return J;
    },
  };
}

// 31. Broyden banded (m = n), ml = 5, mu = 1
function broydenBanded(n: number): Family {
  return {
    id: 31, base: `broyden_banded_n${n}`, m: n, n, x0: new Float64Array(n).fill(-1), fLiterature: 0,
    f: (x) => {
      const r = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = Math.max(0, i - 5); j <= Math.min(n - 1, i + 1); j++) if (j !== i) s += x[j] * (1 + x[j]);
        r[i] = x[i] * (2 + 5 * x[i] * x[i]) + 1 - s;
      }
      return r;
    },
    J: (x) => {
      const J = zeros(n, n);
      for (let i = 0; i < n; i++) {
        for (let j = Math.max(0, i - 5); j <= Math.min(n - 1, i + 1); j++) J[i][j] = j === i ? 2 + 15 * x[i] * x[i] : -(1 + 2 * x[j]);
      }
      return J;
    },
  };
}

// 32. Linear function, full rank (m >= n); minimum m - n
function linearFullRank(n: number, m: number): Family {
  return {
    id: 32, base: `linear_full_rank_n${n}_m${m}`, m, n, x0: new Float64Array(n).fill(1), fLiterature: m - n,
    f: (x) => {
      let s = 0;
      for (let j = 0; j < n; j++) s += x[j];
      const r = new Float64Array(m);
      for (let i = 0; i < m; i++) r[i] = (i < n ? x[i] : 0) - (2 / m) * s - 1;
      return r;
    },
    J: () => {
      const J = zeros(m, n);
      for (let i = 0; i < m; i++) { J[i].fill(-2 / m); if (i < n) J[i][i] += 1; }
      return J;
    },
  };
}

// 33. Linear function, rank 1 (m >= n); minimum m(m - 1) / (2(2m + 1))
function linearRank1(n: number, m: number): Family {
  return {
    id: 33, base: `linear_rank1_n${n}_m${m}`, m, n, x0: new Float64Array(n).fill(1), fLiterature: (m * (m - 1)) / (2 * (2 * m + 1)),
    f: (x) => {
      let s = 0;
      for (let j = 0; j < n; j++) s += (j + 1) * x[j];
      const r = new Float64Array(m);
      for (let i = 0; i < m; i++) r[i] = (i + 1) * s - 1;
      return r;
    },
    J: () => {
      const J = zeros(m, n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) J[i][j] = (i + 1) * (j + 1);
      return J;
    },
  };
}

// 34. Linear function, rank 1 with zero columns and rows; minimum (m^2 + 3m - 6) / (2(2m - 3))
function linearRank1Zero(n: number, m: number): Family {
  return {
    id: 34, base: `linear_rank1_zero_n${n}_m${m}`, m, n, x0: new Float64Array(n).fill(1),
    fLiterature: (m * m + 3 * m - 6) / (2 * (2 * m - 3)),
    f: (x) => {
      let s = 0;
      for (let j = 1; j < n - 1; j++) s += (j + 1) * x[j];
      const r = new Float64Array(m);
      for (let i = 0; i < m; i++) r[i] = i === 0 || i === m - 1 ? -1 : i * s - 1;
      return r;
    },
    J: () => {
      const J = zeros(m, n);
      for (let i = 1; i < m - 1; i++) for (let j = 1; j < n - 1; j++) J[i][j] = i * (j + 1);
      return J;
    },
  };
}

// 35. Chebyquad (m >= n)
function chebyquad(n: number, m: number): Family {
  const lit: Record<string, number> = { '7,7': 0, '8,8': 3.51687e-3, '9,9': 0, '10,10': 6.50395e-3 };
  return {
    id: 35, base: m === n ? `chebyquad_n${n}` : `chebyquad_n${n}_m${m}`, m, n,
    x0: vec(Array.from({ length: n }, (_, j) => (j + 1) / (n + 1))), fLiterature: lit[`${n},${m}`],
    f: (x) => {
      const r = new Float64Array(m);
      for (let j = 0; j < n; j++) {
        const y = 2 * x[j] - 1;
        let tPrev = 1, t = y;
        for (let i = 1; i <= m; i++) {
          r[i - 1] += t / n;
          const tNext = 2 * y * t - tPrev;
          tPrev = t; t = tNext;
        }
      }
      for (let i = 2; i <= m; i += 2) r[i - 1] += 1 / (i * i - 1);
      return r;
    },
    J: (x) => {
      const J = zeros(m, n);
      for (let j = 0; j < n; j++) {
        const y = 2 * x[j] - 1;
        let tPrev = 1, t = y, dPrev = 0, d = 1;
        for (let i = 1; i <= m; i++) {
          J[i - 1][j] = (2 * d) / n;
          const tNext = 2 * y * t - tPrev, dNext = 2 * t + 2 * y * d - dPrev;
          tPrev = t; t = tNext; dPrev = d; d = dNext;
        }
      }
      return J;
    },
  };
}

// ---------------------------------------------------------------------------------------------

function scaledStart(x0: Vec, factor: number): Vec {
  if (factor === 1) return Float64Array.from(x0);
  if (x0.every((v) => v === 0)) return new Float64Array(x0.length).fill(factor);
  return x0.map((v) => v * factor);
}

function unbounded(fam: Family, factor = 1): MghProblem {
  return {
    name: factor === 1 ? fam.base : `${fam.base}_x${factor}`, id: fam.id, m: fam.m, n: fam.n,
    x0: scaledStart(fam.x0, factor), factor, residual: fam.f, jacobian: fam.J, fLiterature: fam.fLiterature,
  };
}

function withFactors(fam: Family, factors: number[]): MghProblem[] {
  return factors.map((k) => unbounded(fam, k));
}

/** 80 unbounded runs: MINPACK's 53 lmder test cases plus the remaining MGH problems. */
export const MGH_PROBLEMS: MghProblem[] = [
  ...withFactors(rosenbrock(), [1, 10, 100]),
  ...withFactors(freudensteinRoth(), [1, 10, 100]),
  unbounded(powellBadlyScaled()),
  unbounded(brownBadlyScaled()),
  unbounded(beale()),
  unbounded(jennrichSampson()),
  ...withFactors(helicalValley(), [1, 10, 100]),
  ...withFactors(bard(), [1, 10, 100]),
  unbounded(gaussian()),
  ...withFactors(meyer(), [1, 10]),
  unbounded(gulf()),
  unbounded(box3d()),
  ...withFactors(powellSingular(), [1, 10, 100]),
  ...withFactors(wood(), [1, 10]),
  ...withFactors(kowalikOsborne(), [1, 10, 100]),
  ...withFactors(brownDennis(), [1, 10, 100]),
  unbounded(osborne1()),
  unbounded(biggs()),
  unbounded(osborne2()),
  ...withFactors(watson(6), [1, 10, 100]),
  ...withFactors(watson(9), [1, 10, 100]),
  ...withFactors(watson(12), [1, 10, 100]),
  ...withFactors(extendedRosenbrock(10), [1, 10]),
  ...withFactors(extendedPowell(12), [1, 10]),
  unbounded(penalty1(4)),
  unbounded(penalty1(10)),
  unbounded(penalty2(4)),
  unbounded(penalty2(10)),
  ...withFactors(variablyDimensioned(10), [1, 10]),
  ...withFactors(trigonometric(10), [1, 10]),
  ...withFactors(brownAlmostLinear(10), [1, 10, 100]),
  unbounded(brownAlmostLinear(30)),
  unbounded(brownAlmostLinear(40)),
  ...withFactors(discreteBoundaryValue(10), [1, 10]),
  ...withFactors(discreteIntegralEquation(10), [1, 10]),
  unbounded(broydenTridiagonal(10)),
  unbounded(broydenBanded(10)),
  unbounded(linearFullRank(5, 10)),
  unbounded(linearFullRank(5, 50)),
  unbounded(linearRank1(5, 10)),
  unbounded(linearRank1(5, 50)),
  unbounded(linearRank1Zero(5, 10)),
  unbounded(linearRank1Zero(5, 50)),
  ...withFactors(chebyquad(1, 8), [1, 10, 100]),
  unbounded(chebyquad(7, 7)),
  ...withFactors(chebyquad(8, 8), [1, 10]),
  unbounded(chebyquad(9, 9)),
  ...withFactors(chebyquad(10, 10), [1, 10]),
];

function bounded(fam: Family, lb: ArrayLike<number>, ub: ArrayLike<number>, opts: { x0?: ArrayLike<number>; suffix?: string } = {}): MghProblem {
  const l = vec(lb), u = vec(ub);
  if (l.length !== fam.n || u.length !== fam.n) throw new Error(`${fam.base}: bounds of the wrong length`);
  const x0 = vec(opts.x0 ?? fam.x0).map((v, j) => Math.min(Math.max(v, l[j]), u[j]));
  return {
    name: `${fam.base}_b${opts.suffix ?? ''}`, id: fam.id, m: fam.m, n: fam.n, x0, factor: 1,
    residual: fam.f, jacobian: fam.J, bounds: [l, u],
  };
}

const INF = Infinity;
const rep = (n: number, v: number) => new Array<number>(n).fill(v);
const pattern = (n: number, block: number[]) => Array.from({ length: n }, (_, j) => block[j % block.length]);

/**
 * Bounded variants (Gay 1984 bounds; x0 clipped into the box). Changes from Gay: Gulf uses x1 >= 0.1
 * (x1 divides), Trigonometric starts at 10(i - 1) + 1/n (its box excludes the standard x0), and
 * three Rosenbrock boxes from scipy's documentation / benchmarks are added.
 */
export const MGH_BOUNDED: MghProblem[] = [
  bounded(rosenbrock(), [-50, 0], [0.5, 100]),
  bounded(rosenbrock(), [-INF, 1.5], [INF, INF], { x0: [2, 2], suffix: '2' }),
  bounded(rosenbrock(), [-INF, 1.5], [1, INF], { x0: [0, 2], suffix: '3' }),
  bounded(rosenbrock(), [1, 1.5], [3, 3], { x0: [2, 2], suffix: '4' }),
  bounded(freudensteinRoth(), [0, -30], [20, -0.9]),
  bounded(powellBadlyScaled(), [0, 1], [1, 9]),
  bounded(brownBadlyScaled(), [0, 3e-5], [1e6, 100]),
  bounded(beale(), [0.6, 0.5], [10, 100]),
  bounded(jennrichSampson(), [0.26, 0], [10, 20]),
  bounded(helicalValley(), [-100, -1, -1], [0.8, 1, 1]),
  bounded(bard(), [0.1, 0, 0], [50, 100, 50]),
  bounded(gaussian(), [0.398, 1, -0.5], [4.2, 2, 0.1]),
  bounded(meyer(), [0.006, 0, 0], [2, 3e5, 3e4]),
  bounded(gulf(), [0.1, 0, 0], [10, 10, 10]),
  bounded(box3d(), [0, 5, 0], [2, 9.5, 20]),
  bounded(powellSingular(), [0.1, -20, -1, -1], [100, 20, 1, 50]),
  bounded(wood(), [-100, -100, -100, -100], [0, 10, 100, 100]),
  bounded(kowalikOsborne(), [0, -1, 0.13, 0.12], [10, 12, 13, 12]),
  bounded(brownDennis(), [-10, 0, -100, -20], [100, 15, 0, 0.2]),
  bounded(osborne1(), [0, 0, -50, 0, 0], [50, 1.9, -0.1, 10, 10]),
  bounded(biggs(), [0, 0, 0, 1, 0, 0], [2, 8, 1, 7, 5, 5]),
  bounded(osborne2(), [1, 0.5, 0, 0.6, 0, 0, 0, 0, 0, 0, 0], [150, 100, 100, 100, 100, 500, 500, 500, 100, 10, 10]),
  bounded(watson(6), [-0.015, -10, -10, -10, -10, -10], [10, 100, 100, 100, 100, 0.99]),
  bounded(watson(9), [-1e-5, 0, 0, 0, 0, -3, 0, -3, 0], [1e-5, 0.9, 0.1, 1, 1, 0, 4, 0, 2]),
  bounded(watson(12), [-1, 0, -1, -1, -1, 0, -3, 0, -10, 0, -5, 0], [0, 0.9, 0, 0.3, 0, 1, 0, 10, 0, 10, 0, 1]),
  bounded(extendedRosenbrock(10), pattern(10, [-50, 0]), pattern(10, [0.5, 100])),
  bounded(extendedPowell(12), pattern(12, [0.1, -20, -1, -1]), pattern(12, [100, 20, 1, 50])),
  bounded(penalty1(10), [0, 1, 0, 0, 0, 1, 0, 0, 0, 1], rep(10, 100)),
  bounded(penalty2(4), [-10, 0.3, 0, -1], [50, 50, 50, 0.5]),
  bounded(penalty2(10), [-10, 0.1, 0, 0.05, 0, -10, 0, 0.2, 0, 0], [...rep(9, 50), 0.5]),
  bounded(variablyDimensioned(10), rep(10, 0), [10, 20, 30, 40, 50, 60, 70, 80, 90, 0.5]),
  bounded(trigonometric(10), Array.from({ length: 10 }, (_, i) => 10 * i), Array.from({ length: 10 }, (_, i) => 10 * i + 10), {
    x0: Array.from({ length: 10 }, (_, i) => 10 * i + 0.1),
  }),
  bounded(brownAlmostLinear(10), pattern(10, [0, 1, 0, 0, 0, 0, 0, 0, 0, 0]), pattern(10, [100, 100, 0.9, 100, 100, 100, 100, 100, 100, 100])),
  bounded(linearFullRank(5, 10), [-0.5, -2, -2, -2, -2], rep(5, 100)),
  bounded(linearRank1(5, 10), [-0.9, -2, -2, -2, -2], rep(5, 100)),
  bounded(linearRank1Zero(5, 10), [0, -0.4, 0.3, 0, 0], rep(5, 100)),
  bounded(chebyquad(7, 7), rep(7, 0), [0.05, 0.23, 0.333, 1, 1, 1, 1]),
  bounded(chebyquad(8, 8), [0, 0, 0.1, 0, 0, 0, 0, 0], [0.04, 0.2, 0.3, 1, 1, 1, 1, 1]),
  bounded(chebyquad(9, 9), [0, 0, 0.1, 0, 0, 0, 0, 0, 0], [1, 0.2, 0.23, 0.4, 1, 1, 1, 1, 1]),
  bounded(chebyquad(10, 10), [0, 0.1, 0.2, 0, 0, 0.5, 0.5, 0.5, 0.5, 0.5], [1, 0.2, 0.3, 0.4, 0.4, 1, 1, 1, 1, 1]),
];

// =============================================================================================
// Large sparse problems

export interface SparseTriplets {
  rows: Int32Array;
  cols: Int32Array;
  vals: Float64Array;
}

export interface SparseProblem {
  name: string;
  m: number;
  n: number;
  x0: Float64Array;
  bounds?: [Float64Array, Float64Array];
  residual(x: Float64Array): Float64Array;
  /** Analytic Jacobian as triplets; rows / cols are the `sparsity` arrays (shared), vals in that order. */
  jacobian(x: Float64Array): SparseTriplets;
  /** Structural nonzeros (no duplicates), row-major order, for finite-difference column grouping. */
  sparsity: { rows: Int32Array; cols: Int32Array };
  /** Minimum of sum f_i^2 reported in the literature where known (all of these: 0 at a global minimum). */
  fLiterature?: number;
}

/**
 * Builds a problem from a row-major pattern given per row (cols of row i) and a values function that
 * fills vals in pattern order.
 */
function sparseProblem(spec: {
  name: string; m: number; n: number; x0: Vec; bounds?: [Vec, Vec]; fLiterature?: number;
  rowCols: (i: number) => number[];
  f: (x: Vec) => Vec;
  vals: (x: Vec, out: Vec) => void;
}): SparseProblem {
  const r: number[] = [], c: number[] = [];
  for (let i = 0; i < spec.m; i++) for (const j of spec.rowCols(i)) { r.push(i); c.push(j); }
  const rows = Int32Array.from(r), cols = Int32Array.from(c);
  return {
    name: spec.name, m: spec.m, n: spec.n, x0: spec.x0, bounds: spec.bounds, fLiterature: spec.fLiterature,
    residual: spec.f,
    jacobian: (x) => { const vals = new Float64Array(rows.length); spec.vals(x, vals); return { rows, cols, vals }; },
    sparsity: { rows, cols },
  };
}

function spExtRosenbrock(n: number, bounds?: [Vec, Vec], suffix = '', x0?: Vec): SparseProblem {
  return sparseProblem({
    name: `ext_rosenbrock${suffix}`, m: n, n, x0: x0 ?? extendedRosenbrock(n).x0, bounds, fLiterature: bounds ? undefined : 0,
    rowCols: (i) => (i % 2 === 0 ? [i, i + 1] : [i - 1]),
    f: extendedRosenbrock(n).f,
    vals: (x, v) => { let k = 0; for (let i = 0; i < n; i += 2) { v[k++] = -20 * x[i]; v[k++] = 10; v[k++] = -1; } },
  });
}

function spExtPowell(n: number, bounds?: [Vec, Vec], suffix = ''): SparseProblem {
  const fam = extendedPowell(n);
  return sparseProblem({
    name: `ext_powell${suffix}`, m: n, n, x0: fam.x0, bounds, fLiterature: bounds ? undefined : 0,
    rowCols: (i) => {
      const k = i - (i % 4);
      return [[k, k + 1], [k + 2, k + 3], [k + 1, k + 2], [k, k + 3]][i % 4];
    },
    f: fam.f,
    vals: (x, v) => {
      let p = 0;
      for (let k = 0; k < n; k += 4) {
        const a = x[k + 1] - 2 * x[k + 2], b = x[k] - x[k + 3];
        v[p++] = 1; v[p++] = 10; v[p++] = SQRT5; v[p++] = -SQRT5;
        v[p++] = 2 * a; v[p++] = -4 * a; v[p++] = 2 * SQRT10 * b; v[p++] = -2 * SQRT10 * b;
      }
    },
  });
}

function spBroydenTridiagonal(n: number): SparseProblem {
  return sparseProblem({
    name: 'broyden_tridiagonal', m: n, n, x0: new Float64Array(n).fill(-1), fLiterature: 0,
    rowCols: (i) => [i - 1, i, i + 1].filter((j) => j >= 0 && j < n),
    f: broydenTridiagonal(n).f,
    vals: (x, v) => {
      let p = 0;
      for (let i = 0; i < n; i++) { if (i > 0) v[p++] = -1; v[p++] = 3 - 4 * x[i]; if (i < n - 1) v[p++] = -2; }
    },
  });
}

function spBroydenBanded(n: number): SparseProblem {
  return sparseProblem({
    name: 'broyden_banded', m: n, n, x0: new Float64Array(n).fill(-1), fLiterature: 0,
    rowCols: (i) => { const c: number[] = []; for (let j = Math.max(0, i - 5); j <= Math.min(n - 1, i + 1); j++) c.push(j); return c; },
    f: broydenBanded(n).f,
    vals: (x, v) => {
      let p = 0;
      for (let i = 0; i < n; i++) for (let j = Math.max(0, i - 5); j <= Math.min(n - 1, i + 1); j++) v[p++] = j === i ? 2 + 15 * x[i] * x[i] : -(1 + 2 * x[j]);
    },
  });
}

function spDiscreteBoundaryValue(n: number): SparseProblem {
  const h = 1 / (n + 1);
  return sparseProblem({
    name: 'discrete_boundary_value', m: n, n, x0: dbvX0(n), fLiterature: 0,
    rowCols: (i) => [i - 1, i, i + 1].filter((j) => j >= 0 && j < n),
    f: discreteBoundaryValue(n).f,
    vals: (x, v) => {
      let p = 0;
      for (let i = 0; i < n; i++) {
        const u = x[i] + (i + 1) * h + 1;
        if (i > 0) v[p++] = -1;
        v[p++] = 2 + 1.5 * h * h * u * u;
        if (i < n - 1) v[p++] = -1;
      }
    },
  });
}

/** Extended Wood: Wood's 6 residuals on each block of 4 variables (m = 1.5 n). */
function spExtWood(n: number): SparseProblem {
  const x0 = new Float64Array(n);
  for (let k = 0; k < n; k += 4) { x0[k] = -3; x0[k + 1] = -1; x0[k + 2] = -3; x0[k + 3] = -1; }
  const m = (3 * n) / 2;
  return sparseProblem({
    name: 'ext_wood', m, n, x0, fLiterature: 0,
    rowCols: (i) => {
      const k = 4 * Math.floor(i / 6);
      return [[k, k + 1], [k], [k + 2, k + 3], [k + 2], [k + 1, k + 3], [k + 1, k + 3]][i % 6];
    },
    f: (x) => {
      const r = new Float64Array(m);
      for (let b = 0, k = 0; k < n; k += 4, b += 6) {
        r[b] = 10 * (x[k + 1] - x[k] * x[k]); r[b + 1] = 1 - x[k];
        r[b + 2] = SQRT90 * (x[k + 3] - x[k + 2] * x[k + 2]); r[b + 3] = 1 - x[k + 2];
        r[b + 4] = SQRT10 * (x[k + 1] + x[k + 3] - 2); r[b + 5] = (x[k + 1] - x[k + 3]) / SQRT10;
      }
      return r;
    },
    vals: (x, v) => {
      let p = 0;
      for (let k = 0; k < n; k += 4) {
        v[p++] = -20 * x[k]; v[p++] = 10; v[p++] = -1;
        v[p++] = -2 * SQRT90 * x[k + 2]; v[p++] = SQRT90; v[p++] = -1;
        v[p++] = SQRT10; v[p++] = SQRT10; v[p++] = 1 / SQRT10; v[p++] = -1 / SQRT10;
      }
    },
  });
}

/**
 * Extended Kowalik and Osborne: the 11 residuals of problem 15 on each block of 4 variables
 * (m = 2.75 n); a nonzero-residual problem, minimum about 3.07505e-4 per block (sum f^2).
 */
function spExtKowalikOsborne(n: number): SparseProblem {
  const blocks = n / 4, m = 11 * blocks;
  const x0 = new Float64Array(n);
  for (let k = 0; k < n; k += 4) x0.set([0.25, 0.39, 0.415, 0.39], k);
  return sparseProblem({
    name: 'ext_kowalik_osborne', m, n, x0, fLiterature: blocks * 3.07505e-4,
    rowCols: (i) => { const k = 4 * Math.floor(i / 11); return [k, k + 1, k + 2, k + 3]; },
    f: (x) => {
      const r = new Float64Array(m);
      for (let b = 0; b < blocks; b++) {
        const k = 4 * b;
        for (let i = 0; i < 11; i++) {
          const u = KO_U[i];
          r[11 * b + i] = KO_Y[i] - (x[k] * (u * u + u * x[k + 1])) / (u * u + u * x[k + 2] + x[k + 3]);
        }
      }
      return r;
    },
    vals: (x, v) => {
      let p = 0;
      for (let k = 0; k < n; k += 4) {
        for (let i = 0; i < 11; i++) {
          const u = KO_U[i], num = u * u + u * x[k + 1], den = u * u + u * x[k + 2] + x[k + 3];
          v[p++] = -num / den; v[p++] = (-x[k] * u) / den; v[p++] = (x[k] * num * u) / (den * den); v[p++] = (x[k] * num) / (den * den);
        }
      }
    },
  });
}

/** Extended Freudenstein and Roth: blocks of 2 (m = n); local minima at 24.49 per block. */
function spExtFreudensteinRoth(n: number): SparseProblem {
  const x0 = new Float64Array(n);
  for (let j = 0; j < n; j += 2) { x0[j] = 0.5; x0[j + 1] = -2; }
  return sparseProblem({
    name: 'ext_freudenstein_roth', m: n, n, x0, fLiterature: 0,
    rowCols: (i) => { const k = i - (i % 2); return [k, k + 1]; },
    f: (x) => {
      const r = new Float64Array(n);
      for (let k = 0; k < n; k += 2) {
        const y = x[k + 1];
        r[k] = -13 + x[k] + ((5 - y) * y - 2) * y;
        r[k + 1] = -29 + x[k] + ((y + 1) * y - 14) * y;
      }
      return r;
    },
    vals: (x, v) => {
      let p = 0;
      for (let k = 0; k < n; k += 2) {
        const y = x[k + 1];
        v[p++] = 1; v[p++] = (10 - 3 * y) * y - 2; v[p++] = 1; v[p++] = (3 * y + 2) * y - 14;
      }
    },
  });
}

/** Extended Beale: Beale's 3 residuals on each block of 2 (m = 1.5 n). */
function spExtBeale(n: number): SparseProblem {
  const m = (3 * n) / 2;
  const Y = [1.5, 2.25, 2.625];
  return sparseProblem({
    name: 'ext_beale', m, n, x0: new Float64Array(n).fill(1), fLiterature: 0,
    rowCols: (i) => { const k = 2 * Math.floor(i / 3); return [k, k + 1]; },
    f: (x) => {
      const r = new Float64Array(m);
      for (let b = 0, k = 0; k < n; k += 2, b += 3) {
        const y = x[k + 1];
        r[b] = Y[0] - x[k] * (1 - y); r[b + 1] = Y[1] - x[k] * (1 - y * y); r[b + 2] = Y[2] - x[k] * (1 - y * y * y);
      }
      return r;
    },
    vals: (x, v) => {
      let p = 0;
      for (let k = 0; k < n; k += 2) {
        const a = x[k], y = x[k + 1];
        v[p++] = -(1 - y); v[p++] = a;
        v[p++] = -(1 - y * y); v[p++] = 2 * a * y;
        v[p++] = -(1 - y * y * y); v[p++] = 3 * a * y * y;
      }
    },
  });
}

/**
 * Eleven sparse problems of n variables (n a multiple of 4): nine unbounded (one, extended
 * Kowalik-Osborne, with a nonzero residual at the minimum), two bounded.
 * The bounded ones: extended Rosenbrock with x_odd >= 1.5 (scipy's documented Rosenbrock box, start
 * (2, 2) per block) and extended Powell singular with Gay's box.
 */
export function makeSparseProblems(n = 10000): SparseProblem[] {
  if (n % 4 !== 0 || n < 4) throw new Error('makeSparseProblems: n must be a positive multiple of 4');
  const rosLb = new Float64Array(n), rosUb = new Float64Array(n).fill(Infinity);
  for (let j = 0; j < n; j++) rosLb[j] = j % 2 === 0 ? -Infinity : 1.5;
  const powLb = vec(pattern(n, [0.1, -20, -1, -1])), powUb = vec(pattern(n, [100, 20, 1, 50]));
  return [
    spExtRosenbrock(n),
    spExtPowell(n),
    spBroydenTridiagonal(n),
    spBroydenBanded(n),
    spDiscreteBoundaryValue(n),
    spExtWood(n),
    spExtKowalikOsborne(n),
    spExtFreudensteinRoth(n),
    spExtBeale(n),
    spExtRosenbrock(n, [rosLb, rosUb], '_b', new Float64Array(n).fill(2)),
    spExtPowell(n, [powLb, powUb], '_b'),
  ];
}

/** The 10,000-variable set (built on first use). */
let sparseCache: SparseProblem[] | undefined;
export function sparseProblems(): SparseProblem[] {
  return (sparseCache ??= makeSparseProblems(10000));
}

/** The same list as sparseProblems(), built eagerly (a few hundred kB of index arrays). */
export const SPARSE_PROBLEMS: SparseProblem[] = sparseProblems();

/** Dense rows from triplets (for small n in tests). */
export function tripletsToRows(t: SparseTriplets, m: number, n: number): Float64Array[] {
  const J = zeros(m, n);
  for (let k = 0; k < t.vals.length; k++) J[t.rows[k]][t.cols[k]] += t.vals[k];
  return J;
}
