/**
 * Column grouping for sparse finite differences (Curtis, Powell & Reid, "On the
 * estimation of sparse Jacobian matrices", J. Inst. Maths Applics 13 (1974) 117-120).
 *
 * Two columns may share a group when no row has a nonzero in both ("structurally
 * orthogonal"): perturbing all columns of a group at once then still lets every Jacobian
 * entry be read off from a single function evaluation.
 *
 * This reproduces scipy's `scipy.optimize._numdiff.group_columns` exactly, including its
 * default column order (a NumPy `RandomState(0).permutation(n)`), so the groups — and
 * hence the number of function evaluations per Jacobian — are the same as scipy's.
 */
import { InvalidArgumentError } from '../errors.js';
import { requireInteger } from '../validate.js';

/**
 * The group index of each column (0 .. groupCount - 1) for the pattern given by the CSR
 * structure `indptr`/`indices` of a `rows` x `cols` matrix.
 *
 * scipy's greedy algorithm builds group 0 by scanning the columns in `order` and taking
 * every column that does not intersect the union of those already taken, then group 1
 * from the rest, and so on. That is the same as first-fit coloring in `order`: each
 * column gets the smallest group none of whose earlier members shares a row with it.
 * The first-fit form is computed here through the pattern's transpose, in
 * O(Σ_rows nnz(row)²) time and O(nnz + rows + cols) memory, with no dense n x n work.
 *
 * @param order a permutation of 0..cols-1 giving the column order; defaults to scipy's
 *   (`np.random.RandomState(0).permutation(cols)`).
 */
export function groupColumns(
  rows: number,
  cols: number,
  indptr: Int32Array,
  indices: Int32Array,
  order?: Int32Array,
): Int32Array {
  checkPattern(rows, cols, indptr, indices);
  const sequence = order === undefined ? scipyDefaultOrder(cols) : checkPermutation(order, cols);
  const { colptr, rowIndices } = columnsOf(rows, cols, indptr, indices);

  const groups = new Int32Array(cols).fill(-1);
  // forbidden[g] === j marks group g as taken by a neighbour of column j.
  const forbidden = new Int32Array(cols + 1).fill(-1);
  for (let t = 0; t < cols; t++) {
    const j = sequence[t];
    for (let p = colptr[j]; p < colptr[j + 1]; p++) {
      const r = rowIndices[p];
      for (let q = indptr[r]; q < indptr[r + 1]; q++) {
        const g = groups[indices[q]];
        if (g >= 0) forbidden[g] = j;
      }
    }
    let g = 0;
    while (forbidden[g] === j) g++;
    groups[j] = g;
  }
  return groups;
}

/** Number of groups: max(groups) + 1, as scipy's `n_groups` (0 for no columns). */
export function groupCount(groups: ArrayLike<number>): number {
  let max = -1;
  for (let j = 0; j < groups.length; j++) if (groups[j] > max) max = groups[j];
  return max + 1;
}

/**
 * True when no two columns of one group share a row of the pattern (the property that
 * makes a grouping usable for finite differences). O(nnz + number of groups).
 */
export function isStructurallyOrthogonal(
  rows: number,
  indptr: Int32Array,
  indices: Int32Array,
  groups: ArrayLike<number>,
): boolean {
  const lastRow = new Int32Array(groupCount(groups)).fill(-1);
  for (let r = 0; r < rows; r++) {
    for (let q = indptr[r]; q < indptr[r + 1]; q++) {
      const g = groups[indices[q]];
      if (lastRow[g] === r) return false;
      lastRow[g] = r;
    }
  }
  return true;
}

/** The CSC form (column pointers and row indices) of a CSR structure. */
function columnsOf(rows: number, cols: number, indptr: Int32Array, indices: Int32Array): { colptr: Int32Array; rowIndices: Int32Array } {
  const nnz = indptr[rows];
  const colptr = new Int32Array(cols + 1);
  for (let k = 0; k < nnz; k++) colptr[indices[k] + 1]++;
  for (let j = 0; j < cols; j++) colptr[j + 1] += colptr[j];
  const next = colptr.slice(0, cols);
  const rowIndices = new Int32Array(nnz);
  for (let r = 0; r < rows; r++) {
    for (let k = indptr[r]; k < indptr[r + 1]; k++) rowIndices[next[indices[k]]++] = r;
  }
  return { colptr, rowIndices };
}

function checkPattern(rows: number, cols: number, indptr: Int32Array, indices: Int32Array): void {
  requireInteger('rows', rows);
  requireInteger('cols', cols);
  if (!(indptr instanceof Int32Array) || indptr.length !== rows + 1 || indptr[0] !== 0) {
    throw new InvalidArgumentError('indptr', `an Int32Array of length rows + 1 = ${rows + 1} starting at 0`);
  }
  if (!(indices instanceof Int32Array) || indices.length !== indptr[rows]) {
    throw new InvalidArgumentError('indices', `an Int32Array of length indptr[rows] = ${indptr[rows]}`);
  }
  for (let r = 0; r < rows; r++) {
    if (indptr[r + 1] < indptr[r]) throw new InvalidArgumentError('indptr', 'a non-decreasing sequence', `indptr[${r + 1}] < indptr[${r}]`);
  }
  for (let k = 0; k < indices.length; k++) {
    if (indices[k] < 0 || indices[k] >= cols) throw new InvalidArgumentError('indices', `column indices in [0, ${cols})`, `indices[${k}] = ${indices[k]}`);
  }
}

function checkPermutation(order: Int32Array, n: number): Int32Array {
  if (!(order instanceof Int32Array) || order.length !== n) {
    throw new InvalidArgumentError('order', `an Int32Array of length ${n}`);
  }
  const seen = new Uint8Array(n);
  for (let t = 0; t < n; t++) {
    const j = order[t];
    if (j < 0 || j >= n || seen[j]) throw new InvalidArgumentError('order', `a permutation of 0..${n - 1}`, `order[${t}] = ${j}`);
    seen[j] = 1;
  }
  return order;
}

/**
 * NumPy's `np.random.RandomState(0).permutation(n)`: arange(n) shuffled by Fisher–Yates
 * from the end, each index drawn by the legacy bounded sampler (`random_interval`:
 * rejection sampling of masked 32-bit MT19937 outputs).
 */
export function scipyDefaultOrder(n: number): Int32Array {
  const out = new Int32Array(n);
  for (let j = 0; j < n; j++) out[j] = j;
  const mt = new Mt19937(0);
  for (let i = n - 1; i >= 1; i--) {
    const j = mt.interval(i);
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}

/** The Mersenne Twister MT19937 (Matsumoto & Nishimura 1998) with init_genrand seeding. */
class Mt19937 {
  private readonly key = new Uint32Array(624);
  private pos = 624;

  constructor(seed: number) {
    let s = seed >>> 0;
    for (let i = 0; i < 624; i++) {
      this.key[i] = s;
      // s = 1812433253 * (s ^ (s >>> 30)) + i + 1 (mod 2^32)
      s = (Math.imul(1812433253, (s ^ (s >>> 30)) >>> 0) + i + 1) >>> 0;
    }
  }

  /** Uniform integer in [0, max] (max < 2^32), as NumPy's legacy `random_interval`. */
  interval(max: number): number {
    if (max === 0) return 0;
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    let v: number;
    do v = (this.next32() & mask) >>> 0; while (v > max);
    return v;
  }

  next32(): number {
    if (this.pos >= 624) this.twist();
    let y = this.key[this.pos++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  private twist(): void {
    const k = this.key;
    for (let i = 0; i < 624; i++) {
      const y = (k[i] & 0x80000000) | (k[(i + 1) % 624] & 0x7fffffff);
      k[i] = k[(i + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.pos = 0;
  }
}
