/**
 * Finite-difference Jacobians with scipy 1.17.1's `scipy.optimize._numdiff.approx_derivative`
 * semantics ('2-point' and '3-point', relative steps, bounds, sparse grouping).
 *
 * Steps: h = r · sign(x0) · max(1, |x0|) with r = EPS^(1/2) ('2-point') or EPS^(1/3)
 * ('3-point'), which roughly balances truncation and round-off error (Press et al.,
 * Numerical Recipes 3rd ed., §5.7). The step actually taken is dx = (x0 + h) - x0, the
 * exactly representable difference. Near bounds the scheme turns one-sided so that no
 * evaluation leaves [lb, ub]; the one-sided '3-point' formula is
 * (-3 f(x0) + 4 f(x0 + h) - f(x0 + 2h)) / 2h (Fornberg, Math. Comp. 51 (1988)).
 *
 * Sparse Jacobians: columns of a structurally orthogonal group (see column-groups.ts)
 * are perturbed together, one evaluation (two for '3-point') per group (Curtis, Powell &
 * Reid 1974).
 */
import { AbortError, EvaluationError, InvalidArgumentError, ShapeMismatchError } from '../errors.js';
import { DenseMatrix } from '../linear/dense-matrix.js';
import { CsrMatrix } from '../sparse/csr.js';
import { groupColumns, groupCount, isStructurallyOrthogonal } from '../sparse/column-groups.js';
import { EPS } from './common.js';

export type FiniteDiffMethod = '2-point' | '3-point';

/** The structure (no values) of a sparse m x n Jacobian, with optional column groups. */
export interface SparsityStructure {
  rows: number;
  indptr: Int32Array;
  indices: Int32Array;
  /** Column groups (groupColumns); computed from the structure when absent. */
  groups?: Int32Array;
}

export interface ApproxDerivativeOptions {
  method: FiniteDiffMethod;
  /** Relative step (scalar or per variable); null/undefined: EPS^(1/2) or EPS^(1/3). */
  relStep?: number | Float64Array | null;
  lb?: Float64Array;
  ub?: Float64Array;
  /** The Jacobian's sparsity structure; null/undefined: dense differencing. */
  sparsity?: SparsityStructure | null;
  signal?: AbortSignal;
}

/** Default relative step of a method: EPS^(1/2) for '2-point', EPS^(1/3) for '3-point'. */
export function defaultRelativeStep(method: FiniteDiffMethod): number {
  return method === '2-point' ? Math.sqrt(EPS) : Math.pow(EPS, 1 / 3);
}

/**
 * The Jacobian of `fun` at `x0` by finite differences; `f0` must be fun(x0) (it is not
 * re-evaluated). Function evaluations are made one after another, in scipy's order:
 * n of them for dense '2-point', 2n for dense '3-point', one (two) per column group for
 * sparse. Returns a DenseMatrix (m x n) or, with `sparsity`, a CsrMatrix with exactly the
 * structure's entries.
 */
export async function approxDerivative(
  fun: (x: Float64Array) => Promise<Float64Array>,
  x0: Float64Array,
  f0: Float64Array,
  options: ApproxDerivativeOptions,
): Promise<DenseMatrix | CsrMatrix> {
  const { method, signal } = options;
  if (method !== '2-point' && method !== '3-point') {
    throw new InvalidArgumentError('method', "'2-point' or '3-point'", `got ${String(method)}`);
  }
  const n = x0.length;
  const lb = options.lb ?? new Float64Array(n).fill(-Infinity);
  const ub = options.ub ?? new Float64Array(n).fill(Infinity);
  if (lb.length !== n) throw new ShapeMismatchError('lb', `length ${n}`, `length ${lb.length}`);
  if (ub.length !== n) throw new ShapeMismatchError('ub', `length ${n}`, `length ${ub.length}`);
  for (let i = 0; i < n; i++) {
    if (!(x0[i] >= lb[i] && x0[i] <= ub[i])) throw new InvalidArgumentError('x0', 'a point within the bounds', `x0[${i}] = ${x0[i]}`);
  }

  const h0 = absoluteStep(options.relStep ?? null, x0, method);
  const { h, oneSided } = adjustSchemeToBounds(x0, h0, method === '2-point' ? '1-sided' : '2-sided', lb, ub);
  const evaluate = checkedEvaluator(fun, f0.length, signal, x0);

  if (options.sparsity == null) {
    const jt = method === '2-point'
      ? await denseTwoPoint(evaluate, x0, f0, h)
      : await denseThreePoint(evaluate, x0, f0, h, oneSided);
    return jacobianFromColumns(jt, f0.length, n, x0);
  }
  const s = options.sparsity;
  checkStructure(s, f0.length, n);
  const groups = s.groups ?? groupColumns(s.rows, n, s.indptr, s.indices);
  checkGroups(s, groups, n);
  const data = await sparseDifference(evaluate, x0, f0, h, oneSided, method, s, groups);
  for (let k = 0; k < data.length; k++) {
    if (!Number.isFinite(data[k])) throw nonFiniteJacobian(x0);
  }
  return new CsrMatrix(s.rows, n, s.indptr, s.indices, data);
}

/**
 * scipy's `_compute_absolute_step`: h = r · sign(x0) · max(1, |x0|) by default; with a
 * user relative step h = relStep · sign(x0) · |x0|, falling back to the default where
 * that step vanishes in floating point ((x0 + h) - x0 == 0, e.g. x0 = 0 or relStep = 0).
 * sign(0) is taken as +1.
 */
export function absoluteStep(relStep: number | Float64Array | null, x0: Float64Array, method: FiniteDiffMethod): Float64Array {
  const n = x0.length;
  const r = defaultRelativeStep(method);
  if (relStep !== null) {
    if (typeof relStep === 'number') {
      if (!Number.isFinite(relStep)) throw new InvalidArgumentError('relStep', 'a finite number', `got ${relStep}`);
    } else {
      if (!(relStep instanceof Float64Array)) throw new InvalidArgumentError('relStep', 'a number or a Float64Array');
      if (relStep.length !== n) throw new ShapeMismatchError('relStep', `length ${n}`, `length ${relStep.length}`);
      for (let i = 0; i < n; i++) {
        if (!Number.isFinite(relStep[i])) throw new InvalidArgumentError('relStep', 'finite values', `relStep[${i}] = ${relStep[i]}`);
      }
    }
  }
  const h = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const sign = x0[i] >= 0 ? 1 : -1;
    const fallback = r * sign * Math.max(1, Math.abs(x0[i]));
    if (relStep === null) {
      h[i] = fallback;
    } else {
      const ri = typeof relStep === 'number' ? relStep : relStep[i];
      const step = ri * sign * Math.abs(x0[i]);
      h[i] = x0[i] + step - x0[i] === 0 ? fallback : step;
    }
  }
  return h;
}

/**
 * scipy's `_adjust_scheme_to_bounds` with num_steps = 1 (as approx_derivative calls it).
 *
 * '1-sided' ('2-point'): a step that would leave the box is reversed if the reversed step
 * fits; otherwise it becomes the full distance to the farther bound.
 * '2-sided' ('3-point'): central differences where x0 ± |h| stay inside; otherwise a
 * one-sided 3-point scheme towards the farther bound with step min(|h|, dist / 2), so
 * that x0 + 2h stays inside — unless that step is no larger than the distance to the
 * nearer bound, in which case a central scheme with that distance is used instead.
 */
export function adjustSchemeToBounds(
  x0: Float64Array,
  hIn: Float64Array,
  scheme: '1-sided' | '2-sided',
  lb: Float64Array,
  ub: Float64Array,
): { h: Float64Array; oneSided: Uint8Array } {
  const n = x0.length;
  const h = scheme === '2-sided' ? hIn.map(Math.abs) : new Float64Array(hIn);
  const oneSided = new Uint8Array(n).fill(scheme === '1-sided' ? 1 : 0);
  let unbounded = true;
  for (let i = 0; i < n; i++) if (lb[i] !== -Infinity || ub[i] !== Infinity) unbounded = false;
  if (unbounded) return { h, oneSided };

  for (let i = 0; i < n; i++) {
    const hi = h[i];
    const lower = x0[i] - lb[i];
    const upper = ub[i] - x0[i];
    if (scheme === '1-sided') {
      const x = x0[i] + hi;
      const violated = x < lb[i] || x > ub[i];
      const fitting = Math.abs(hi) <= Math.max(lower, upper);
      if (violated && fitting) h[i] = -hi;
      else if (!fitting) h[i] = upper >= lower ? upper : -lower;
    } else {
      if (lower >= hi && upper >= hi) continue; // central differences fit
      h[i] = upper >= lower ? Math.min(hi, 0.5 * upper) : -Math.min(hi, 0.5 * lower);
      oneSided[i] = 1;
      const minDist = Math.min(upper, lower);
      if (Math.abs(h[i]) <= minDist) {
        h[i] = minDist;
        oneSided[i] = 0;
      }
    }
  }
  return { h, oneSided };
}

type Evaluate = (x: Float64Array) => Promise<Float64Array>;

/** Wraps `fun`: aborts before each call when `signal` is aborted, checks the length. */
function checkedEvaluator(fun: Evaluate, m: number, signal: AbortSignal | undefined, x0: Float64Array): Evaluate {
  return async (x) => {
    if (signal?.aborted) throw new AbortError('The finite-difference Jacobian was aborted', new Float64Array(x0), signal.reason);
    const f = await fun(x);
    if (f.length !== m) throw new ShapeMismatchError('fun', `a residual vector of length ${m}`, `length ${f.length}`);
    return f;
  };
}

/** Columns (as rows of Jᵀ) by forward/backward differences (f(x0 + h e_j) - f0) / dx_j. */
async function denseTwoPoint(evaluate: Evaluate, x0: Float64Array, f0: Float64Array, h: Float64Array): Promise<Float64Array[]> {
  const columns: Float64Array[] = [];
  for (let j = 0; j < x0.length; j++) {
    const x = new Float64Array(x0);
    x[j] = x0[j] + h[j];
    const f = await evaluate(x);
    const dx = x0[j] + h[j] - x0[j];
    columns.push(f.map((fi, i) => (fi - f0[i]) / dx));
  }
  return columns;
}

/** Columns by central (f(x0 + h) - f(x0 - h)) / 2h or one-sided 3-point differences. */
async function denseThreePoint(
  evaluate: Evaluate,
  x0: Float64Array,
  f0: Float64Array,
  h: Float64Array,
  oneSided: Uint8Array,
): Promise<Float64Array[]> {
  const columns: Float64Array[] = [];
  for (let j = 0; j < x0.length; j++) {
    const x1 = new Float64Array(x0);
    const x2 = new Float64Array(x0);
    x1[j] = oneSided[j] ? x0[j] + h[j] : x0[j] - h[j];
    x2[j] = oneSided[j] ? x0[j] + 2 * h[j] : x0[j] + h[j];
    const f1 = await evaluate(x1);
    const f2 = await evaluate(x2);
    const dx = oneSided[j] ? x2[j] - x0[j] : x2[j] - x1[j];
    columns.push(f0.map((_, i) => threePointDifference(oneSided[j], f0[i], f1[i], f2[i]) / dx));
  }
  return columns;
}

/** The numerator of the 3-point formula, in scipy's order of operations. */
function threePointDifference(oneSided: number, f0: number, f1: number, f2: number): number {
  return oneSided ? -3 * f0 + 4 * f1 - f2 : f2 - f1;
}

function jacobianFromColumns(columns: Float64Array[], m: number, n: number, x0: Float64Array): DenseMatrix {
  const data = new Float64Array(m * n);
  for (let j = 0; j < n; j++) {
    const c = columns[j];
    for (let i = 0; i < m; i++) data[i * n + j] = c[i];
  }
  for (let k = 0; k < data.length; k++) if (!Number.isFinite(data[k])) throw nonFiniteJacobian(x0);
  return new DenseMatrix(m, n, data);
}

function nonFiniteJacobian(x0: Float64Array): EvaluationError {
  return new EvaluationError(
    'jac',
    'the finite-difference Jacobian is not finite (fun returned a non-finite value at a perturbed point)',
    x0,
  );
}

/**
 * scipy's `_sparse_difference`: for each group, perturb its columns together, then read
 * entry (i, j) of the structure (j in the group) as df_i / dx_j. Each structural entry
 * is written exactly once, so the result has the structure's slots in CSR order.
 */
async function sparseDifference(
  evaluate: Evaluate,
  x0: Float64Array,
  f0: Float64Array,
  h: Float64Array,
  oneSided: Uint8Array,
  method: FiniteDiffMethod,
  s: SparsityStructure,
  groups: Int32Array,
): Promise<Float64Array> {
  const n = x0.length;
  const slots = slotsByColumn(s, n);
  const members = membersByGroup(groups);
  const data = new Float64Array(s.indptr[s.rows]);
  for (let g = 0; g < members.ptr.length - 1; g++) {
    const cols = members.cols.subarray(members.ptr[g], members.ptr[g + 1]);
    // scipy evaluates fun(x0) for an empty group too (max(groups) + 1 groups); its
    // result is unused, so empty groups are skipped here.
    if (cols.length === 0) continue;
    const x1 = new Float64Array(x0);
    const x2 = method === '3-point' ? new Float64Array(x0) : x1;
    for (const j of cols) {
      if (method === '2-point') x1[j] = x0[j] + h[j];
      else if (oneSided[j]) { x1[j] = x0[j] + h[j]; x2[j] = x0[j] + 2 * h[j]; }
      else { x1[j] = x0[j] - h[j]; x2[j] = x0[j] + h[j]; }
    }
    const f1 = await evaluate(x1);
    const f2 = method === '3-point' ? await evaluate(x2) : f1;
    for (const j of cols) {
      const dx = method === '2-point' || oneSided[j] ? x2[j] - x0[j] : x2[j] - x1[j];
      for (let p = slots.colptr[j]; p < slots.colptr[j + 1]; p++) {
        const i = slots.rowIndices[p];
        const df = method === '2-point' ? f1[i] - f0[i] : threePointDifference(oneSided[j], f0[i], f1[i], f2[i]);
        data[slots.slot[p]] = df / dx;
      }
    }
  }
  return data;
}

/** For each column j, its rows and the CSR slot of each entry (a transpose with slot map). */
function slotsByColumn(s: SparsityStructure, n: number): { colptr: Int32Array; rowIndices: Int32Array; slot: Int32Array } {
  const nnz = s.indptr[s.rows];
  const colptr = new Int32Array(n + 1);
  for (let k = 0; k < nnz; k++) colptr[s.indices[k] + 1]++;
  for (let j = 0; j < n; j++) colptr[j + 1] += colptr[j];
  const next = colptr.slice(0, n);
  const rowIndices = new Int32Array(nnz);
  const slot = new Int32Array(nnz);
  for (let i = 0; i < s.rows; i++) {
    for (let k = s.indptr[i]; k < s.indptr[i + 1]; k++) {
      const p = next[s.indices[k]]++;
      rowIndices[p] = i;
      slot[p] = k;
    }
  }
  return { colptr, rowIndices, slot };
}

/** Columns bucketed by group, ascending within each group. */
function membersByGroup(groups: Int32Array): { ptr: Int32Array; cols: Int32Array } {
  const count = groupCount(groups);
  const ptr = new Int32Array(count + 1);
  for (const g of groups) ptr[g + 1]++;
  for (let g = 0; g < count; g++) ptr[g + 1] += ptr[g];
  const next = ptr.slice(0, count);
  const cols = new Int32Array(groups.length);
  for (let j = 0; j < groups.length; j++) cols[next[groups[j]]++] = j;
  return { ptr, cols };
}

function checkStructure(s: SparsityStructure, m: number, n: number): void {
  if (s.rows !== m) throw new ShapeMismatchError('sparsity', `${m} rows (the residual length)`, `${s.rows} rows`);
  if (!(s.indptr instanceof Int32Array) || s.indptr.length !== m + 1 || s.indptr[0] !== 0) {
    throw new InvalidArgumentError('sparsity.indptr', `an Int32Array of length ${m + 1} starting at 0`);
  }
  if (!(s.indices instanceof Int32Array) || s.indices.length !== s.indptr[m]) {
    throw new InvalidArgumentError('sparsity.indices', `an Int32Array of length indptr[rows] = ${s.indptr[m]}`);
  }
  for (let i = 0; i < m; i++) {
    let prev = -1;
    if (s.indptr[i + 1] < s.indptr[i]) throw new InvalidArgumentError('sparsity.indptr', 'a non-decreasing sequence');
    for (let k = s.indptr[i]; k < s.indptr[i + 1]; k++) {
      const j = s.indices[k];
      if (j <= prev || j >= n) throw new InvalidArgumentError('sparsity.indices', `sorted unique column indices in [0, ${n}) within each row`, `row ${i}`);
      prev = j;
    }
  }
}

function checkGroups(s: SparsityStructure, groups: Int32Array, n: number): void {
  if (!(groups instanceof Int32Array) || groups.length !== n) {
    throw new InvalidArgumentError('sparsity.groups', `an Int32Array of length ${n}`);
  }
  for (let j = 0; j < n; j++) {
    if (groups[j] < 0) throw new InvalidArgumentError('sparsity.groups', 'non-negative group indices', `groups[${j}] = ${groups[j]}`);
  }
  if (!isStructurallyOrthogonal(s.rows, s.indptr, s.indices, groups)) {
    throw new InvalidArgumentError('sparsity.groups', 'groups whose columns share no row (see groupColumns)');
  }
}

/** A Jacobian sparsity pattern as the user gives it (scipy's jac_sparsity). */
export type SparsityPattern = CsrMatrix | DenseMatrix | ReadonlyArray<readonly [number, number]>;

/**
 * scipy's `check_jac_sparsity`: the CSR structure of an m x n pattern given as a
 * CsrMatrix (its stored entries), a DenseMatrix (its nonzeros), or [row, col] pairs
 * (duplicates allowed), together with its column groups (groupColumns, scipy's default
 * order). Throws InvalidArgumentError('jacSparsity', ...) on a wrong shape.
 */
export function validateSparsity(
  pattern: SparsityPattern,
  m: number,
  n: number,
): { rows: number; cols: number; indptr: Int32Array; indices: Int32Array; groups: Int32Array } {
  const { indptr, indices } = structureOf(pattern, m, n);
  return { rows: m, cols: n, indptr, indices, groups: groupColumns(m, n, indptr, indices) };
}

function structureOf(pattern: SparsityPattern, m: number, n: number): { indptr: Int32Array; indices: Int32Array } {
  const wrongShape = (got: string) => new InvalidArgumentError('jacSparsity', `shape (${m}, ${n})`, `got ${got}`);
  if (pattern instanceof CsrMatrix || pattern instanceof DenseMatrix) {
    if (pattern.rows !== m || pattern.cols !== n) throw wrongShape(`shape (${pattern.rows}, ${pattern.cols})`);
    if (pattern instanceof CsrMatrix) return { indptr: new Int32Array(pattern.indptr), indices: new Int32Array(pattern.indices) };
    const ri: number[] = [], ci: number[] = [];
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) if (pattern.data[i * n + j] !== 0) { ri.push(i); ci.push(j); }
    return pairsToStructure(ri, ci, m, n);
  }
  if (!Array.isArray(pattern)) {
    throw new InvalidArgumentError('jacSparsity', 'a CsrMatrix, a DenseMatrix or an array of [row, col] pairs');
  }
  const ri: number[] = [], ci: number[] = [];
  for (let k = 0; k < pattern.length; k++) {
    const pair = pattern[k];
    if (!Array.isArray(pair) || pair.length !== 2 || !Number.isInteger(pair[0]) || !Number.isInteger(pair[1])) {
      throw new InvalidArgumentError('jacSparsity', 'an array of [row, col] integer pairs', `element ${k}`);
    }
    const [i, j] = pair;
    if (i < 0 || i >= m || j < 0 || j >= n) throw wrongShape(`the pair [${i}, ${j}] outside the ${m} x ${n} Jacobian`);
    ri.push(i);
    ci.push(j);
  }
  return pairsToStructure(ri, ci, m, n);
}

/** Sorted, duplicate-free CSR structure of (row, col) pairs. */
function pairsToStructure(ri: number[], ci: number[], m: number, n: number): { indptr: Int32Array; indices: Int32Array } {
  const c = CsrMatrix.fromTriplets(m, n, ri, ci, new Float64Array(ri.length).fill(1));
  return { indptr: c.indptr, indices: c.indices };
}
