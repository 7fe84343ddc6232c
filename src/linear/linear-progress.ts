/** scipy's per-iteration table for linear least squares (print_header_linear / print_iteration_linear). */
import { center, fmtE } from '../format.js';

export function linearHeader(): string {
  return ['Iteration', 'Cost', 'Cost reduction', 'Step norm', 'Optimality'].map((h) => center(h, 15)).join('');
}

export function linearIterationLine(
  iteration: number, cost: number, costReduction: number | null, stepNorm: number | null, optimality: number,
): string {
  return (
    center(String(iteration), 15) +
    center(fmtE(cost, 4), 15) +
    (costReduction === null ? ' '.repeat(15) : center(fmtE(costReduction, 2), 15)) +
    (stepNorm === null ? ' '.repeat(15) : center(fmtE(stepNorm, 2), 15)) +
    center(fmtE(optimality, 2), 15)
  );
}
