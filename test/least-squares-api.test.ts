/**
 * The leastSquares front end: validation before any work, evaluation faults, counting,
 * callback, abort and the result's fields. The drivers' numerics are tested in their own
 * files and in the reference suites.
 */
import { describe, expect, it } from 'vitest';
import { AbortError, CsrMatrix, DenseMatrix, EvaluationError, InvalidArgumentError, leastSquares } from '../src/index.js';

const rosen = (x: Float64Array) => Float64Array.of(10 * (x[1] - x[0] * x[0]), 1 - x[0]);
const rosenJac = (x: Float64Array) => DenseMatrix.fromRows([[-20 * x[0], 10], [-1, 0]]);

describe('leastSquares validates its input before any work', () => {
  const cases: [string, () => Promise<unknown>, RegExp][] = [
    ['fun', () => leastSquares(42 as never, [1]), /^fun/],
    ['x0 NaN', () => leastSquares(rosen, [NaN, 1]), /x0/],
    ['x0 empty', () => leastSquares(rosen, []), /x0/],
    ['bounds inverted', () => leastSquares(rosen, [0, 0], { bounds: [1, 0] }), /bounds/],
    ['bounds equal', () => leastSquares(rosen, [0, 0], { bounds: [[0, 0], [0, 1]] }), /bounds/],
    ['x0 outside', () => leastSquares(rosen, [2, 0], { bounds: [-1, 1] }), /x0\[0\] = 2 is outside/],
    ['method', () => leastSquares(rosen, [0, 0], { method: 'newton' as never }), /method/],
    ['lm with bounds', () => leastSquares(rosen, [0, 0], { method: 'lm', bounds: [-1, 1] }), /bounds/],
    ['lm with loss', () => leastSquares(rosen, [0, 0], { method: 'lm', loss: 'huber' }), /loss/],
    ['negative ftol', () => leastSquares(rosen, [0, 0], { ftol: -1 }), /ftol/],
    ['all tolerances off', () => leastSquares(rosen, [0, 0], { ftol: null, xtol: null, gtol: 0 }), /at least one/],
    ['xScale', () => leastSquares(rosen, [0, 0], { xScale: [1, -1] }), /xScale/],
    ['loss', () => leastSquares(rosen, [0, 0], { loss: 'l2' as never }), /loss/],
    ['fScale', () => leastSquares(rosen, [0, 0], { fScale: 0 }), /fScale/],
    ['trSolver', () => leastSquares(rosen, [0, 0], { trSolver: 'qr' as never }), /trSolver/],
    ['maxNfev', () => leastSquares(rosen, [0, 0], { maxNfev: 0 }), /maxNfev/],
    ['verbose', () => leastSquares(rosen, [0, 0], { verbose: 3 as never }), /verbose/],
    ['unknown option', () => leastSquares(rosen, [0, 0], { tol: 1 } as never), /options.tol.*valid|options.tol.*one of the options/],
    ['trOptions', () => leastSquares(rosen, [0, 0], { trOptions: { damp: 1 } as never }), /trOptions.damp/],
    ['jacSparsity with lm', () => leastSquares(rosen, [0, 0], { method: 'lm', jacSparsity: [[0, 0]] }), /jacSparsity/],
  ];
  for (const [name, call, message] of cases) {
    it(name, async () => {
      await expect(call()).rejects.toThrow(InvalidArgumentError);
      await expect(call()).rejects.toThrow(message);
    });
  }

  it('does not call fun when an option is bad', async () => {
    let calls = 0;
    const f = (x: Float64Array) => { calls++; return rosen(x); };
    await expect(leastSquares(f, [0, 0], { gtol: -1 })).rejects.toThrow(InvalidArgumentError);
    expect(calls).toBe(0);
  });
});

describe('leastSquares faults', () => {
  it('non-finite residuals at x0 are an error carrying x0', async () => {
    const err = await leastSquares(() => [NaN, 1], [0.5, 1]).catch((e) => e);
    expect(err).toBeInstanceOf(EvaluationError);
    expect(Array.from(err.x)).toEqual([0.5, 1]);
  });

  it('a throwing fun propagates as EvaluationError with the x and the cause', async () => {
    const boom = new Error('boom');
    let calls = 0;
    const err = await leastSquares((x) => { if (++calls > 3) throw boom; return rosen(x); }, [-1, 1], { jac: rosenJac }).catch((e) => e);
    expect(err).toBeInstanceOf(EvaluationError);
    expect(err.cause).toBe(boom);
    expect(err.x).toBeInstanceOf(Float64Array);
    expect(err.message).toMatch(/fun: threw Error: boom/);
  });

  it('a fun whose length changes is an error naming both lengths', async () => {
    let calls = 0;
    const err = await leastSquares((x) => (++calls > 1 ? [1, 2, 3] : rosen(x)), [-1, 1], { jac: rosenJac }).catch((e) => e);
    expect(err).toBeInstanceOf(EvaluationError);
    expect(err.message).toMatch(/returned 3 residuals, expected 2/);
  });

  it('a jac of the wrong shape is an error', async () => {
    const err = await leastSquares(rosen, [-1, 1], { jac: () => new DenseMatrix(3, 2) }).catch((e) => e);
    expect(err).toBeInstanceOf(EvaluationError);
    expect(err.message).toMatch(/3 x 2 matrix, expected 2 x 2/);
  });

  it('a non-finite residual at a trial point is survived (the step is rejected)', async () => {
    // Residuals are NaN for x0 > 1.5: the first long steps of trf land there.
    const f = (x: Float64Array) => (x[0] > 1.5 ? Float64Array.of(NaN, NaN) : rosen(x));
    const res = await leastSquares(f, [-1.2, 1], { jac: rosenJac });
    expect(res.success).toBe(true);
    expect(res.x[0]).toBeCloseTo(1, 6);
  });

  it('an aborted signal rejects with AbortError carrying the last accepted x', async () => {
    const ctl = new AbortController();
    let calls = 0;
    const f = (x: Float64Array) => { if (++calls === 5) ctl.abort(); return rosen(x); };
    const err = await leastSquares(f, [-1.2, 1], { jac: rosenJac, signal: ctl.signal }).catch((e) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect(err.x).toBeInstanceOf(Float64Array);
    expect(err.x.length).toBe(2);
  });
});

describe('leastSquares result', () => {
  it('counts nfev as the real number of fun calls (finite differences excluded)', async () => {
    let calls = 0;
    const res = await leastSquares((x) => { calls++; return rosen(x); }, [-1.2, 1], { jac: rosenJac });
    expect(res.nfev).toBe(calls);
    expect(res.success).toBe(true);
    expect(res.message).toMatch(/tol/);
    expect(res.initialCost).toBeCloseTo(0.5 * ((10 * (1 - 1.44)) ** 2 + 2.2 ** 2), 10);
  });

  it('stops with status -2 when the callback returns true', async () => {
    let seen = 0;
    const res = await leastSquares(rosen, [-1.2, 1], { jac: rosenJac, callback: (s) => { seen++; expect(s.x.length).toBe(2); return seen >= 2; } });
    expect(res.status).toBe(-2);
    expect(res.success).toBe(false);
    expect(seen).toBe(2);
  });

  it('accepts async fun and jac, sparse Jacobians and verbose output', async () => {
    const lines: string[] = [];
    const res = await leastSquares(async (x) => rosen(x), [-1.2, 1], {
      jac: async (x) => CsrMatrix.fromDense(rosenJac(x)), verbose: 2, log: (l) => lines.push(l),
    });
    expect(res.success).toBe(true);
    expect(res.x[0]).toBeCloseTo(1, 6);
    expect(lines[0]).toMatch(/Iteration\s+Total nfev\s+Cost/);
    expect(lines.at(-1)).toMatch(/^Function evaluations \d+, initial cost/);
  });
});
