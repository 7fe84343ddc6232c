/**
 * The reference problem suites (test/problems/) against their analytic derivatives, the NIST
 * certified values, and the scipy fixtures of test/fixtures/least_squares (whose Python twins of the
 * same problems produced them): a disagreement between the TS and Python definitions fails here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MGH_BOUNDED, MGH_PROBLEMS, SPARSE_PROBLEMS, makeSparseProblems, tripletsToRows, type MghProblem, type SparseProblem } from './problems/mgh.js';
import { NIST_DIR, NIST_MODELS, NIST_NAMES, loadNist, lre, minLre, rss, type NistProblem } from './problems/nist.js';

type Num = number | null;
const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`./fixtures/least_squares/${name}`, import.meta.url), 'utf8')) as T;

interface NistFixture {
  sets: { name: string; nObs: number; nParams: number; certifiedRss: number; rssStart1: number; rssStart2: number; rssCertified: number; fWsumStart1: number; jacWsumStart1: number }[];
  runs: { problem: string; start: number; method: string; tol: string; cost?: number; x?: number[]; minLre?: number; error?: string }[];
}
interface MghFixture {
  problems: { name: string; kind: string; id: number; m: number; n: number; factor: number; x0: number[]; bounds: [Num[], Num[]] | null; f0: Num[]; fWsum0: number; jacWsum0: number; jacFro0: number; fLiterature: Num; bestCost: number }[];
  runs: { problem: string; kind: string; method: string; cost?: number; x?: number[]; status?: number }[];
}
interface SparseChecks { fSum: number; fSq: number; fWsum: number; fHead: number[]; jacWsum: number; jacFro: number }
interface SparseFixture {
  problems: { name: string; m: number; n: number; nnz: number; bounded: boolean; at_x0: SparseChecks; at_xp: SparseChecks }[];
  runs: { problem: string; method: string; jac: string; cost?: number; status?: number }[];
}

/** |a - b| <= rtol * max(|a|, |b|) + atol, with a readable failure. */
function expectClose(actual: number, expected: number, rtol: number, atol = 0, what = ''): void {
  const tol = rtol * Math.max(Math.abs(actual), Math.abs(expected)) + atol;
  if (!(Math.abs(actual - expected) <= tol)) {
    expect.fail(`${what}: ${actual} vs ${expected} (diff ${Math.abs(actual - expected)}, tol ${tol})`);
  }
}

const fWsum = (f: ArrayLike<number>) => { let s = 0; for (let i = 0; i < f.length; i++) s += f[i] * (1 + (i % 7)); return s; };
const jacWsum = (J: Float64Array[]) => {
  let s = 0;
  J.forEach((row, i) => row.forEach((v, j) => { s += v * (1 + ((3 * i + 7 * j) % 11)); }));
  return s;
};
const fro = (J: Float64Array[]) => Math.sqrt(J.reduce((s, row) => s + row.reduce((t, v) => t + v * v, 0), 0));

/**
 * Max over entries of |J - D| / scale_i, D from central differences with two Richardson levels,
 * scale_i = max(max_j |J_ij|, |f_i| / max(1, ||x||_inf)) (the second term covers rows whose
 * derivatives are far below the rounding of f_i itself). J is read through an accessor so that large
 * sparse Jacobians need not be densified; rowMax holds max_j |J_ij|.
 */
function fdError(fun: (x: Float64Array) => Float64Array, x: Float64Array, J: (i: number, j: number) => number, rowMax: Float64Array, cols?: number[]): number {
  const f = fun(x);
  let xInf = 1;
  for (const v of x) xInf = Math.max(xInf, Math.abs(v));
  let err = 0;
  for (const j of cols ?? Array.from({ length: x.length }, (_, k) => k)) {
    const h = 1e-3 * (x[j] !== 0 ? Math.abs(x[j]) : 1);
    const d = (hh: number) => {
      const xp = Float64Array.from(x), xm = Float64Array.from(x);
      xp[j] += hh; xm[j] -= hh;
      const fp = fun(xp), fm = fun(xm), w = xp[j] - xm[j];
      return fp.map((v, i) => (v - fm[i]) / w);
    };
    const d1 = d(h), d2 = d(h / 2), d4 = d(h / 4);
    for (let i = 0; i < f.length; i++) {
      const r1 = (4 * d2[i] - d1[i]) / 3, r2 = (4 * d4[i] - d2[i]) / 3;
      const est = (16 * r2 - r1) / 15;
      const scale = Math.max(rowMax[i], Math.abs(f[i]) / xInf) || 1;
      err = Math.max(err, Math.abs(J(i, j) - est) / scale);
    }
  }
  return err;
}

/** fdError for a Jacobian given as rows. */
function jacobianError(fun: (x: Float64Array) => Float64Array, jac: (x: Float64Array) => Float64Array[], x: Float64Array): number {
  const J = jac(x);
  const rowMax = Float64Array.from(J, (row) => row.reduce((m, v) => Math.max(m, Math.abs(v)), 0));
  return fdError(fun, x, (i, j) => J[i][j], rowMax);
}

/** fdError for triplets, on selected columns only. */
function tripletError(P: SparseProblem, x: Float64Array, cols: number[]): number {
  const t = P.jacobian(x);
  const rowMax = new Float64Array(P.m);
  const entries = new Map<number, number>();
  for (let k = 0; k < t.vals.length; k++) {
    rowMax[t.rows[k]] = Math.max(rowMax[t.rows[k]], Math.abs(t.vals[k]));
    if (cols.includes(t.cols[k])) {
      const key = t.rows[k] * P.n + t.cols[k];
      entries.set(key, (entries.get(key) ?? 0) + t.vals[k]);
    }
  }
  return fdError(P.residual, x, (i, j) => entries.get(i * P.n + j) ?? 0, rowMax, cols);
}

const sinPerturb = (x0: Float64Array, amp: number, rel: boolean) =>
  x0.map((v, j) => v + amp * Math.sin(j + 1) * (rel ? Math.max(1, Math.abs(v)) : 1));

/**
 * Residuals r = model - y lose about eps * |y| each to rounding, so sums of squares computed in
 * another order differ by up to ~ eps * ||r|| * ||y||; this matters for the near-zero sets (Lanczos).
 */
function roundingAtol(P: NistProblem, b: Float64Array): number {
  const r = P.residual(b);
  const y = P.name === 'Nelson' ? P.y.map(Math.log) : P.y;
  return 8 * Number.EPSILON * Math.sqrt(rss(r)) * Math.sqrt(rss(y)) + 1e-300;
}

// =============================================================================================
describe('NIST StRD problems', () => {
  it('lre counts correct digits', () => {
    expect(lre(1.2345678, 1.2345678)).toBe(15);
    expect(lre(1.2346, 1.2345)).toBeCloseTo(-Math.log10(1e-4 / 1.2345), 12);
    expect(lre(NaN, 1)).toBe(0);
    expect(lre(5, 1)).toBe(0);
    expect(minLre([1, 2.0002], [1, 2])).toBeCloseTo(4, 12);
  });

  it('every model has a correct analytic Jacobian (synthetic data, all 27 StRD models)', () => {
    // Parameters near NIST's starting values and x ranges like the data, for models whose file may be absent.
    const cases: Record<string, [number[], number, number]> = {
      Misra1a: [[500, 1e-4], 77, 790], Chwirut2: [[0.1, 0.01, 0.02], 0.5, 6], Chwirut1: [[0.1, 0.01, 0.02], 0.5, 6],
      Lanczos3: [[1.2, 0.3, 5.6, 5.5, 6.5, 7.6], 0, 1.15], Gauss1: [[97, 0.009, 100, 65, 20, 70, 178, 16.5], 1, 250],
      Gauss2: [[96, 0.009, 103, 106, 18, 72, 151, 18], 1, 250], DanWood: [[1, 5], 1.3, 2], Misra1b: [[500, 1e-4], 77, 790],
      Kirby2: [[2, -0.1, 0.003, -0.001, 1e-5], 9, 79], Hahn1: [[10, -1, 0.05, -1e-5, -0.05, 0.001, -1e-6], 24, 880],
      Nelson: [[2, 1e-4, -0.01], 1, 64], MGH17: [[50, 150, -100, 1, 2], 0, 320], Lanczos1: [[1.2, 0.3, 5.6, 5.5, 6.5, 7.6], 0, 1.15],
      Lanczos2: [[1.2, 0.3, 5.6, 5.5, 6.5, 7.6], 0, 1.15], Gauss3: [[94.9, 0.009, 90.1, 113, 20, 73.8, 140, 20], 1, 250],
      Misra1c: [[500, 1e-4], 77, 790], Misra1d: [[500, 1e-4], 77, 790], Roszman1: [[0.1, -1e-5, 1000, -100], -4800, -3400],
      ENSO: [[11, 3, 0.5, 40, -0.7, -1.3, 25, -0.3, 1.4], 1, 168], MGH09: [[25, 39, 41.5, 39], 0.0625, 4],
      Thurber: [[1000, 1000, 400, 40, 0.7, 0.3, 0.03], -3, 2], BoxBOD: [[1, 1], 1, 10], Rat42: [[100, 1, 0.1], 9, 79],
      MGH10: [[2, 400000, 25000], 50, 125], Eckerle4: [[1, 10, 500], 400, 500], Rat43: [[100, 10, 1, 1], 1, 15],
      Bennett5: [[-2000, 50, 0.8], 7, 12],
    };
    expect(Object.keys(cases).sort()).toEqual(Object.keys(NIST_MODELS).sort());
    for (const [name, [b, lo, hi]] of Object.entries(cases)) {
      const model = NIST_MODELS[name];
      expect(b.length, name).toBe(model.nParams);
      const xs = Array.from({ length: 12 }, (_, i) => lo + ((hi - lo) * i) / 11);
      const x2s = xs.map((_, i) => 180 + 10 * i);
      const fun = (bb: Float64Array) => Float64Array.from(xs, (x, i) => model.value(bb, x, x2s[i]));
      const jac = (bb: Float64Array) => xs.map((x, i) => { const g = new Float64Array(model.nParams); model.grad(bb, x, x2s[i], g); return g; });
      expect(jacobianError(fun, jac, Float64Array.from(b)), name).toBeLessThan(1e-6);
    }
  });

  const present = NIST_NAMES.length > 0;
  it.skipIf(!present)(`finds the .dat files (${NIST_DIR})`, () => {
    expect(NIST_NAMES.length).toBeGreaterThan(0);
    expect(loadNist('NoSuchSet')).toBeNull();
  });
  if (!present) {
    it.skip(`NIST data not found at ${NIST_DIR}: the StRD checks are skipped`, () => {});
    return;
  }

  const fx = fixture<NistFixture>('nist.json');
  it('covers the same sets as the scipy fixtures', () => {
    expect(NIST_NAMES).toEqual(fx.sets.map((s) => s.name));
  });

  for (const name of NIST_NAMES) {
    describe(name, () => {
      const P = loadNist(name)!;
      const ref = fx.sets.find((s) => s.name === name)!;

      it('parses starts, certified values and data', () => {
        expect(P.nParams).toBe(NIST_MODELS[name].nParams);
        expect(P.nObs).toBe(ref.nObs);
        expect(P.x.length).toBe(P.nObs);
        expect(P.y.length).toBe(P.nObs);
        expect(P.starts[0].length).toBe(P.nParams);
        expect(P.certifiedStd.every((s) => s > 0)).toBe(true);
        expect(P.certifiedRss).toBe(ref.certifiedRss);
        expect(P.modelText.length).toBeGreaterThan(0);
        if (name === 'Nelson') expect(P.x2?.length).toBe(P.nObs);
      });

      it('reproduces the certified residual sum of squares', () => {
        const s = rss(P.residual(P.certified));
        if (name === 'Lanczos1') {
          // Certified RSS 1.43e-25 comes from 13-digit y and unrounded parameters; the 11-digit
          // certified values leave residuals near 1e-11.
          expect(s).toBeLessThan(1e-19);
        } else {
          expectClose(s, P.certifiedRss, 1e-9, 0, `${name} rss at certified values`);
        }
        expectClose(s, ref.rssCertified, 1e-11, roundingAtol(P, P.certified), `${name} rss vs python`);
      });

      it('agrees with the Python definition', () => {
        expectClose(rss(P.residual(P.starts[0])), ref.rssStart1, 1e-12, 0, 'rss start 1');
        expectClose(rss(P.residual(P.starts[1])), ref.rssStart2, 1e-12, 0, 'rss start 2');
        expectClose(fWsum(P.residual(P.starts[0])), ref.fWsumStart1, 1e-10, 1e-12, 'f checksum');
        expectClose(jacWsum(P.jacobian(P.starts[0])), ref.jacWsumStart1, 1e-10, 1e-12, 'J checksum');
      });

      it('has an analytic Jacobian that matches central differences', () => {
        for (const b of [P.starts[0], P.starts[1], P.certified]) {
          expect(jacobianError(P.residual, P.jacobian, b)).toBeLessThan(1e-6);
        }
      });

      it('gives scipy\'s cost at scipy\'s solutions', () => {
        for (const r of fx.runs.filter((q) => q.problem === name && q.x)) {
          const x = Float64Array.from(r.x!);
          const c = 0.5 * rss(P.residual(x));
          expectClose(c, r.cost!, 1e-9, roundingAtol(P, x), `${name} ${r.method} start ${r.start} ${r.tol}`);
        }
      });
    });
  }
});

// =============================================================================================
function checkMghAgainstFixture(list: MghProblem[], kind: string, fx: MghFixture): void {
  const refs = fx.problems.filter((p) => p.kind === kind);
  it('lists the same problems as the fixtures, in order', () => {
    expect(list.map((p) => p.name)).toEqual(refs.map((p) => p.name));
    expect(new Set(list.map((p) => p.name)).size).toBe(list.length);
  });
  for (const P of list) {
    const ref = refs.find((p) => p.name === P.name);
    it(`${P.name}: definition, Jacobian, fixture costs`, () => {
      expect(ref, P.name).toBeDefined();
      expect([P.id, P.m, P.n, P.factor]).toEqual([ref!.id, ref!.m, ref!.n, ref!.factor]);
      expect(Array.from(P.x0)).toEqual(ref!.x0);
      expect(P.fLiterature ?? null).toEqual(ref!.fLiterature);
      if (P.bounds) {
        const [lb, ub] = P.bounds;
        expect(Array.from(lb, (v) => (v === -Infinity ? null : v))).toEqual(ref!.bounds![0]);
        expect(Array.from(ub, (v) => (v === Infinity ? null : v))).toEqual(ref!.bounds![1]);
        for (let j = 0; j < P.n; j++) {
          expect(lb[j]).toBeLessThan(ub[j]);
          expect(P.x0[j] >= lb[j] && P.x0[j] <= ub[j]).toBe(true);
        }
      } else {
        expect(ref!.bounds).toBeNull();
      }

      const f0 = P.residual(P.x0);
      expect(f0.length).toBe(P.m);
      // Sums are formed in another order in numpy: allow rounding relative to the terms (>= 1 here).
      const f0Scale = f0.reduce((s, v) => Math.max(s, Math.abs(v)), 1);
      f0.forEach((v, i) => expectClose(v, ref!.f0[i] as number, 1e-12, 1e-13 * f0Scale, `${P.name} f0[${i}]`));
      const J0 = P.jacobian(P.x0);
      expect(J0.length).toBe(P.m);
      expect(J0.every((row) => row.length === P.n)).toBe(true);
      expectClose(fWsum(f0), ref!.fWsum0, 1e-11, 1e-14, 'f checksum');
      expectClose(jacWsum(J0), ref!.jacWsum0, 1e-11, 1e-14, 'J checksum');
      expectClose(fro(J0), ref!.jacFro0, 1e-11, 1e-14, 'J norm');

      const points = P.bounds ? [P.x0] : [sinPerturb(P.x0, 0.01, true), P.x0.map((_, j) => 1 + 0.1 * Math.sin(j + 1))];
      for (const x of points) expect(jacobianError(P.residual, P.jacobian, x), P.name).toBeLessThan(1e-6);

      for (const r of fx.runs.filter((q) => q.problem === P.name && q.x)) {
        const f = P.residual(Float64Array.from(r.x!));
        const c = 0.5 * rss(f);
        expectClose(c, r.cost!, 1e-8, 1e-25, `${P.name} ${r.method} cost at scipy's x`);
      }
    });
  }
}

describe('More-Garbow-Hillstrom problems', () => {
  const fx = fixture<MghFixture>('mgh.json');
  it('has the documented sizes', () => {
    expect(MGH_PROBLEMS.length).toBe(82);
    expect(MGH_BOUNDED.length).toBe(40);
    expect(new Set(MGH_PROBLEMS.map((p) => p.id)).size).toBe(35);
    expect(MGH_PROBLEMS.every((p) => p.m >= p.n)).toBe(true); // lm can run all of them
  });
  describe('unbounded', () => checkMghAgainstFixture(MGH_PROBLEMS, 'unbounded', fx));
  describe('bounded', () => checkMghAgainstFixture(MGH_BOUNDED, 'bounded', fx));
  it('records a best known cost for every problem, no larger than any scipy run', () => {
    for (const p of fx.problems) {
      expect(Number.isFinite(p.bestCost), p.name).toBe(true);
      for (const r of fx.runs.filter((q) => q.problem === p.name && q.cost !== undefined)) {
        expect(r.cost!).toBeGreaterThanOrEqual(p.bestCost);
      }
    }
  });
});

// =============================================================================================
describe('sparse problems', () => {
  const fx = fixture<SparseFixture>('sparse.json');

  it('small twins: triplets, pattern and analytic Jacobians', () => {
    for (const P of makeSparseProblems(20)) {
      const { rows, cols } = P.sparsity;
      expect(rows.length).toBe(cols.length);
      const keys = new Set<number>();
      for (let k = 0; k < rows.length; k++) {
        expect(rows[k] >= 0 && rows[k] < P.m && cols[k] >= 0 && cols[k] < P.n).toBe(true);
        keys.add(rows[k] * P.n + cols[k]);
        if (k > 0) expect(rows[k] >= rows[k - 1]).toBe(true); // row-major
      }
      expect(keys.size, `${P.name}: duplicate pattern entries`).toBe(rows.length);
      const x = sinPerturb(P.x0, 0.01, false);
      const t = P.jacobian(x);
      expect(t.rows).toBe(rows);
      expect(t.vals.length).toBe(rows.length);
      // Every column, so a derivative outside the pattern would show up as an error.
      const jac = (xx: Float64Array) => tripletsToRows(P.jacobian(xx), P.m, P.n);
      expect(jacobianError(P.residual, jac, x), P.name).toBeLessThan(1e-6);
      const J = jac(x);
      expect(J.some((row) => row.some((v) => !Number.isFinite(v)))).toBe(false);
      if (P.bounds) {
        for (let j = 0; j < P.n; j++) expect(P.x0[j] >= P.bounds[0][j] && P.x0[j] <= P.bounds[1][j]).toBe(true);
      }
    }
  });

  it('10,000-variable problems match the fixtures', () => {
    expect(SPARSE_PROBLEMS.map((p) => p.name)).toEqual(fx.problems.map((p) => p.name));
    for (const P of SPARSE_PROBLEMS) {
      const ref = fx.problems.find((p) => p.name === P.name)!;
      expect([P.m, P.n, P.sparsity.rows.length, P.bounds !== undefined]).toEqual([ref.m, ref.n, ref.nnz, ref.bounded]);
      const xp = sinPerturb(P.x0, 0.1, false);
      for (const [x, c] of [[P.x0, ref.at_x0], [xp, ref.at_xp]] as const) {
        const f = P.residual(x);
        const t = P.jacobian(x);
        let fs = 0, jw = 0, jf = 0;
        for (const v of f) fs += v;
        for (let k = 0; k < t.vals.length; k++) { jw += t.vals[k] * (1 + ((3 * t.rows[k] + 7 * t.cols[k]) % 11)); jf += t.vals[k] ** 2; }
        expectClose(fs, c.fSum, 1e-10, 1e-9, `${P.name} sum f`);
        expectClose(rss(f), c.fSq, 1e-10, 1e-12, `${P.name} sum f^2`);
        expectClose(fWsum(f), c.fWsum, 1e-10, 1e-9, `${P.name} f checksum`);
        c.fHead.forEach((v, i) => expectClose(f[i], v, 1e-12, 1e-15, `${P.name} f[${i}]`));
        expectClose(jw, c.jacWsum, 1e-10, 1e-9, `${P.name} J checksum`);
        expectClose(Math.sqrt(jf), c.jacFro, 1e-10, 1e-12, `${P.name} J norm`);
      }
    }
  });

  it('10,000-variable Jacobians match differences on sampled columns', () => {
    for (const P of SPARSE_PROBLEMS) {
      const x = sinPerturb(P.x0, 0.01, false);
      const cols = [0, 1, 2, 3, 4, 5, 6, 7, 1234, 5001, 7777, P.n - 4, P.n - 3, P.n - 2, P.n - 1];
      expect(tripletError(P, x, cols), P.name).toBeLessThan(1e-6);
    }
  });

  it('records four lsmr runs per problem', () => {
    for (const p of fx.problems) expect(fx.runs.filter((r) => r.problem === p.name).length).toBe(4);
  });
});
