/**
 * leastSquares benchmark: our trf (lsmr and cg) and dogbox against scipy 1.17.1's
 * least_squares on the 11 sparse 10,000-variable problems of test/problems/mgh.ts
 * (SPARSE_PROBLEMS; the Python twins are sparse_problems() in
 * test/fixtures/least_squares/make_fixtures.py), in one run.
 *
 *   npx tsx bench/least-squares-bench.ts
 *   ... --quick                       (n = 1,000 instead of 10,000: a smoke test)
 *   ... --repeat N                    (timed runs per side, default 3; the median is reported)
 *   ... --problems a,b  --configs trf-lsmr/analytic,dogbox-lsmr/sparsity
 *   ... --peer-threads N|default      (scipy's BLAS threads, default 1)
 *   ... --no-peer                     (ours only)
 *
 * Configurations (every one with xtol = ftol = gtol = sqrt(eps) and the problem's bounds,
 * as make_sparse() ran scipy):
 *   trf-lsmr/analytic      trf, trSolver 'lsmr', analytic CSR Jacobian   vs scipy trf lsmr, jac = csr
 *   trf-lsmr/sparsity      trf, 'lsmr', jacSparsity + 2-point            vs scipy trf lsmr, jac_sparsity
 *   trf-cg/analytic        trf, 'cg' (Steihaug-CG), analytic CSR         vs scipy trf lsmr, jac = csr (scipy has no cg)
 *   dogbox-lsmr/analytic   dogbox, 'lsmr', analytic CSR                  vs scipy dogbox lsmr, jac = csr
 *   dogbox-lsmr/sparsity   dogbox, 'lsmr', jacSparsity + 2-point         vs scipy dogbox lsmr, jac_sparsity
 * The analytic Jacobian is built from the problem's triplets on every call on both sides
 * (CsrMatrix.fromTriplets here, sp.csr_matrix((vals, (rows, cols))) in scipy), so that
 * cost is in both timings.
 *
 * Each side: one untimed warm-up solve, then the median of --repeat timed solves (ours
 * with performance.now() around the awaited leastSquares call on the CPU backend, scipy's
 * with time.perf_counter in bench/scipy_least_squares.py, one python3 child process for
 * all of scipy's runs). Building the problems is not timed.
 *
 * ratio = scipy seconds / our seconds: above 1 we are faster. Per configuration the table
 * gives the total seconds of each side, total / total, and the geometric mean of the
 * per-problem ratios. Load averages (os.loadavg) are printed before and after: the other
 * core of a 2-core box being busy distorts both sides.
 *
 * Writes bench/results/least-squares-<timestamp>.json and least-squares-latest.json
 * (least-squares-quick-* with --quick). Without python3 or scipy the peer is skipped and
 * only our figures are printed.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CsrMatrix, leastSquares, type LeastSquaresOptions, type LeastSquaresResult } from '../src/index.js';
import { makeSparseProblems, type SparseProblem } from '../test/problems/mgh.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const RESULTS = join(HERE, 'results');
const PEER = join(HERE, 'scipy_least_squares.py');

const QUICK = process.argv.includes('--quick');
const NO_PEER = process.argv.includes('--no-peer');
const N = QUICK ? 1000 : 10000;
const REPEATS = Math.max(1, Number(argValue('--repeat') ?? 3));
const PEER_THREADS = argValue('--peer-threads') ?? '1';
const SQRT_EPS = Math.sqrt(2.220446049250313e-16);

function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

type Method = 'trf' | 'dogbox';
type JacMode = 'analytic' | 'sparsity';
interface Config {
  name: string;
  method: Method;
  trSolver: 'lsmr' | 'cg';
  jac: JacMode;
}

const CONFIGS: Config[] = [
  { name: 'trf-lsmr/analytic', method: 'trf', trSolver: 'lsmr', jac: 'analytic' },
  { name: 'trf-lsmr/sparsity', method: 'trf', trSolver: 'lsmr', jac: 'sparsity' },
  { name: 'trf-cg/analytic', method: 'trf', trSolver: 'cg', jac: 'analytic' },
  { name: 'dogbox-lsmr/analytic', method: 'dogbox', trSolver: 'lsmr', jac: 'analytic' },
  { name: 'dogbox-lsmr/sparsity', method: 'dogbox', trSolver: 'lsmr', jac: 'sparsity' },
];

interface OurRun {
  seconds: number;
  times: number[];
  nfev: number;
  njev: number | null;
  cost: number;
  status: number;
  error?: string;
}

interface PeerRun {
  problem: string;
  method: Method;
  jac: JacMode;
  seconds?: number;
  times?: number[];
  nfev?: number;
  njev?: number | null;
  cost?: number;
  status?: number;
  error?: string;
}

type PeerOutcome =
  | { ok: true; runs: PeerRun[]; versions: { python: string; numpy: string; scipy: string } }
  | { ok: false; reason: string };

function options(p: SparseProblem, c: Config): LeastSquaresOptions {
  const { rows, cols } = p.sparsity;
  const base: LeastSquaresOptions = {
    method: c.method, trSolver: c.trSolver, xtol: SQRT_EPS, ftol: SQRT_EPS, gtol: SQRT_EPS, backend: 'cpu',
    ...(p.bounds ? { bounds: p.bounds } : {}),
  };
  if (c.jac === 'analytic') {
    return { ...base, jac: (x) => { const t = p.jacobian(x); return CsrMatrix.fromTriplets(p.m, p.n, t.rows, t.cols, t.vals); } };
  }
  return { ...base, jacSparsity: CsrMatrix.fromTriplets(p.m, p.n, rows, cols, new Float64Array(rows.length).fill(1)) };
}

async function runOurs(p: SparseProblem, c: Config): Promise<OurRun> {
  const solve = () => leastSquares((x) => p.residual(x), p.x0, options(p, c));
  const times: number[] = [];
  let res: LeastSquaresResult | undefined;
  try {
    await solve(); // warm-up
    for (let r = 0; r < REPEATS; r++) {
      const t0 = performance.now();
      res = await solve();
      times.push((performance.now() - t0) / 1000);
    }
  } catch (err) {
    // Reported in the table (and the JSON), not fatal: the other runs still compare.
    return { seconds: NaN, times, nfev: NaN, njev: null, cost: NaN, status: NaN, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
  return { seconds: median(times), times, nfev: res!.nfev, njev: res!.njev, cost: res!.cost, status: res!.status };
}

function peerEnv(): NodeJS.ProcessEnv {
  if (PEER_THREADS === 'default') return process.env;
  const t = PEER_THREADS;
  return { ...process.env, OPENBLAS_NUM_THREADS: t, OMP_NUM_THREADS: t, MKL_NUM_THREADS: t };
}

function runPeer(problems: SparseProblem[], configs: Config[]): PeerOutcome {
  const methods = [...new Set(configs.map((c) => c.method))];
  const jacs = [...new Set(configs.map((c) => c.jac))];
  const args = [PEER, '--n', String(N), '--repeat', String(REPEATS), '--threads', PEER_THREADS,
    '--problems', problems.map((p) => p.name).join(','), '--methods', methods.join(','), '--jacs', jacs.join(',')];
  const p = spawnSync('python3', args, { encoding: 'utf8', maxBuffer: 1 << 26, env: peerEnv() });
  if (p.error) {
    const code = (p.error as NodeJS.ErrnoException).code;
    return { ok: false, reason: code === 'ENOENT' ? 'python3 not found' : `python3 failed to start: ${p.error.message}` };
  }
  if (p.status !== 0) {
    const err = (p.stderr || '').trim();
    const missing = /No module named '?([\w.]+)'?/.exec(err);
    return { ok: false, reason: missing ? `${missing[1]} is not installed for python3` : `scipy_least_squares.py exited with ${p.status}: ${err.split('\n').slice(-3).join(' | ')}` };
  }
  const j = JSON.parse(p.stdout) as { runs: PeerRun[]; python: string; numpy: string; scipy: string };
  return { ok: true, runs: j.runs, versions: { python: j.python, numpy: j.numpy, scipy: j.scipy } };
}

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  const k = s.length >> 1;
  return s.length % 2 ? s[k] : 0.5 * (s[k - 1] + s[k]);
}

const fmtS = (s: number | undefined) => (s === undefined || Number.isNaN(s) ? '-' : s.toFixed(3));
const fmtR = (r: number | undefined) => (r === undefined || !Number.isFinite(r) ? '-' : r.toFixed(2));
const fmtC = (c: number | undefined) => (c === undefined ? '-' : c.toExponential(3));
const fmtLoad = () => loadavg().map((v) => v.toFixed(2)).join(' ');

interface Row {
  problem: string;
  config: string;
  ours: OurRun;
  scipy: PeerRun | null;
  ratio: number | null;
}

async function main(): Promise<void> {
  const onlyProblems = argValue('--problems')?.split(',').filter(Boolean);
  const onlyConfigs = argValue('--configs')?.split(',').filter(Boolean);
  const problems = makeSparseProblems(N).filter((p) => !onlyProblems || onlyProblems.includes(p.name));
  const configs = CONFIGS.filter((c) => !onlyConfigs || onlyConfigs.includes(c.name));
  if (problems.length === 0 || configs.length === 0) throw new Error('no problems or configurations selected');

  const loadStart = loadavg();
  console.log(`leastSquares vs scipy least_squares: ${problems.length} sparse problems, n = ${N}, median of ${REPEATS} after a warm-up`);
  console.log(`load average at start: ${fmtLoad()} (${cpus().length} cores)`);

  const started = performance.now();
  let peer: PeerOutcome = { ok: false, reason: 'disabled by --no-peer' };
  if (!NO_PEER) {
    process.stdout.write('scipy ... ');
    const t0 = performance.now();
    peer = runPeer(problems, configs);
    console.log(peer.ok ? `done in ${((performance.now() - t0) / 1000).toFixed(1)} s (scipy ${peer.versions.scipy}, BLAS threads ${PEER_THREADS})` : `skipped: ${peer.reason}`);
  }

  const rows: Row[] = [];
  for (const p of problems) {
    for (const c of configs) {
      const ours = await runOurs(p, c);
      const ref = peer.ok ? peer.runs.find((r) => r.problem === p.name && r.method === c.method && r.jac === c.jac) ?? null : null;
      const ratio = ref?.seconds !== undefined && !ours.error ? ref.seconds / ours.seconds : null;
      rows.push({ problem: p.name, config: c.name, ours, scipy: ref, ratio });
    }
    process.stdout.write(`  ${p.name} done (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
  }
  const loadEnd = loadavg();

  // The table.
  const header = ['problem', 'config', 'ours s', 'scipy s', 'scipy/ours', 'nfev ours', 'nfev scipy', 'cost ours', 'cost scipy'];
  const body = rows.map((r) => [
    r.problem, r.config, r.ours.error ? 'error' : fmtS(r.ours.seconds), fmtS(r.scipy?.seconds), fmtR(r.ratio ?? undefined),
    r.ours.error ? '-' : String(r.ours.nfev), r.scipy?.nfev !== undefined ? String(r.scipy.nfev) : (r.scipy?.error ? 'error' : '-'),
    fmtC(r.ours.cost), fmtC(r.scipy?.cost),
  ]);
  printTable(header, body);
  for (const r of rows) {
    if (r.ours.error) console.log(`error (ours) ${r.problem} ${r.config}: ${r.ours.error}`);
    if (r.scipy?.error) console.log(`error (scipy) ${r.problem} ${r.config}: ${r.scipy.error}`);
  }

  // Per-configuration totals.
  const totals = configs.map((c) => {
    const rs = rows.filter((r) => r.config === c.name);
    const failed = rs.filter((r) => r.ours.error).length;
    const ours = failed ? NaN : rs.reduce((s, r) => s + r.ours.seconds, 0);
    const paired = rs.filter((r) => r.ratio !== null);
    const scipy = paired.length === rs.length ? paired.reduce((s, r) => s + r.scipy!.seconds!, 0) : null;
    const geomean = paired.length ? Math.exp(paired.reduce((s, r) => s + Math.log(r.ratio!), 0) / paired.length) : null;
    return {
      config: c.name, peer: `scipy ${c.method} lsmr/${c.jac}`, problems: rs.length, failed,
      oursSeconds: ours, scipySeconds: scipy, totalRatio: scipy === null ? null : scipy / ours, geomeanRatio: geomean,
      oursNfev: rs.reduce((s, r) => s + r.ours.nfev, 0),
      scipyNfev: paired.length === rs.length ? rs.reduce((s, r) => s + (r.scipy?.nfev ?? 0), 0) : null,
      fasterCount: paired.filter((r) => r.ratio! >= 1).length,
    };
  });
  console.log('');
  printTable(
    ['config', 'vs', 'ours s', 'scipy s', 'total ratio', 'geomean ratio', 'ours >= scipy', 'nfev ours', 'nfev scipy'],
    totals.map((t) => [
      t.config, t.peer, fmtS(t.oursSeconds), fmtS(t.scipySeconds ?? undefined), fmtR(t.totalRatio ?? undefined),
      fmtR(t.geomeanRatio ?? undefined), peer.ok ? `${t.fasterCount}/${t.problems}` : '-', String(t.oursNfev),
      t.scipyNfev === null ? '-' : String(t.scipyNfev),
    ]),
  );
  console.log('\nratio = scipy seconds / our seconds (> 1: ours faster); geomean over the problems of the per-problem ratios.');
  if (!peer.ok) console.log(`scipy peer skipped: ${peer.reason}`);
  console.log(`load average at end: ${fmtLoad()}; wall ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const prefix = QUICK ? 'least-squares-quick' : 'least-squares';
  const out = {
    bench: 'least-squares', date: new Date().toISOString(), n: N, repeats: REPEATS,
    options: { xtol: SQRT_EPS, ftol: SQRT_EPS, gtol: SQRT_EPS, backend: 'cpu' },
    peer: peer.ok ? { ok: true, versions: peer.versions, blasThreads: PEER_THREADS } : { ok: false, reason: peer.reason },
    environment: {
      node: process.version, platform: platform(), arch: arch(), cpu: cpus()[0]?.model, cores: cpus().length,
      loadavgStart: loadStart, loadavgEnd: loadEnd,
    },
    totals,
    rows: rows.map((r) => ({ problem: r.problem, config: r.config, ratio: r.ratio, ours: r.ours, scipy: r.scipy })),
  };
  mkdirSync(RESULTS, { recursive: true });
  const text = JSON.stringify(out, null, 1) + '\n';
  writeFileSync(join(RESULTS, `${prefix}-${stamp}.json`), text);
  writeFileSync(join(RESULTS, `${prefix}-latest.json`), text);
  console.log(`wrote bench/results/${prefix}-${stamp}.json and bench/results/${prefix}-latest.json`);
}

function printTable(header: string[], body: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of body) console.log(line(r));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
