import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));

function cli(args: string[]): { code: number; out: string } {
  try {
    const out = execFileSync(tsx, ['src/cli/main.ts', ...args], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: 0, out };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { code: e.status, out: e.stdout + e.stderr };
  }
}

describe('trustgpu CLI', () => {
  it('lsq solves the built-in problem and prints JSON', () => {
    const { code, out } = cli(['lsq', '--rows', '400', '--cols', '200', '--json']);
    expect(code).toBe(0);
    const res = JSON.parse(out);
    expect(res.success).toBe(true);
    expect(res.rows).toBe(400);
    expect(res.cost).toBeGreaterThan(0);
    expect(res.backend).toBe('cpu');
  });

  it('prints per-iteration lines and a summary', () => {
    const { code, out } = cli(['--rows', '300', '--cols', '100']);
    expect(code).toBe(0);
    expect(out).toMatch(/Iteration\s+Cost/);
    expect(out).toMatch(/Solver Summary/);
    expect(out).toMatch(/Termination\s+CONVERGENCE/);
  });

  it('rejects bad arguments with a message and exit code 2', () => {
    expect(cli(['--rows', '0']).code).toBe(2);
    expect(cli(['--rows=-3']).out).toMatch(/--rows: expected a positive integer/);
    expect(cli(['--bogus']).out).toMatch(/Unknown option '--bogus'/);
    expect(cli(['--rows', '0']).out).toMatch(/--rows: expected a positive integer/);
    expect(cli(['frobnicate']).code).toBe(2);
  });
});
