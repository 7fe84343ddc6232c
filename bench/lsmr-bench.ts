/**
 * LSMR benchmark: our lsmr against scipy.sparse.linalg.lsmr on the same random sparse
 * least-squares problem, in one process run.
 *
 *   npm run bench                 (tsx bench/lsmr-bench.ts)
 *   npm run bench -- --quick      (a 10^4 x 10^3 problem with 10^5 nonzeros, for a smoke test)
 *   npm run bench -- --peer-threads default   (scipy with its BLAS thread pool as configured)
 *
 * Problem: A is 10^5 x 10^4 with about 10^6 standard-normal entries at uniform positions
 * (bench/random-sparse.ts), its columns scaled by 10^(-2 u_j), u_j uniform in [0, 1), so
 * that cond(A) is about 10^2 and LSMR needs a few hundred iterations instead of about 15;
 * b is standard normal. Two runs:
 *   fixed-200: atol = btol = 1e-8, maxiter = 200. Neither solver converges by then, so
 *              both do exactly 200 iterations and the times compare like for like.
 *              After 200 unconverged iterations normr is rounding-sensitive (b scaled by
 *              1 + 1e-15 moves scipy's own normr by ~1e-6), so expect agreement to ~1e-6 here.
 *   default:   each solver's default options (atol = btol = 1e-6, conlim 1e8,
 *              maxiter = min(m, n)); iteration counts may differ by a few.
 * Each side: one untimed warm-up solve, then the median of 3 timed solves (ours timed
 * with performance.now() around the awaited call, scipy's with time.perf_counter in
 * bench/scipy_lsmr.py, run as a python3 child process on the same binary files).
 *
 * The peer runs with OPENBLAS/OMP/MKL_NUM_THREADS=1 (our solver is single-threaded, and
 * scipy's sparse products are too): on the 2-core dev boxes OpenBLAS's thread pool made
 * the vector updates 3x slower under load. `--peer-threads N` sets another count;
 * `--peer-threads default` leaves the environment alone.
 *
 * Writes bench/results/lsmr-<timestamp>.json and bench/results/lsmr-latest.json.
 * Without python3 or scipy the peer is skipped and only our figures are printed.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, platform, arch } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lsmr } from '../src/linear/lsmr.js';
import type { CsrMatrix } from '../src/sparse/csr.js';
import { randomSparseMatrix as randomSparse, randomVector, rng as uniformSource } from '../src/problems/random-sparse.js';
import { writeProblemFiles } from './random-sparse.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const RESULTS = join(HERE, 'results');
const PEER = join(HERE, 'scipy_lsmr.py');

const QUICK = process.argv.includes('--quick');
const M = QUICK ? 10_000 : 100_000;
const N = QUICK ? 1_000 : 10_000;
const NNZ = QUICK ? 100_000 : 1_000_000;
const SEED = 20240611;
const COLUMN_SCALE_DECADES = 2;
const REPEATS = 3;
const PEER_THREADS = argValue('--peer-threads') ?? '1';

function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** The child's environment: BLAS/OpenMP pools pinned to PEER_THREADS unless it is 'default'. */
function peerEnv(): NodeJS.ProcessEnv {
  if (PEER_THREADS === 'default') return process.env;
  const t = PEER_THREADS;
  return { ...process.env, OPENBLAS_NUM_THREADS: t, OMP_NUM_THREADS: t, MKL_NUM_THREADS: t };
}

interface RunSpec {
  name: string;
  description: string;
  /** Passed to both solvers; undefined leaves each at its own default. */
  atol?: number;
  btol?: number;
  maxiter?: number;
}

const SPECS: RunSpec[] = [
  { name: 'fixed-200', description: 'atol = btol = 1e-8, maxiter = 200', atol: 1e-8, btol: 1e-8, maxiter: 200 },
  { name: 'default', description: 'default options (atol = btol = 1e-6, maxiter = min(m, n))' },
];

interface SideResult {
  seconds: number;
  runs: number[];
  itn: number;
  istop: number;
  normr: number;
  normar: number;
  normx: number;
  secondsPerIteration: number;
  matvecGBps: number;
  backend?: string;
}

/**
 * Bytes moved by one LSMR iteration's two products, A·v and Aᵀ·u, on an m x n CSR matrix
 * with nnz entries:
 *   per product: 12 nnz (8-byte value + 4-byte column index per entry)
 *              + 4 (rows + 1) (row pointers of the matrix as traversed)
 *              + 8 (input length) (input vector, each entry read once: the ideal-cache count)
 *              + 8 (output length) (output vector, each entry written once)
 *   A·v:  12 nnz + 4 (m + 1) + 8 n + 8 m
 *   Aᵀ·u: 12 nnz + 4 (n + 1) + 8 m + 8 n   (counted as a pass over the transpose's CSR)
 *   sum:  24 nnz + 20 (m + n) + 8
 * Throughput = bytes per iteration x iterations / whole-solve seconds, so it is an
 * effective figure: the solve's vector updates and reductions are inside the time but
 * not in the byte count.
 */
function bytesPerIteration(m: number, n: number, nnz: number): number {
  return 24 * nnz + 20 * (m + n) + 8;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 ? s[k] : 0.5 * (s[k - 1] + s[k]);
}

function lsmrOptions(spec: RunSpec): { atol?: number; btol?: number; maxiter?: number } {
  const o: { atol?: number; btol?: number; maxiter?: number } = {};
  if (spec.atol !== undefined) o.atol = spec.atol;
  if (spec.btol !== undefined) o.btol = spec.btol;
  if (spec.maxiter !== undefined) o.maxiter = spec.maxiter;
  return o;
}

async function timeOurs(a: CsrMatrix, b: Float64Array, spec: RunSpec, bytesPerIt: number): Promise<SideResult> {
  const options = lsmrOptions(spec);
  await lsmr(a, b, options); // warm-up: JIT and any backend setup
  const runs: number[] = [];
  let res: Awaited<ReturnType<typeof lsmr>> | undefined;
  for (let r = 0; r < REPEATS; r++) {
    const t0 = performance.now();
    res = await lsmr(a, b, options);
    runs.push((performance.now() - t0) / 1000);
  }
  const out = res!;
  const seconds = median(runs);
  return {
    seconds,
    runs,
    itn: out.itn,
    istop: out.istop,
    normr: out.normr,
    normar: out.normar,
    normx: out.normx,
    secondsPerIteration: seconds / Math.max(1, out.itn),
    matvecGBps: (bytesPerIt * out.itn) / seconds / 1e9,
    backend: String(out.backend),
  };
}

type PeerOutcome = { ok: true; result: SideResult; versions: Record<string, string> } | { ok: false; reason: string };

function timeScipy(dir: string, spec: RunSpec, bytesPerIt: number): PeerOutcome {
  const args = [PEER, dir, '--repeat', String(REPEATS)];
  if (spec.atol !== undefined) args.push('--atol', String(spec.atol));
  if (spec.btol !== undefined) args.push('--btol', String(spec.btol));
  if (spec.maxiter !== undefined) args.push('--maxiter', String(spec.maxiter));
  const p = spawnSync('python3', args, { encoding: 'utf8', maxBuffer: 1 << 24, env: peerEnv() });
  if (p.error) {
    const code = (p.error as NodeJS.ErrnoException).code;
    return { ok: false, reason: code === 'ENOENT' ? 'python3 not found' : `python3 failed to start: ${p.error.message}` };
  }
  if (p.status !== 0) {
    const err = p.stderr.trim();
    const missing = /No module named '?(numpy|scipy)/.exec(err);
    return { ok: false, reason: missing ? `${missing[1]} is not installed for python3` : `scipy_lsmr.py exited with ${p.status}: ${err.split('\n').slice(-3).join(' | ')}` };
  }
  const j = JSON.parse(p.stdout) as {
    seconds: number; runs: number[]; itn: number; istop: number; normr: number; normar: number; normx: number;
    python: string; numpy: string; scipy: string;
  };
  return {
    ok: true,
    result: {
      seconds: j.seconds,
      runs: j.runs,
      itn: j.itn,
      istop: j.istop,
      normr: j.normr,
      normar: j.normar,
      normx: j.normx,
      secondsPerIteration: j.seconds / Math.max(1, j.itn),
      matvecGBps: (bytesPerIt * j.itn) / j.seconds / 1e9,
    },
    versions: { python: j.python, numpy: j.numpy, scipy: j.scipy },
  };
}

function pad(s: string, w: number, left = false): string {
  return left ? s.padEnd(w) : s.padStart(w);
}

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => pad(c, widths[i], i < 2)).join('  ');
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const base = randomSparse(M, N, NNZ, SEED);
  const u = uniformSource(SEED + 1);
  const scale = new Float64Array(N);
  for (let j = 0; j < N; j++) scale[j] = 10 ** (-COLUMN_SCALE_DECADES * u());
  const a = base.scaleColumns(scale);
  const b = randomVector(M, SEED + 2);
  const files = writeProblemFiles(a, b);
  const bytesPerIt = bytesPerIteration(a.rows, a.cols, a.nnz);
  console.log(
    `LSMR bench: A ${a.rows} x ${a.cols}, nnz ${a.nnz} (seed ${SEED}, columns scaled by 10^(-${COLUMN_SCALE_DECADES} u)), ` +
      `built in ${((performance.now() - t0) / 1000).toFixed(2)} s; median of ${REPEATS} solves after a warm-up; ` +
      `scipy BLAS threads: ${PEER_THREADS}`,
  );
  console.log(`bytes per iteration (A·v + Aᵀ·u) = 24 nnz + 20 (m + n) + 8 = ${(bytesPerIt / 1e6).toFixed(2)} MB\n`);

  const widths = [10, 6, 8, 5, 5, 9, 9, 7, 22, 24];
  const header = ['run', 'impl', 'backend', 'itn', 'istop', 'seconds', 'ms/iter', 'GB/s', 'normr', 'scipy/ours time (/iter)'];
  const lines: string[] = [row(header, widths), widths.map((w) => '-'.repeat(w)).join('  ')];
  const runs: unknown[] = [];
  let versions: Record<string, string> | undefined;
  let skipped: string | undefined;

  try {
    for (const spec of SPECS) {
      const ours = await timeOurs(a, b, spec, bytesPerIt);
      const peer: PeerOutcome = skipped ? { ok: false, reason: skipped } : timeScipy(files.dir, spec, bytesPerIt);
      let ratio: number | null = null, ratioPerIt: number | null = null, normrRelDiff: number | null = null;
      if (peer.ok) {
        versions = peer.versions;
        ratio = peer.result.seconds / ours.seconds;
        ratioPerIt = peer.result.secondsPerIteration / ours.secondsPerIteration;
        normrRelDiff = Math.abs(ours.normr - peer.result.normr) / Math.max(Math.abs(peer.result.normr), Number.MIN_VALUE);
      } else {
        skipped = peer.reason;
      }
      const cells = (impl: string, r: SideResult, last: string): string[] => [
        spec.name, impl, r.backend ?? '-', String(r.itn), String(r.istop), r.seconds.toFixed(4),
        (1000 * r.secondsPerIteration).toFixed(3), r.matvecGBps.toFixed(2), r.normr.toPrecision(15), last,
      ];
      lines.push(row(cells('ours', ours, ratio === null ? '' : `${ratio.toFixed(2)}x (${ratioPerIt!.toFixed(2)}x)`), widths));
      if (peer.ok) lines.push(row(cells('scipy', peer.result, `normr rel diff ${normrRelDiff!.toExponential(1)}`), widths));
      else lines.push(`${pad(spec.name, widths[0], true)}  scipy skipped: ${peer.reason}`);
      runs.push({
        name: spec.name,
        description: spec.description,
        options: lsmrOptions(spec),
        ours,
        scipy: peer.ok ? peer.result : null,
        scipySkipped: peer.ok ? undefined : peer.reason,
        scipyOverOursTime: ratio,
        scipyOverOursTimePerIteration: ratioPerIt,
        normrRelDiff,
      });
    }
  } finally {
    rmSync(files.dir, { recursive: true, force: true });
  }

  console.log(lines.join('\n'));
  if (skipped) console.log(`\nThe scipy peer was skipped: ${skipped}.`);

  const stamp = new Date().toISOString();
  const record = {
    bench: 'lsmr',
    timestamp: stamp,
    quick: QUICK,
    problem: {
      rows: a.rows, cols: a.cols, nnz: a.nnz, seed: SEED, generator: 'bench/random-sparse.ts randomSparse + randomVector',
      columnScale: `10^(-${COLUMN_SCALE_DECADES} u_j), u_j from uniformSource(seed + 1)`, b: 'randomVector(m, seed + 2)',
    },
    repeats: REPEATS,
    peerThreads: PEER_THREADS,
    timing: 'median of REPEATS solves after one untimed warm-up; ours performance.now(), scipy time.perf_counter()',
    bytesPerIteration: bytesPerIt,
    bytesFormula: '24 nnz + 20 (m + n) + 8: per product 12 B per nonzero, 4 B per row pointer, 8 B per input and output entry',
    environment: {
      node: process.version, platform: platform(), arch: arch(), cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length,
      ...(versions ?? {}),
    },
    runs,
    table: lines,
  };
  mkdirSync(RESULTS, { recursive: true });
  const text = JSON.stringify(record, null, 2) + '\n';
  const name = `lsmr-${QUICK ? 'quick-' : ''}${stamp.replace(/[:.]/g, '-')}.json`;
  writeFileSync(join(RESULTS, name), text);
  writeFileSync(join(RESULTS, QUICK ? 'lsmr-quick-latest.json' : 'lsmr-latest.json'), text);
  console.log(`\nwrote bench/results/${name} and bench/results/${QUICK ? 'lsmr-quick-latest.json' : 'lsmr-latest.json'}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
