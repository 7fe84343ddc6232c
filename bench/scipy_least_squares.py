#!/usr/bin/env python3
"""Peer timing for bench/least-squares-bench.ts: scipy.optimize.least_squares on the sparse
10,000-variable problems of test/fixtures/least_squares/make_fixtures.py (sparse_problems),
called as make_sparse() calls it there: tr_solver='lsmr', xtol = ftol = gtol = sqrt(eps),
the problem's bounds, and either the analytic CSR Jacobian (jac=P.jac) or
jac_sparsity=P.pattern with 2-point differences.

    python3 bench/scipy_least_squares.py [--problems a,b,...] [--methods trf,dogbox]
                                         [--jacs analytic,sparsity] [--repeat 3] [--n 10000]

For each (problem, method, jac) run: one untimed warm-up solve, then --repeat timed solves
(time.perf_counter around least_squares only; building the problems is not timed). Prints
one JSON object on stdout: {"runs": [{problem, method, jac, seconds (median), times (all),
nfev, njev, cost, status, optimality} ...], versions}. A run that raises has "error".

With --serve the problems are built once and the script answers requests instead, one JSON
object per line on stdin ({"problem", "method", "jac"}, optionally "repeat" and "warmup")
with one line of JSON on stdout (the run's record as above); the first line it writes is
{"ready": true, versions...}. The bench uses this to alternate scipy's timed runs with
ours, so that both see the same load on a shared machine.

BLAS is pinned to one thread (OPENBLAS/OMP/MKL_NUM_THREADS=1, set here before numpy is
imported unless already set) unless --threads default is passed: our solver is
single-threaded, and on the 2-core dev boxes a BLAS thread pool fighting a busy second core
distorts the timings (see bench/scipy_lsmr.py, bench/README.md).
"""
import argparse
import json
import math
import os
import statistics
import sys
import time


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--problems', default='', help='comma-separated names (default: all)')
    p.add_argument('--methods', default='trf,dogbox')
    p.add_argument('--jacs', default='analytic,sparsity')
    p.add_argument('--repeat', type=int, default=3)
    p.add_argument('--n', type=int, default=10000)
    p.add_argument('--threads', default='1', help="BLAS threads, or 'default' to leave the environment alone")
    p.add_argument('--serve', action='store_true', help='answer JSON-line requests on stdin (see above)')
    args = p.parse_args()

    if args.threads != 'default':
        for k in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
            os.environ[k] = args.threads

    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.join(here, '..', 'test', 'fixtures', 'least_squares'))
    import warnings
    import numpy as np
    import scipy
    from scipy.optimize import least_squares
    import make_fixtures as mf  # its deterministic re-exec only runs under __main__
    warnings.simplefilter('ignore')

    tol = math.sqrt(np.finfo(float).eps)
    wanted = [s for s in args.problems.split(',') if s]
    problems = [P for P in mf.sparse_problems(args.n) if not wanted or P.name in wanted]
    missing = set(wanted) - {P.name for P in problems}
    if missing:
        raise SystemExit(f'scipy_least_squares.py: unknown problems {sorted(missing)}')

    by_name = {P.name: P for P in problems}

    def run(P, method, jac, repeat=args.repeat, warmup=True):
        kw = dict(method=method, tr_solver='lsmr', xtol=tol, ftol=tol, gtol=tol)
        if P.bounds is not None:
            kw['bounds'] = P.bounds
        if jac == 'analytic':
            kw['jac'] = P.jac
        elif jac == 'sparsity':
            kw['jac_sparsity'] = P.pattern
        else:
            raise SystemExit(f'scipy_least_squares.py: unknown jac mode {jac!r}')
        rec = {'problem': P.name, 'method': method, 'jac': jac}
        try:
            if warmup:
                least_squares(P.fun, P.x0, **kw)
            times, res = [], None
            for _ in range(max(1, repeat)):
                t0 = time.perf_counter()
                res = least_squares(P.fun, P.x0, **kw)
                times.append(time.perf_counter() - t0)
            rec.update({
                'seconds': statistics.median(times), 'times': times,
                'nfev': int(res.nfev), 'njev': None if res.njev is None else int(res.njev),
                'cost': float(res.cost), 'status': int(res.status), 'optimality': float(res.optimality),
            })
        except Exception as e:  # noqa: BLE001 - reported, not fatal
            rec['error'] = f'{type(e).__name__}: {e}'
        return rec

    versions = {'python': sys.version.split()[0], 'numpy': np.__version__, 'scipy': scipy.__version__}
    if args.serve:
        print(json.dumps({'ready': True, **versions}), flush=True)
        for line in sys.stdin:
            if not line.strip():
                continue
            req = json.loads(line)
            P = by_name.get(req.get('problem'))
            if P is None:
                rec = {'error': f"unknown problem {req.get('problem')!r}"}
            else:
                rec = run(P, req['method'], req['jac'], int(req.get('repeat', args.repeat)), bool(req.get('warmup', True)))
            print(json.dumps(rec), flush=True)
        return

    runs = []
    for P in problems:
        for method in [m for m in args.methods.split(',') if m]:
            for jac in [j for j in args.jacs.split(',') if j]:
                rec = run(P, method, jac)
                runs.append(rec)
                print(f"scipy {P.name} {method} {jac}: {rec.get('seconds', float('nan')):.3f}s nfev {rec.get('nfev')}",
                      file=sys.stderr, flush=True)

    json.dump({
        'runs': runs,
        'options': {'xtol': tol, 'ftol': tol, 'gtol': tol, 'tr_solver': 'lsmr', 'repeat': args.repeat, 'n': args.n,
                    'blasThreads': args.threads},
        **versions,
    }, sys.stdout)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
