/**
 * NIST StRD nonlinear regression: our leastSquares beside scipy 1.17.1's least_squares on
 * the same runs (analytic Jacobians, both starts, trf / dogbox / lm, default and 1e-15
 * tolerances). scipy's side is read from test/fixtures/least_squares/nist.json, made by
 * test/fixtures/least_squares/make_fixtures.py in the same configuration.
 *
 *   npm run bench:nist [-- --tol 1e-15|default]
 *
 * Prints one row per run (set, start, method, LRE and nfev for both) and a summary, and
 * writes bench/results/nist-latest.json. LRE = min over parameters of
 * -log10(|b - b_cert| / |b_cert|), capped at 15.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DenseMatrix, leastSquares } from '../src/index.js';
import { NIST_NAMES, loadNist, minLre } from '../test/problems/nist.js';

const HERE = dirname(fileURLToPath(import.meta.url));
interface Ref { problem: string; start: number; method: string; tol: string; nfev: number; minLre: number; status: number }
const fixture = JSON.parse(readFileSync(join(HERE, '../test/fixtures/least_squares/nist.json'), 'utf8')) as { runs: Ref[] };
const tolArg = process.argv.includes('--tol') ? process.argv[process.argv.indexOf('--tol') + 1] : 'both';
const tols = tolArg === 'both' ? ['default', '1e-15'] : [tolArg];

export interface NistRow { set: string; start: number; method: 'trf' | 'dogbox' | 'lm'; tol: string; lre: number; nfev: number; status: number; scipyLre: number; scipyNfev: number; error?: string }

/** Runs one NIST set from one start with one method. */
export async function runNist(name: string, start: number, method: 'trf' | 'dogbox' | 'lm', tol: string): Promise<{ lre: number; nfev: number; status: number }> {
  const p = loadNist(name);
  if (!p) throw new Error(`NIST set ${name} not found`);
  const t = tol === 'default' ? {} : { ftol: Number(tol), xtol: Number(tol), gtol: Number(tol) };
  const res = await leastSquares((b) => p.residual(b), p.starts[start - 1], {
    jac: (b) => DenseMatrix.fromRows(p.jacobian(b)), method, ...t,
  });
  return { lre: minLre(res.x, p.certified), nfev: res.nfev, status: res.status };
}

async function main(): Promise<void> {
  if (NIST_NAMES.length === 0) {
    console.log('NIST data not found at ../shared/data/nist: nothing to run');
    return;
  }
  const rows: NistRow[] = [];
  console.log('set          start  method  tol      ours LRE  nfev   scipy LRE  nfev');
  for (const tol of tols) {
    for (const set of NIST_NAMES) {
      for (const start of [1, 2]) {
        for (const method of ['trf', 'dogbox', 'lm'] as const) {
          const ref = fixture.runs.find((r) => r.problem === set && r.start === start && r.method === method && r.tol === tol);
          let row: NistRow;
          try {
            const r = await runNist(set, start, method, tol);
            row = { set, start, method, tol, ...r, scipyLre: ref?.minLre ?? NaN, scipyNfev: ref?.nfev ?? NaN };
          } catch (err) {
            row = { set, start, method, tol, lre: 0, nfev: 0, status: NaN, scipyLre: ref?.minLre ?? NaN, scipyNfev: ref?.nfev ?? NaN, error: String(err) };
          }
          rows.push(row);
          console.log(`${set.padEnd(12)} ${String(start).padStart(5)}  ${method.padEnd(6)}  ${tol.padEnd(7)}  ${row.lre.toFixed(1).padStart(8)}  ${String(row.nfev).padStart(4)}   ${row.scipyLre.toFixed(1).padStart(9)}  ${String(row.scipyNfev).padStart(4)}${row.error ? `  ERROR ${row.error}` : ''}`);
        }
      }
    }
  }
  console.log('\nsummary (runs with LRE >= 4 / >= 6, total nfev): ours | scipy');
  const summary: Record<string, unknown> = {};
  for (const tol of tols) {
    for (const method of ['trf', 'dogbox', 'lm']) {
      const rs = rows.filter((r) => r.tol === tol && r.method === method);
      const s = {
        runs: rs.length,
        ours4: rs.filter((r) => r.lre >= 4).length, ours6: rs.filter((r) => r.lre >= 6).length, oursNfev: rs.reduce((a, r) => a + r.nfev, 0),
        scipy4: rs.filter((r) => r.scipyLre >= 4).length, scipy6: rs.filter((r) => r.scipyLre >= 6).length, scipyNfev: rs.reduce((a, r) => a + r.scipyNfev, 0),
      };
      summary[`${method}/${tol}`] = s;
      console.log(`${method.padEnd(6)} ${tol.padEnd(7)}  ${s.ours4}/${s.runs} ${s.ours6}/${s.runs} ${s.oursNfev}  |  ${s.scipy4}/${s.runs} ${s.scipy6}/${s.runs} ${s.scipyNfev}   nfev ratio ours/scipy ${(s.oursNfev / s.scipyNfev).toFixed(2)}`);
    }
  }
  mkdirSync(join(HERE, 'results'), { recursive: true });
  writeFileSync(join(HERE, 'results/nist-latest.json'), JSON.stringify({ date: new Date().toISOString(), summary, rows }, null, 1));
  console.log('\nwrote bench/results/nist-latest.json');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
