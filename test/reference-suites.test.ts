/**
 * leastSquares on the reference suites against scipy 1.17.1's least_squares on the same
 * runs (fixtures made by test/fixtures/least_squares/make_fixtures.py):
 * NIST StRD (certified values), Moré–Garbow–Hillstrom (unbounded and bounded) and
 * 10,000-variable sparse problems, plus scipy behaviours worth matching exactly.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DenseMatrix, leastSquares } from '../src/index.js';
import { NIST_DIR, NIST_NAMES, loadNist, minLre } from './problems/nist.js';
import { MGH_BOUNDED, MGH_PROBLEMS, SPARSE_PROBLEMS } from './problems/mgh.js';
import { isSolved, runMgh, runSparse } from './problems/runners.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/least_squares/${name}.json`, import.meta.url), 'utf8'));

describe('NIST StRD: certified parameters', () => {
  const nist = fixture('nist') as { runs: { problem: string; start: number; method: string; tol: string; minLre: number }[] };
  if (NIST_NAMES.length === 0) {
    it.skip(`needs the NIST StRD files at ${NIST_DIR} (../shared/data/nist): not present here`, () => {});
    return;
  }
  // Tight tolerances and room to finish (MGH17 from start 1 needs ~1000 evaluations, more
  // than scipy's default 100 n = 500: scipy stops there with 0 digits).
  const tight = { ftol: 1e-15, xtol: 1e-15, gtol: 1e-15, maxNfev: 10000 };
  for (const method of ['trf', 'dogbox', 'lm'] as const) {
    it(`${method}: every set from both starts (LRE >= 6 where ${method === 'trf' ? 'always' : "scipy's " + method + ' gets >= 6'})`, async () => {
      const failures: string[] = [];
      for (const name of NIST_NAMES) {
        const p = loadNist(name)!;
        for (const start of [1, 2]) {
          const res = await leastSquares((b) => p.residual(b), p.starts[start - 1], { jac: (b) => DenseMatrix.fromRows(p.jacobian(b)), method, ...tight });
          const lre = minLre(res.x, p.certified);
          const scipy = nist.runs.find((r) => r.problem === name && r.start === start && r.method === method && r.tol === '1e-15')!;
          const required = method === 'trf' || scipy.minLre >= 6;
          if (required && !(lre >= 6)) failures.push(`${name} start ${start}: LRE ${lre.toFixed(1)} (scipy ${scipy.minLre.toFixed(1)})`);
        }
      }
      expect(failures).toEqual([]);
    });
  }
});

interface MghRun { problem: string; kind: 'unbounded' | 'bounded'; method: 'trf' | 'dogbox' | 'lm'; cost: number; nfev: number; solved: boolean }
interface MghFixture { problems: { name: string; kind: string; bestCost: number; fWsum0: number }[]; runs: MghRun[] }

describe('Moré–Garbow–Hillstrom: solved count >= scipy and total nfev <= 1.1 x scipy', () => {
  const mgh = fixture('mgh') as MghFixture;
  const sets = [['unbounded', MGH_PROBLEMS], ['bounded', MGH_BOUNDED]] as const;
  for (const [kind, problems] of sets) {
    for (const method of (kind === 'unbounded' ? ['trf', 'dogbox', 'lm'] : ['trf', 'dogbox']) as ('trf' | 'dogbox' | 'lm')[]) {
      it(`${kind} ${method}`, async () => {
        let solved = 0, nfev = 0, scipySolved = 0, scipyNfev = 0;
        const lost: string[] = [];
        for (const p of problems) {
          const ref = mgh.runs.find((r) => r.problem === p.name && r.kind === kind && r.method === method)!;
          const best = mgh.problems.find((q) => q.name === p.name && q.kind === kind)!.bestCost;
          const res = await runMgh(p, method);
          const ok = isSolved(res.cost, best);
          solved += ok ? 1 : 0;
          nfev += res.nfev;
          scipySolved += ref.solved ? 1 : 0;
          scipyNfev += ref.nfev;
          if (ref.solved && !ok) lost.push(`${p.name}: cost ${res.cost} vs best ${best}`);
        }
        // Known shortfall: dogbox from the x10 start of Chebyquad (n = 10) follows scipy's
        // iterates until rounding differences send it to another local minimum (cost
        // 3.25e-3 after 329 evaluations; scipy reaches 2.39e-3 after 704). Any other loss fails.
        // (Bounded dogbox loses extended Rosenbrock to such a divergence and gains extended
        // Powell, which scipy misses: the counts are equal.)
        const known = kind === 'unbounded' && method === 'dogbox' ? ['chebyquad_n10_x10'] : [];
        expect(lost.filter((l) => known.some((k) => l.startsWith(`${k}:`))).length).toBe(known.length);
        expect(solved + known.length, `problems scipy solves and we do not: ${lost.join('; ')}`).toBeGreaterThanOrEqual(scipySolved);
        expect(nfev).toBeLessThanOrEqual(1.1 * scipyNfev);
      });
    }
  }
});

describe('sparse problems with 10,000 variables (lsmr)', () => {
  const sparse = fixture('sparse') as { problems: { name: string; bestCost: number }[]; runs: { problem: string; method: string; jac: string; nfev: number; solved: boolean }[] };
  for (const method of ['trf', 'dogbox'] as const) {
    for (const jac of ['analytic', 'sparsity'] as const) {
      it(`${method} with ${jac === 'analytic' ? 'an analytic CSR Jacobian' : 'jacSparsity (grouped 2-point differences)'}`, async () => {
        let solved = 0, scipySolved = 0, nfev = 0, scipyNfev = 0;
        for (const p of SPARSE_PROBLEMS) {
          const ref = sparse.runs.find((r) => r.problem === p.name && r.method === method && r.jac === jac)!;
          const best = sparse.problems.find((q) => q.name === p.name)!.bestCost;
          const res = await runSparse(p, method, jac);
          solved += isSolved(res.cost, best) ? 1 : 0;
          scipySolved += ref.solved ? 1 : 0;
          nfev += res.nfev;
          scipyNfev += ref.nfev;
        }
        expect(solved).toBeGreaterThanOrEqual(scipySolved);
        expect(nfev).toBeLessThanOrEqual(1.1 * scipyNfev);
      });
    }
  }
});

describe("scipy behaviours matched exactly", () => {
  const beh = fixture('behaviours');
  const rosen = (x: Float64Array) => Float64Array.of(10 * (x[1] - x[0] * x[0]), 1 - x[0]);
  const rosenJac = (x: Float64Array) => DenseMatrix.fromRows([[-20 * x[0], 10], [-1, 0]]);

  it('maxNfev = 1: the result at x0 with every field as scipy', async () => {
    for (const ref of beh.maxNfev1 as { x0: number[]; method: 'trf' | 'dogbox' | 'lm'; jacOption: string; cost: number; grad: number[]; optimality: number; nfev: number; njev: number | null; status: number; message: string; jac: number[][] }[]) {
      const res = await leastSquares(rosen, ref.x0, { method: ref.method, maxNfev: 1, ...(ref.jacOption === 'analytic' ? { jac: rosenJac } : {}) });
      const where = `${ref.method} ${ref.jacOption} x0=${ref.x0}`;
      expect(res.status, where).toBe(ref.status);
      expect(res.nfev, where).toBe(ref.nfev);
      expect(res.njev, where).toBe(ref.njev);
      expect(res.message, where).toBe(ref.message);
      expect(res.cost, where).toBeCloseTo(ref.cost, 12);
      expect(res.optimality / ref.optimality, where).toBeCloseTo(1, 9);
      const J = res.jac as DenseMatrix;
      ref.jac.forEach((row, i) => row.forEach((v, j) => expect(J.get(i, j), where).toBeCloseTo(v, 6)));
    }
  });

  it("nfev and njev on Rosenbrock equal scipy's (and nfev the real call count)", async () => {
    for (const ref of beh.rosenbrockNfev as { method: 'trf' | 'dogbox' | 'lm'; jacOption: '2-point' | '3-point' | 'analytic'; xScale: 'default' | 'jac'; x0: number[]; nfev: number; njev: number | null; status: number }[]) {
      let calls = 0;
      const res = await leastSquares((x) => { calls++; return rosen(x); }, ref.x0, {
        method: ref.method, jac: ref.jacOption === 'analytic' ? rosenJac : ref.jacOption, ...(ref.xScale === 'jac' ? { xScale: 'jac' as const } : {}),
      });
      const where = `${ref.method} ${ref.jacOption} xScale ${ref.xScale} x0 ${ref.x0}`;
      expect(res.nfev, where).toBe(ref.nfev);
      expect(res.njev, where).toBe(ref.njev);
      expect(res.status, where).toBe(ref.status);
      if (ref.jacOption === 'analytic') expect(calls, where).toBe(ref.nfev);
    }
  });

  it("activeMask, x and counts on bounded Rosenbrock (scipy's docs example)", async () => {
    for (const ref of beh.boundedRosenbrock.runs as { method: 'trf' | 'dogbox'; jacOption: string; activeMask: number[]; x: number[]; nfev: number; status: number }[]) {
      const res = await leastSquares(rosen, [2, 2], { method: ref.method, bounds: [[-Infinity, 1.5], Infinity], jac: ref.jacOption === 'analytic' ? rosenJac : '2-point' });
      const where = `${ref.method} ${ref.jacOption}`;
      expect(Array.from(res.activeMask), where).toEqual(ref.activeMask);
      expect(res.x[0], where).toBeCloseTo(ref.x[0], 9);
      expect(res.nfev, where).toBe(ref.nfev);
      expect(res.status, where).toBe(ref.status);
    }
  });

  it("each loss's cost, grad and jac at x0, and its full solve", async () => {
    const L = beh.losses as { y: number[]; x0: number[]; fScale: number; runs: { loss: 'linear' | 'soft_l1' | 'huber' | 'cauchy' | 'arctan'; method: 'trf' | 'dogbox'; maxNfev1: { cost: number; grad: number[]; jac: number[][] }; solve: { x: number[]; cost: number; nfev: number; status: number } }[] };
    const t = Array.from({ length: 15 }, (_, i) => (10 * i) / 14);
    const fexp = (x: Float64Array) => Float64Array.from(t, (ti, i) => x[0] + x[1] * Math.exp(x[2] * ti) - L.y[i]);
    const jexp = (x: Float64Array) => DenseMatrix.fromRows(t.map((ti) => { const e = Math.exp(x[2] * ti); return [1, e, x[1] * ti * e]; }));
    for (const ref of L.runs) {
      const where = `${ref.loss} ${ref.method}`;
      const one = await leastSquares(fexp, L.x0, { jac: jexp, method: ref.method, loss: ref.loss, fScale: L.fScale, maxNfev: 1 });
      expect(one.cost / ref.maxNfev1.cost, where).toBeCloseTo(1, 12);
      ref.maxNfev1.grad.forEach((g, j) => expect(one.grad[j] - g, where).toBeCloseTo(0, 10));
      const J = one.jac as DenseMatrix;
      ref.maxNfev1.jac.forEach((row, i) => row.forEach((v, j) => expect(J.get(i, j) - v, where).toBeCloseTo(0, 10)));
      const full = await leastSquares(fexp, L.x0, { jac: jexp, method: ref.method, loss: ref.loss, fScale: L.fScale });
      // The same minimum (linear trf ends 9e-4 away along a flat valley, at a lower cost).
      expect(full.cost, where).toBeLessThanOrEqual(ref.solve.cost * (1 + 1e-9));
      expect(full.status, where).toBe(ref.solve.status);
    }
  });
});
