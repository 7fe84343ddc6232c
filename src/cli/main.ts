#!/usr/bin/env node
/**
 * The trustgpu command-line tool. Until bundle adjustment lands, its main job
 * (`npm start`) is `trustgpu lsq`: a built-in bounded sparse least-squares problem
 * (the one from scipy's lsq_linear documentation) solved with a per-iteration table
 * and a summary.
 */
import { parseArgs } from 'node:util';
import { lsqLinear } from '../linear/lsq-linear.js';
import { randomSparseMatrix, randomVector } from '../problems/random-sparse.js';
import { TrustGpuError } from '../errors.js';
import { fmtE } from '../format.js';

const USAGE = `Usage: trustgpu [lsq] [options]

Commands:
  lsq            solve a built-in random bounded sparse least-squares problem (default)

Options for lsq:
  --rows N       rows of A (default 10000)
  --cols N       columns of A (default 5000)
  --nnz N        nonzeros of A (default 4 * rows)
  --seed N       random seed (default 1)
  --method M     trf | bvls (bvls needs a dense A; not for this sparse problem) (default trf)
  --lsmr-tol T   LSMR tolerance, a number or 'auto' (default 1e-2 * tol, as scipy;
                 'auto' is faster per iteration but can stall, as in scipy)
  --backend B    auto | cpu (default auto)
  --quiet        no per-iteration lines
  --json         print the result as one JSON object
  -h, --help     this text`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      rows: { type: 'string' },
      cols: { type: 'string' },
      nnz: { type: 'string' },
      seed: { type: 'string' },
      method: { type: 'string' },
      'lsmr-tol': { type: 'string' },
      backend: { type: 'string' },
      quiet: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const command = positionals[0] ?? 'lsq';
  if (command !== 'lsq') {
    console.error(`trustgpu: unknown command '${command}'\n\n${USAGE}`);
    return 2;
  }
  const int = (name: string, v: string | undefined, dflt: number): number => {
    if (v === undefined) return dflt;
    const x = Number(v);
    if (!Number.isInteger(x) || x < 1) throw new TrustGpuError(`--${name}: expected a positive integer, got '${v}'`);
    return x;
  };
  const m = int('rows', values.rows, 10000);
  const n = int('cols', values.cols, 5000);
  const nnz = int('nnz', values.nnz, 4 * m);
  const seed = int('seed', values.seed, 1);
  const lsmrTolArg = values['lsmr-tol'];
  const lsmrTol = lsmrTolArg === undefined || lsmrTolArg === 'auto' ? lsmrTolArg : Number(lsmrTolArg);

  const a = randomSparseMatrix(m, n, nnz, seed);
  const b = randomVector(m, seed + 1);
  const lb = randomVector(n, seed + 2);
  const ub = lb.map((v) => v + 1);
  const quiet = values.quiet || values.json;
  if (!quiet) console.log(`trustgpu lsq: ${m} x ${n} sparse A with ${a.nnz} nonzeros, bounds lb <= x <= lb + 1\n`);

  const t0 = performance.now();
  const res = await lsqLinear(a, b, {
    bounds: [lb, ub],
    method: (values.method ?? 'trf') as 'trf' | 'bvls',
    lsmrTol: lsmrTol as number | 'auto' | undefined,
    backend: (values.backend ?? 'auto') as 'auto' | 'cpu',
    verbose: quiet ? 0 : 2,
  });
  const seconds = (performance.now() - t0) / 1000;
  if (values.json) {
    console.log(JSON.stringify({
      rows: m, cols: n, nnz: a.nnz, cost: res.cost, optimality: res.optimality, nit: res.nit,
      status: res.status, message: res.message, success: res.success, seconds, backend: res.backend,
      activeLower: res.activeMask.filter((v) => v === -1).length, activeUpper: res.activeMask.filter((v) => v === 1).length,
    }));
  } else {
    const lower = res.activeMask.filter((v) => v === -1).length, upper = res.activeMask.filter((v) => v === 1).length;
    console.log(`
Solver Summary (trustgpu lsqLinear)

Problem                 ${m} rows, ${n} variables, ${a.nnz} nonzeros
Method                  ${values.method ?? 'trf'} (lsmr inner solver, tolerance ${lsmrTolArg ?? '1e-2 tol'})
Backend                 ${res.backend}
Iterations              ${res.nit}
Final cost              ${fmtE(res.cost, 6)}
First-order optimality  ${fmtE(res.optimality, 2)}
Active bounds           ${lower} lower, ${upper} upper
Total time (s)          ${seconds.toFixed(3)}
Termination             ${res.success ? 'CONVERGENCE' : 'NO_CONVERGENCE'} (status ${res.status}: ${res.message})`);
  }
  return res.success ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    const code = (err as { code?: unknown }).code;
    if (err instanceof TrustGpuError) console.error(`trustgpu: ${err.message}`);
    else if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) console.error(`trustgpu: ${(err as Error).message}\n\n${USAGE}`);
    else console.error(err);
    process.exitCode = 2;
  },
);
