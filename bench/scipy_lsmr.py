#!/usr/bin/env python3
"""Peer timing for bench/lsmr-bench.ts: scipy.sparse.linalg.lsmr on a problem written by
bench/random-sparse.ts (writeProblemFiles).

    python3 bench/scipy_lsmr.py DIR [--atol 1e-8] [--btol 1e-8] [--maxiter N] [--repeat 3]

DIR holds header.json and the raw files it names (indptr/indices int32, data/b float64,
little-endian). One untimed warm-up solve, then --repeat timed solves; prints one JSON
object on stdout: seconds (median), runs (all timings), itn, istop, normr, normar, normA,
condA, normx, and the versions used.
"""
import argparse
import json
import os
import statistics
import sys
import time


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('dir')
    p.add_argument('--atol', type=float, default=1e-6)
    p.add_argument('--btol', type=float, default=1e-6)
    p.add_argument('--conlim', type=float, default=1e8)
    p.add_argument('--maxiter', type=int, default=None)
    p.add_argument('--repeat', type=int, default=3)
    args = p.parse_args()

    import numpy as np
    import scipy
    import scipy.sparse as sp
    from scipy.sparse.linalg import lsmr

    with open(os.path.join(args.dir, 'header.json')) as f:
        h = json.load(f)
    m, n = h['rows'], h['cols']

    def load(key):
        return np.fromfile(os.path.join(args.dir, h['files'][key]), dtype=h['dtypes'][key])

    indptr, indices, data, b = load('indptr'), load('indices'), load('data'), load('b')
    if indptr.size != m + 1 or indices.size != h['nnz'] or data.size != h['nnz'] or b.size != m:
        raise SystemExit(f'scipy_lsmr.py: file sizes do not match header.json in {args.dir}')
    A = sp.csr_matrix((data, indices, indptr), shape=(m, n))

    def solve():
        return lsmr(A, b, atol=args.atol, btol=args.btol, conlim=args.conlim, maxiter=args.maxiter)

    solve()  # warm-up
    times = []
    out = None
    for _ in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        out = solve()
        times.append(time.perf_counter() - t0)
    x, istop, itn, normr, normar, normA, condA, normx = out
    json.dump({
        'seconds': statistics.median(times),
        'runs': times,
        'itn': int(itn),
        'istop': int(istop),
        'normr': float(normr),
        'normar': float(normar),
        'normA': float(normA),
        'condA': float(condA),
        'normx': float(normx),
        'options': {'atol': args.atol, 'btol': args.btol, 'conlim': args.conlim, 'maxiter': args.maxiter},
        'python': sys.version.split()[0],
        'numpy': np.__version__,
        'scipy': scipy.__version__,
    }, sys.stdout)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
