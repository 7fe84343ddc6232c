/**
 * NIST StRD nonlinear regression reference sets (https://www.itl.nist.gov/div898/strd/nls/nls_main.shtml).
 *
 * The .dat files live outside the project in ../shared/data/nist (relative to the repository root) and
 * are read at run time; nothing from them is copied here. Each file states in its header on which
 * lines the starting values, the certified values and the data are; the parser follows those numbers.
 *
 * Residuals are model(b, x) - y, except Nelson which fits log(y): model(b, x) - log(y).
 * The Jacobian is analytic, returned as rows (one Float64Array of length nParams per observation).
 * The twin of every model is in test/fixtures/least_squares/make_fixtures.py; keep the two in step.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NistProblem {
  name: string;
  /** The (first) predictor column. */
  x: Float64Array;
  /** The second predictor column (Nelson only). */
  x2?: Float64Array;
  /** The response as printed in the file (Nelson: y, not log y). */
  y: Float64Array;
  starts: [Float64Array, Float64Array];
  certified: Float64Array;
  certifiedStd: Float64Array;
  /** Certified residual sum of squares, sum r_i^2 (the cost is half of it). */
  certifiedRss: number;
  nParams: number;
  nObs: number;
  /** NIST difficulty level from the file name list: 'lower' | 'average' | 'higher'. */
  difficulty: NistDifficulty;
  /** The model as written in the file. */
  modelText: string;
  residual(b: Float64Array): Float64Array;
  /** Rows of the m x n Jacobian of the residual. */
  jacobian(b: Float64Array): Float64Array[];
}

export type NistDifficulty = 'lower' | 'average' | 'higher';

/** One model: value and gradient with respect to b at one observation. */
export interface NistModel {
  nParams: number;
  difficulty: NistDifficulty;
  /** Nelson fits log(y). */
  logResponse?: boolean;
  value(b: Float64Array, x: number, x2: number): number;
  /** Writes d value / d b into g (length nParams). */
  grad(b: Float64Array, x: number, x2: number, g: Float64Array): void;
}

const TWO_PI = 2 * Math.PI;

function exponential3(): Pick<NistModel, 'value' | 'grad'> {
  // b1*exp(-b2 x) + b3*exp(-b4 x) + b5*exp(-b6 x)  (Lanczos)
  return {
    value: (b, x) => b[0] * Math.exp(-b[1] * x) + b[2] * Math.exp(-b[3] * x) + b[4] * Math.exp(-b[5] * x),
    grad: (b, x, _x2, g) => {
      const e1 = Math.exp(-b[1] * x), e2 = Math.exp(-b[3] * x), e3 = Math.exp(-b[5] * x);
      g[0] = e1; g[1] = -b[0] * x * e1;
      g[2] = e2; g[3] = -b[2] * x * e2;
      g[4] = e3; g[5] = -b[4] * x * e3;
    },
  };
}

function gauss(): Pick<NistModel, 'value' | 'grad'> {
  // b1*exp(-b2 x) + b3*exp(-(x-b4)^2/b5^2) + b6*exp(-(x-b7)^2/b8^2)
  return {
    value: (b, x) => {
      const d1 = x - b[3], d2 = x - b[6];
      return b[0] * Math.exp(-b[1] * x) + b[2] * Math.exp(-(d1 * d1) / (b[4] * b[4])) + b[5] * Math.exp(-(d2 * d2) / (b[7] * b[7]));
    },
    grad: (b, x, _x2, g) => {
      const e0 = Math.exp(-b[1] * x);
      const d1 = x - b[3], d2 = x - b[6];
      const e1 = Math.exp(-(d1 * d1) / (b[4] * b[4]));
      const e2 = Math.exp(-(d2 * d2) / (b[7] * b[7]));
      g[0] = e0;
      g[1] = -b[0] * x * e0;
      g[2] = e1;
      g[3] = (2 * b[2] * d1 * e1) / (b[4] * b[4]);
      g[4] = (2 * b[2] * d1 * d1 * e1) / (b[4] * b[4] * b[4]);
      g[5] = e2;
      g[6] = (2 * b[5] * d2 * e2) / (b[7] * b[7]);
      g[7] = (2 * b[5] * d2 * d2 * e2) / (b[7] * b[7] * b[7]);
    },
  };
}

function rational33(): Pick<NistModel, 'value' | 'grad'> {
  // (b1 + b2 x + b3 x^2 + b4 x^3) / (1 + b5 x + b6 x^2 + b7 x^3)  (Hahn1, Thurber)
  return {
    value: (b, x) => (b[0] + x * (b[1] + x * (b[2] + x * b[3]))) / (1 + x * (b[4] + x * (b[5] + x * b[6]))),
    grad: (b, x, _x2, g) => {
      const num = b[0] + x * (b[1] + x * (b[2] + x * b[3]));
      const den = 1 + x * (b[4] + x * (b[5] + x * b[6]));
      const x2 = x * x, x3 = x2 * x, q = num / (den * den);
      g[0] = 1 / den; g[1] = x / den; g[2] = x2 / den; g[3] = x3 / den;
      g[4] = -x * q; g[5] = -x2 * q; g[6] = -x3 * q;
    },
  };
}

/**
 * All 27 StRD nonlinear sets; only those whose file is present are loaded. Difficulty levels as NIST
 * lists them.
 */
export const NIST_MODELS: Record<string, NistModel> = {
  Misra1a: {
    nParams: 2, difficulty: 'lower',
    value: (b, x) => b[0] * (1 - Math.exp(-b[1] * x)),
    grad: (b, x, _x2, g) => { const e = Math.exp(-b[1] * x); g[0] = 1 - e; g[1] = b[0] * x * e; },
  },
  Chwirut2: {
    nParams: 3, difficulty: 'lower',
    value: (b, x) => Math.exp(-b[0] * x) / (b[1] + b[2] * x),
    grad: (b, x, _x2, g) => {
      const e = Math.exp(-b[0] * x), d = b[1] + b[2] * x;
      g[0] = (-x * e) / d; g[1] = -e / (d * d); g[2] = (-x * e) / (d * d);
    },
  },
  Chwirut1: {
    nParams: 3, difficulty: 'lower',
    value: (b, x) => Math.exp(-b[0] * x) / (b[1] + b[2] * x),
    grad: (b, x, _x2, g) => {
      const e = Math.exp(-b[0] * x), d = b[1] + b[2] * x;
      g[0] = (-x * e) / d; g[1] = -e / (d * d); g[2] = (-x * e) / (d * d);
    },
  },
  Lanczos3: { nParams: 6, difficulty: 'lower', ...exponential3() },
  Gauss1: { nParams: 8, difficulty: 'lower', ...gauss() },
  Gauss2: { nParams: 8, difficulty: 'lower', ...gauss() },
  DanWood: {
    nParams: 2, difficulty: 'lower',
    value: (b, x) => b[0] * Math.pow(x, b[1]),
    grad: (b, x, _x2, g) => { const p = Math.pow(x, b[1]); g[0] = p; g[1] = b[0] * Math.log(x) * p; },
  },
  Misra1b: {
    nParams: 2, difficulty: 'lower',
    value: (b, x) => b[0] * (1 - Math.pow(1 + (b[1] * x) / 2, -2)),
    grad: (b, x, _x2, g) => {
      const u = 1 + (b[1] * x) / 2;
      g[0] = 1 - 1 / (u * u); g[1] = (b[0] * x) / (u * u * u);
    },
  },
  Kirby2: {
    nParams: 5, difficulty: 'average',
    value: (b, x) => (b[0] + b[1] * x + b[2] * x * x) / (1 + b[3] * x + b[4] * x * x),
    grad: (b, x, _x2, g) => {
      const num = b[0] + b[1] * x + b[2] * x * x, den = 1 + b[3] * x + b[4] * x * x, q = num / (den * den);
      g[0] = 1 / den; g[1] = x / den; g[2] = (x * x) / den; g[3] = -x * q; g[4] = -x * x * q;
    },
  },
  Hahn1: { nParams: 7, difficulty: 'average', ...rational33() },
  Nelson: {
    nParams: 3, difficulty: 'average', logResponse: true,
    value: (b, x1, x2) => b[0] - b[1] * x1 * Math.exp(-b[2] * x2),
    grad: (b, x1, x2, g) => {
      const e = Math.exp(-b[2] * x2);
      g[0] = 1; g[1] = -x1 * e; g[2] = b[1] * x1 * x2 * e;
    },
  },
  MGH17: {
    nParams: 5, difficulty: 'average',
    value: (b, x) => b[0] + b[1] * Math.exp(-x * b[3]) + b[2] * Math.exp(-x * b[4]),
    grad: (b, x, _x2, g) => {
      const e1 = Math.exp(-x * b[3]), e2 = Math.exp(-x * b[4]);
      g[0] = 1; g[1] = e1; g[2] = e2; g[3] = -b[1] * x * e1; g[4] = -b[2] * x * e2;
    },
  },
  Lanczos1: { nParams: 6, difficulty: 'average', ...exponential3() },
  Lanczos2: { nParams: 6, difficulty: 'average', ...exponential3() },
  Gauss3: { nParams: 8, difficulty: 'average', ...gauss() },
  Misra1c: {
    nParams: 2, difficulty: 'average',
    value: (b, x) => b[0] * (1 - Math.pow(1 + 2 * b[1] * x, -0.5)),
    grad: (b, x, _x2, g) => {
      const u = 1 + 2 * b[1] * x;
      g[0] = 1 - Math.pow(u, -0.5); g[1] = b[0] * x * Math.pow(u, -1.5);
    },
  },
  Misra1d: {
    nParams: 2, difficulty: 'average',
    value: (b, x) => (b[0] * b[1] * x) / (1 + b[1] * x),
    grad: (b, x, _x2, g) => {
      const u = 1 + b[1] * x;
      g[0] = (b[1] * x) / u; g[1] = (b[0] * x) / (u * u);
    },
  },
  Roszman1: {
    nParams: 4, difficulty: 'average',
    value: (b, x) => b[0] - b[1] * x - Math.atan(b[2] / (x - b[3])) / Math.PI,
    grad: (b, x, _x2, g) => {
      const d = x - b[3], t = b[2] / d, w = 1 / (Math.PI * (1 + t * t));
      g[0] = 1; g[1] = -x; g[2] = -w / d; g[3] = (-w * b[2]) / (d * d);
    },
  },
  ENSO: {
    nParams: 9, difficulty: 'average',
    value: (b, x) => {
      const a = (TWO_PI * x) / 12, p = (TWO_PI * x) / b[3], q = (TWO_PI * x) / b[6];
      return b[0] + b[1] * Math.cos(a) + b[2] * Math.sin(a) + b[4] * Math.cos(p) + b[5] * Math.sin(p) + b[7] * Math.cos(q) + b[8] * Math.sin(q);
    },
    grad: (b, x, _x2, g) => {
      const a = (TWO_PI * x) / 12, p = (TWO_PI * x) / b[3], q = (TWO_PI * x) / b[6];
      g[0] = 1; g[1] = Math.cos(a); g[2] = Math.sin(a);
      // d p / d b4 = -p / b4
      g[3] = (-b[4] * Math.sin(p) + b[5] * Math.cos(p)) * (-p / b[3]);
      g[4] = Math.cos(p); g[5] = Math.sin(p);
      g[6] = (-b[7] * Math.sin(q) + b[8] * Math.cos(q)) * (-q / b[6]);
      g[7] = Math.cos(q); g[8] = Math.sin(q);
    },
  },
  MGH09: {
    nParams: 4, difficulty: 'higher',
    value: (b, x) => (b[0] * (x * x + x * b[1])) / (x * x + x * b[2] + b[3]),
    grad: (b, x, _x2, g) => {
      const num = x * x + x * b[1], den = x * x + x * b[2] + b[3];
      g[0] = num / den; g[1] = (b[0] * x) / den; g[2] = (-b[0] * num * x) / (den * den); g[3] = (-b[0] * num) / (den * den);
    },
  },
  Thurber: { nParams: 7, difficulty: 'higher', ...rational33() },
  BoxBOD: {
    nParams: 2, difficulty: 'higher',
    value: (b, x) => b[0] * (1 - Math.exp(-b[1] * x)),
    grad: (b, x, _x2, g) => { const e = Math.exp(-b[1] * x); g[0] = 1 - e; g[1] = b[0] * x * e; },
  },
  Rat42: {
    nParams: 3, difficulty: 'higher',
    value: (b, x) => b[0] / (1 + Math.exp(b[1] - b[2] * x)),
    grad: (b, x, _x2, g) => {
      const e = Math.exp(b[1] - b[2] * x), d = 1 + e;
      g[0] = 1 / d; g[1] = (-b[0] * e) / (d * d); g[2] = (b[0] * x * e) / (d * d);
    },
  },
  MGH10: {
    nParams: 3, difficulty: 'higher',
    value: (b, x) => b[0] * Math.exp(b[1] / (x + b[2])),
    grad: (b, x, _x2, g) => {
      const d = x + b[2], e = Math.exp(b[1] / d);
      g[0] = e; g[1] = (b[0] * e) / d; g[2] = (-b[0] * b[1] * e) / (d * d);
    },
  },
  Eckerle4: {
    nParams: 3, difficulty: 'higher',
    value: (b, x) => { const u = (x - b[2]) / b[1]; return (b[0] / b[1]) * Math.exp(-0.5 * u * u); },
    grad: (b, x, _x2, g) => {
      const u = (x - b[2]) / b[1], e = Math.exp(-0.5 * u * u);
      g[0] = e / b[1];
      g[1] = ((b[0] * e) / (b[1] * b[1])) * (u * u - 1);
      g[2] = (b[0] * e * u) / (b[1] * b[1]);
    },
  },
  Rat43: {
    nParams: 4, difficulty: 'higher',
    value: (b, x) => b[0] / Math.pow(1 + Math.exp(b[1] - b[2] * x), 1 / b[3]),
    grad: (b, x, _x2, g) => {
      const e = Math.exp(b[1] - b[2] * x), u = 1 + e, p = Math.pow(u, -1 / b[3]);
      g[0] = p;
      g[1] = ((-b[0] / b[3]) * e * p) / u;
      g[2] = ((b[0] / b[3]) * x * e * p) / u;
      g[3] = ((b[0] / (b[3] * b[3])) * Math.log(u)) * p;
    },
  },
  Bennett5: {
    nParams: 3, difficulty: 'higher',
    value: (b, x) => b[0] * Math.pow(b[1] + x, -1 / b[2]),
    grad: (b, x, _x2, g) => {
      const u = b[1] + x, p = Math.pow(u, -1 / b[2]);
      g[0] = p; g[1] = ((-b[0] / b[2]) * p) / u; g[2] = ((b[0] / (b[2] * b[2])) * Math.log(u)) * p;
    },
  },
};

/** ../shared/data/nist relative to the repository root (this file is test/problems/nist.ts). */
export const NIST_DIR: string = fileURLToPath(new URL('../../../shared/data/nist/', import.meta.url));

/** The sets present in NIST_DIR that have a model here, in NIST's order (by difficulty). */
export const NIST_NAMES: string[] = (() => {
  if (!existsSync(NIST_DIR)) return [];
  const present = new Set(readdirSync(NIST_DIR).filter((f) => f.endsWith('.dat')).map((f) => f.slice(0, -4)));
  return Object.keys(NIST_MODELS).filter((n) => present.has(n));
})();

function lineRange(header: string[], label: string): [number, number] {
  for (const line of header) {
    const m = new RegExp(`${label}\\s*\\(lines\\s+(\\d+)\\s+to\\s+(\\d+)\\)`).exec(line);
    if (m) return [Number(m[1]), Number(m[2])];
  }
  throw new Error(`NIST file: no "${label} (lines a to b)" in the header`);
}

/** Parses a Fortran-style number ("1.5E-01", "-0.00001", "15.00E0"). */
function num(s: string): number {
  const v = Number(s.replace(/[dD]/, 'E'));
  if (!Number.isFinite(v)) throw new Error(`NIST file: bad number "${s}"`);
  return v;
}

/** Parses the text of a .dat file. */
export function parseNist(name: string, text: string): NistProblem {
  const model = NIST_MODELS[name];
  if (!model) throw new Error(`no NIST model for ${name}`);
  const lines = text.split(/\r?\n/);
  const header = lines.slice(0, 12);
  const [s0, s1] = lineRange(header, 'Starting Values');
  const [, c1] = lineRange(header, 'Certified Values');
  const [d0, d1] = lineRange(header, 'Data');
  const p = s1 - s0 + 1;
  if (p !== model.nParams) throw new Error(`${name}: ${p} parameters in the file, model has ${model.nParams}`);

  const start1 = new Float64Array(p), start2 = new Float64Array(p);
  const certified = new Float64Array(p), certifiedStd = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    const line = lines[s0 - 1 + i];
    const m = /^\s*b(\d+)\s*=\s*(.*)$/.exec(line);
    if (!m || Number(m[1]) !== i + 1) throw new Error(`${name}: bad parameter line ${s0 + i}: "${line}"`);
    const f = m[2].trim().split(/\s+/);
    if (f.length !== 4) throw new Error(`${name}: expected 4 numbers on line ${s0 + i}`);
    start1[i] = num(f[0]); start2[i] = num(f[1]); certified[i] = num(f[2]); certifiedStd[i] = num(f[3]);
  }
  let certifiedRss = NaN;
  for (let l = s1; l < c1; l++) {
    const m = /Residual Sum of Squares:\s*(\S+)/.exec(lines[l]);
    if (m) certifiedRss = num(m[1]);
  }
  if (!Number.isFinite(certifiedRss)) throw new Error(`${name}: no certified residual sum of squares`);

  // Model text: the lines after "Model:" up to the starting-values table.
  const modelLines: string[] = [];
  for (let l = 0; l < s0 - 1; l++) {
    if (/^Model:/.test(lines[l])) {
      for (let k = l + 1; k < s0 - 1; k++) {
        const t = lines[k].trim();
        if (/Starting [Vv]alues/.test(t)) break;
        if (t && !/Parameters? \(/.test(t)) modelLines.push(t);
      }
      break;
    }
  }

  const rows = lines.slice(d0 - 1, d1).map((l) => l.trim()).filter((l) => l.length > 0);
  const nObs = rows.length;
  if (nObs !== d1 - d0 + 1) throw new Error(`${name}: blank line inside the data block`);
  const y = new Float64Array(nObs), x = new Float64Array(nObs);
  const twoPredictors = name === 'Nelson';
  const x2 = twoPredictors ? new Float64Array(nObs) : undefined;
  for (let i = 0; i < nObs; i++) {
    const f = rows[i].split(/\s+/);
    if (f.length !== (twoPredictors ? 3 : 2)) throw new Error(`${name}: bad data line ${d0 + i}`);
    y[i] = num(f[0]); x[i] = num(f[1]);
    if (x2) x2[i] = num(f[2]);
  }
  const target = model.logResponse ? y.map(Math.log) : y;

  const residual = (b: Float64Array): Float64Array => {
    const r = new Float64Array(nObs);
    for (let i = 0; i < nObs; i++) r[i] = model.value(b, x[i], x2 ? x2[i] : 0) - target[i];
    return r;
  };
  const jacobian = (b: Float64Array): Float64Array[] => {
    const J: Float64Array[] = [];
    for (let i = 0; i < nObs; i++) {
      const g = new Float64Array(p);
      model.grad(b, x[i], x2 ? x2[i] : 0, g);
      J.push(g);
    }
    return J;
  };
  return {
    name, x, x2, y, starts: [start1, start2], certified, certifiedStd, certifiedRss,
    nParams: p, nObs, difficulty: model.difficulty, modelText: modelLines.join(' '), residual, jacobian,
  };
}

/** Loads ../shared/data/nist/<name>.dat (or <dir>/<name>.dat); null when the file is absent. */
export function loadNist(name: string, dir: string = NIST_DIR): NistProblem | null {
  const file = join(dir, `${name}.dat`);
  if (!existsSync(file)) return null;
  return parseNist(name, readFileSync(file, 'utf8'));
}

/** Log relative error: the number of correct significant digits, -log10(|e - c| / |c|), capped at 15. */
export function lre(estimate: number, certified: number): number {
  if (!Number.isFinite(estimate)) return 0;
  if (estimate === certified) return 15;
  const rel = certified === 0 ? Math.abs(estimate) : Math.abs(estimate - certified) / Math.abs(certified);
  return Math.max(0, Math.min(15, -Math.log10(rel)));
}

/** The smallest LRE over the parameters (NIST's usual summary of a fit). */
export function minLre(estimate: ArrayLike<number>, certified: ArrayLike<number>): number {
  let m = 15;
  for (let i = 0; i < certified.length; i++) m = Math.min(m, lre(estimate[i], certified[i]));
  return m;
}

/** Residual sum of squares sum r_i^2. */
export function rss(r: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < r.length; i++) s += r[i] * r[i];
  return s;
}
