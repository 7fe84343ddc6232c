/**
 * lsqLinear against scipy 1.17.1's lsq_linear on the fixtures made by
 * test/fixtures/lsq_linear/make_fixtures.py (see the JSON's "comparison" note).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CsrMatrix, DenseMatrix, InvalidArgumentError, ShapeMismatchError, lsqLinear, type LinearOperator } from '../src/index.js';

interface Run {
  method: 'trf' | 'bvls'; lsqSolver: 'exact' | 'lsmr' | null; tol: number; maxIter: number | null; lsmrTol: number | 'auto' | null;
  x: number[]; cost: number; optimality: number; activeMask: number[]; nit: number; status: number; success: boolean; compare: 'x' | 'iterate' | 'cost';
}
interface Case {
  name: string;
  A: { format: 'dense'; shape: [number, number]; rows: number[][] } | { format: 'csr'; shape: [number, number]; indptr: number[]; indices: number[]; data: number[] };
  b: number[];
  bounds: [number | null | (number | null)[], number | null | (number | null)[]];
  xUnique: boolean; costKkt: number; runs: Run[];
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/lsq_linear/lsq_linear.json', import.meta.url), 'utf8')) as { cases: Case[] };

function matrix(c: Case): DenseMatrix | CsrMatrix {
  const A = c.A;
  if (A.format === 'dense') return DenseMatrix.fromRows(A.rows);
  return new CsrMatrix(A.shape[0], A.shape[1], Int32Array.from(A.indptr), Int32Array.from(A.indices), Float64Array.from(A.data));
}
function side(v: Case['bounds'][0], inf: number): number | number[] {
  if (v === null) return inf;
  if (typeof v === 'number') return v;
  return v.map((x) => (x === null ? inf : x));
}
function asOperator(a: DenseMatrix | CsrMatrix): LinearOperator {
  return { rows: a.rows, cols: a.cols, matvec: (x) => a.matvec(x), rmatvec: (y) => a.rmatvec(y) };
}
const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));
const diffNorm = (a: ArrayLike<number>, b: ArrayLike<number>) => norm(Array.from(a, (v, i) => v - b[i]));

function expectFeasible(x: Float64Array, bounds: [number | number[], number | number[]]): void {
  x.forEach((v, i) => {
    const lo = typeof bounds[0] === 'number' ? bounds[0] : bounds[0][i];
    const hi = typeof bounds[1] === 'number' ? bounds[1] : bounds[1][i];
    expect(v).toBeGreaterThanOrEqual(lo);
    expect(v).toBeLessThanOrEqual(hi);
  });
}

describe('lsqLinear matches scipy.optimize.lsq_linear', () => {
  for (const c of fixture.cases) {
    for (const [k, run] of c.runs.entries()) {
      const label = `${c.name} #${k} ${run.method}${run.lsqSolver ? `/${run.lsqSolver}` : ''} (${run.compare})`;
      it(label, async () => {
        const A = matrix(c);
        const bounds: [number | number[], number | number[]] = [side(c.bounds[0], -Infinity), side(c.bounds[1], Infinity)];
        const res = await lsqLinear(A, c.b, {
          bounds, method: run.method, tol: run.tol, lsqSolver: run.lsqSolver ?? undefined,
          maxIter: run.maxIter ?? undefined, lsmrTol: run.lsmrTol ?? undefined,
        });
        expectFeasible(res.x, bounds);
        expect(res.backend).toBe('cpu');
        if (run.compare === 'x') {
          expect(diffNorm(res.x, run.x)).toBeLessThanOrEqual(1e-6 * Math.max(1, norm(run.x)));
          expect(res.success).toBe(true);
          expect(Array.from(res.activeMask)).toEqual(run.activeMask);
          expect(Math.abs(res.cost - run.cost)).toBeLessThanOrEqual(1e-8 * Math.max(1, run.cost));
        } else if (run.compare === 'cost') {
          expect(Math.abs(res.cost - run.cost)).toBeLessThanOrEqual(1e-6 * Math.max(1, run.cost));
        } else {
          expect(res.cost).toBeGreaterThanOrEqual(c.costKkt * (1 - 1e-12));
          expect(res.status).toBe(run.status);
        }
        expect(res.message.length).toBeGreaterThan(0);
        expect(res.success).toBe(res.status > 0);
      });
    }
  }
});

describe('lsqLinear on every matrix kind', () => {
  const c = fixture.cases.find((x) => x.name === 'box_active_both')!;
  const ref = c.runs.find((r) => r.method === 'trf' && r.lsqSolver === 'exact')!;
  const dense = matrix(c) as DenseMatrix;
  const bounds: [number | number[], number | number[]] = [side(c.bounds[0], -Infinity), side(c.bounds[1], Infinity)];
  for (const [kind, A] of [['CsrMatrix', CsrMatrix.fromDense(dense)], ['LinearOperator', asOperator(dense)]] as const) {
    it(`${kind} with trf/lsmr reaches scipy's x`, async () => {
      const res = await lsqLinear(A, c.b, { bounds });
      expect(diffNorm(res.x, ref.x)).toBeLessThanOrEqual(1e-6 * Math.max(1, norm(ref.x)));
    });
  }
});

describe('lsqLinear behaviour', () => {
  it('returns the unbounded solution with status 3 and nit 0 when it is feasible', async () => {
    const A = DenseMatrix.fromRows([[1, 0], [0, 2], [1, 1]]);
    const res = await lsqLinear(A, [1, 2, 2]);
    expect(res.status).toBe(3);
    expect(res.nit).toBe(0);
    expect(res.x[0]).toBeCloseTo(1, 12);
    expect(res.x[1]).toBeCloseTo(1, 12);
  });

  it('prints scipy-style progress with verbose 2', async () => {
    const lines: string[] = [];
    const A = DenseMatrix.fromRows([[1, 0], [0, 1], [1, 1]]);
    await lsqLinear(A, [3, 3, 6], { bounds: [0, 1], verbose: 2, log: (l) => lines.push(l) });
    expect(lines[0]).toMatch(/Iteration\s+Cost\s+Cost reduction\s+Step norm\s+Optimality/);
    expect(lines.some((l) => /^\s+0\s+\d\.\d{4}e[+-]\d\d/.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/Number of iterations \d+, initial cost .* first-order optimality/);
  });

  it('rejects bad input with typed errors naming the argument', async () => {
    const A = DenseMatrix.fromRows([[1, 0], [0, 1]]);
    await expect(lsqLinear(A, [1, 2, 3])).rejects.toThrow(ShapeMismatchError);
    await expect(lsqLinear(A, [1, NaN])).rejects.toThrow(/b/);
    await expect(lsqLinear(A, [1, 2], { bounds: [1, 0] })).rejects.toThrow(InvalidArgumentError);
    await expect(lsqLinear(A, [1, 2], { tol: -1 })).rejects.toThrow(/tol/);
    await expect(lsqLinear(A, [1, 2], { method: 'nope' as 'trf' })).rejects.toThrow(/method/);
    await expect(lsqLinear(CsrMatrix.fromDense(A), [1, 2], { method: 'bvls' })).rejects.toThrow(/method/);
    await expect(lsqLinear(CsrMatrix.fromDense(A), [1, 2], { lsqSolver: 'exact' })).rejects.toThrow(/lsqSolver/);
    await expect(lsqLinear(A, [1, 2], { maxIter: 0 })).rejects.toThrow(/maxIter/);
    await expect(lsqLinear(A, [1, 2], { lsmrTol: -1 })).rejects.toThrow(/lsmrTol/);
    await expect(lsqLinear(A, [1, 2], { tolerance: 1 } as never)).rejects.toThrow(/options.tolerance.*bounds, method/);
    await expect(lsqLinear({} as never, [1, 2])).rejects.toThrow(/A/);
  });

  it('stops on an aborted signal with the last iterate', async () => {
    const A = DenseMatrix.fromRows([[1, 0], [0, 1], [1, 1]]);
    const ctl = new AbortController();
    ctl.abort();
    await expect(lsqLinear(A, [3, 3, 6], { bounds: [0, 1], signal: ctl.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });
});
