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
 * First, every configuration runs once on the n = 1000 twins of the problems (V8 JIT
 * warm-up; not timed). Then, per problem and configuration, each side does one untimed
 * warm-up solve and --repeat timed solves, of which the median is reported: ours timed
 * with performance.now() around the awaited leastSquares call on the CPU backend, scipy's
 * with time.perf_counter in bench/scipy_least_squares.py, which runs as one python3 child
 * process in --serve mode. The timed solves alternate, scipy's then ours, so that both
 * sides see the same load when other work shares the machine. Building the problems is
 * not timed.
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
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
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

interface Versions {
  python: string;
  numpy: string;
  scipy: string;
}

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

/**
 * scipy's side: bench/scipy_least_squares.py --serve as a child process, answering one
 * JSON-line request (problem, method, jac, repeat, warmup) with one JSON line.
 */
class Peer {
  private buffer = '';
  private stderr = '';
  private waiting: ((line: string | null) => void)[] = [];
  private exited = false;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      this.buffer += chunk;
      for (let i = this.buffer.indexOf('\n'); i >= 0; i = this.buffer.indexOf('\n')) {
        const line = this.buffer.slice(0, i);
        this.buffer = this.buffer.slice(i + 1);
        this.waiting.shift()?.(line);
      }
    });
    child.stderr.on('data', (chunk: string) => { this.stderr = (this.stderr + chunk).slice(-4000); });
    child.on('close', () => {
      this.exited = true;
      for (const w of this.waiting.splice(0)) w(null);
    });
  }

  /** Starts the server; a reason string when python3, numpy or scipy is missing. */
  static async start(problems: SparseProblem[]): Promise<{ peer: Peer; versions: Versions } | { reason: string }> {
    const args = [PEER, '--serve', '--n', String(N), '--threads', PEER_THREADS, '--problems', problems.map((p) => p.name).join(',')];
    const child = spawn('python3', args, { env: peerEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    const spawnError = new Promise<string>((resolve) => child.on('error', (err: NodeJS.ErrnoException) =>
      resolve(err.code === 'ENOENT' ? 'python3 not found' : `python3 failed to start: ${err.message}`)));
    const peer = new Peer(child);
    const first = await Promise.race([peer.next(), spawnError]);
    if (first === null || !first.startsWith('{')) {
      const reason = typeof first === 'string' ? first : peer.failure();
      child.kill();
      return { reason };
    }
    const ready = JSON.parse(first) as Versions & { ready: boolean };
    return { peer, versions: { python: ready.python, numpy: ready.numpy, scipy: ready.scipy } };
  }

  async run(p: SparseProblem, c: Config, repeat: number, warmup: boolean): Promise<PeerRun> {
    if (this.exited) return { problem: p.name, method: c.method, jac: c.jac, error: this.failure() };
    const reply = this.next();
    this.child.stdin.write(JSON.stringify({ problem: p.name, method: c.method, jac: c.jac, repeat, warmup }) + '\n');
    const line = await reply;
    return line === null ? { problem: p.name, method: c.method, jac: c.jac, error: this.failure() } : (JSON.parse(line) as PeerRun);
  }

  close(): void {
    this.child.stdin.end();
  }

  private next(): Promise<string | null> {
    if (this.exited) return Promise.resolve(null);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private failure(): string {
    const err = this.stderr.trim();
    const missing = /No module named '?([\w.]+)'?/.exec(err);
    return missing ? `${missing[1]} is not installed for python3` : `scipy_least_squares.py exited: ${err.split('\n').slice(-3).join(' | ')}`;
  }
}

/**
 * One (problem, configuration): a warm-up on each side, then REPEATS timed solves on each
 * side, alternating scipy's and ours so that both see the same load. Errors are reported
 * in the table, not fatal.
 */
async function measure(p: SparseProblem, c: Config, peer: Peer | null): Promise<{ ours: OurRun; scipy: PeerRun | null }> {
  const opts = options(p, c);
  const solve = () => leastSquares((x) => p.residual(x), p.x0, opts);
  const times: number[] = [], peerTimes: number[] = [];
  let res: LeastSquaresResult | undefined;
  let ours: OurRun | null = null;
  let scipy: PeerRun | null = null;
  try {
    await solve(); // warm-up
  } catch (err) {
    ours = failed(err, times);
  }
  for (let r = 0; r < REPEATS; r++) {
    if (peer && !scipy?.error) {
      const run = await peer.run(p, c, 1, r === 0);
      if (run.error) scipy = run;
      else {
        peerTimes.push(run.seconds!);
        scipy = { ...run, seconds: median(peerTimes), times: [...peerTimes] };
      }
    }
    if (!ours) {
      try {
        const t0 = performance.now();
        res = await solve();
        times.push((performance.now() - t0) / 1000);
      } catch (err) {
        ours = failed(err, times);
      }
    }
  }
  ours ??= { seconds: median(times), times, nfev: res!.nfev, njev: res!.njev, cost: res!.cost, status: res!.status };
  return { ours, scipy };
}

function failed(err: unknown, times: number[]): OurRun {
  return { seconds: NaN, times, nfev: NaN, njev: null, cost: NaN, status: NaN, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
}

function peerEnv(): NodeJS.ProcessEnv {
  if (PEER_THREADS === 'default') return process.env;
  const t = PEER_THREADS;
  return { ...process.env, OPENBLAS_NUM_THREADS: t, OMP_NUM_THREADS: t, MKL_NUM_THREADS: t };
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
  let peer: Peer | null = null;
  let versions: Versions | null = null;
  let skipped = NO_PEER ? 'disabled by --no-peer' : '';
  if (!NO_PEER) {
    const out = await Peer.start(problems);
    if ('reason' in out) skipped = out.reason;
    else ({ peer, versions } = out);
    console.log(versions ? `scipy ${versions.scipy} (numpy ${versions.numpy}, python ${versions.python}), BLAS threads ${PEER_THREADS}` : `scipy peer skipped: ${skipped}`);
  }

  // JIT warm-up: every configuration once on the n = 1000 twins of the problems, so that
  // the first problems measured do not pay for V8 still compiling the solver (scipy's side
  // has no JIT; each measurement below still starts with its own untimed solve).
  const warmStart = performance.now();
  for (const p of makeSparseProblems(1000).filter((q) => problems.some((r) => r.name === q.name))) {
    for (const c of configs) await leastSquares((x) => p.residual(x), p.x0, options(p, c)).catch(() => undefined);
  }
  console.log(`JIT warm-up on the n = 1000 twins: ${((performance.now() - warmStart) / 1000).toFixed(1)} s`);

  const rows: Row[] = [];
  try {
    for (const p of problems) {
      for (const c of configs) {
        const { ours, scipy } = await measure(p, c, peer);
        const ratio = scipy?.seconds !== undefined && !ours.error ? scipy.seconds / ours.seconds : null;
        rows.push({ problem: p.name, config: c.name, ours, scipy, ratio });
      }
      process.stdout.write(`  ${p.name} done (${((performance.now() - started) / 1000).toFixed(0)} s, load ${fmtLoad()})\n`);
    }
  } finally {
    (peer as Peer | null)?.close();
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
      fmtR(t.geomeanRatio ?? undefined), versions ? `${t.fasterCount}/${t.problems}` : '-', String(t.oursNfev),
      t.scipyNfev === null ? '-' : String(t.scipyNfev),
    ]),
  );
  console.log('\nratio = scipy seconds / our seconds (> 1: ours faster); geomean over the problems of the per-problem ratios.');
  if (!versions) console.log(`scipy peer skipped: ${skipped}`);
  console.log(`load average at end: ${fmtLoad()}; wall ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const prefix = QUICK ? 'least-squares-quick' : 'least-squares';
  const out = {
    bench: 'least-squares', date: new Date().toISOString(), n: N, repeats: REPEATS,
    options: { xtol: SQRT_EPS, ftol: SQRT_EPS, gtol: SQRT_EPS, backend: 'cpu' },
    peer: versions ? { ok: true, versions, blasThreads: PEER_THREADS } : { ok: false, reason: skipped },
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
