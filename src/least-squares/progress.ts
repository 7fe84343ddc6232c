/**
 * scipy's per-iteration tables (print_header_* / print_iteration_* in _lsq/common.py), as
 * strings so the caller chooses where they go.
 */
import { center, fmtE } from '../format.js';

const cell = (v: number | null, digits: number): string => (v === null ? ' '.repeat(15) : center(fmtE(v, digits), 15));

export function linearHeader(): string {
  return ['Iteration', 'Cost', 'Cost reduction', 'Step norm', 'Optimality'].map((h) => center(h, 15)).join('');
}

export function linearIterationLine(
  iteration: number, cost: number, costReduction: number | null, stepNorm: number | null, optimality: number,
): string {
  return center(String(iteration), 15) + cell(cost, 4) + cell(costReduction, 2) + cell(stepNorm, 2) + cell(optimality, 2);
}

export function nonlinearHeader(): string {
  return ['Iteration', 'Total nfev', 'Cost', 'Cost reduction', 'Step norm', 'Optimality'].map((h) => center(h, 15)).join('');
}

export function nonlinearIterationLine(
  iteration: number, nfev: number, cost: number, costReduction: number | null, stepNorm: number | null, optimality: number,
): string {
  return center(String(iteration), 15) + center(String(nfev), 15) + cell(cost, 4) + cell(costReduction, 2) + cell(stepNorm, 2) + cell(optimality, 2);
}
