/**
 * Compressed sparse row matrices. Column indices within a row are sorted and unique,
 * which the GPU kernels and the transpose slot map rely on.
 */
import { InvalidArgumentError, ShapeMismatchError } from '../errors.js';
import { requireInteger } from '../validate.js';
import type { LinearOperator } from '../linear/operator.js';
import { DenseMatrix, checkLength } from '../linear/dense-matrix.js';

export class CsrMatrix implements LinearOperator {
  readonly rows: number;
  readonly cols: number;
  /** Row pointers, length rows + 1: row i holds slots indptr[i] .. indptr[i+1]-1. */
  readonly indptr: Int32Array;
  /** Column index of each slot, sorted and unique within a row. */
  readonly indices: Int32Array;
  /** Value of each slot. */
  readonly data: Float64Array;

  /**
   * Wraps CSR arrays after checking them (lengths, monotone row pointers, sorted unique
   * in-range columns, finite values). Arrays are not copied.
   */
  constructor(rows: number, cols: number, indptr: Int32Array, indices: Int32Array, data: Float64Array) {
    requireInteger('rows', rows);
    requireInteger('cols', cols);
    if (!(indptr instanceof Int32Array)) throw new InvalidArgumentError('indptr', 'an Int32Array');
    if (!(indices instanceof Int32Array)) throw new InvalidArgumentError('indices', 'an Int32Array');
    if (!(data instanceof Float64Array)) throw new InvalidArgumentError('data', 'a Float64Array');
    if (indptr.length !== rows + 1) throw new ShapeMismatchError('indptr', `length rows + 1 = ${rows + 1}`, `length ${indptr.length}`);
    const nnz = indptr[rows];
    if (indptr[0] !== 0) throw new InvalidArgumentError('indptr', 'indptr[0] = 0', `got ${indptr[0]}`);
    if (indices.length !== nnz || data.length !== nnz) {
      throw new ShapeMismatchError('indices/data', `length indptr[rows] = ${nnz}`, `lengths ${indices.length} and ${data.length}`);
    }
    for (let i = 0; i < rows; i++) {
      const a = indptr[i], b = indptr[i + 1];
      if (b < a) throw new InvalidArgumentError('indptr', 'a non-decreasing sequence', `indptr[${i + 1}] < indptr[${i}]`);
      let prev = -1;
      for (let k = a; k < b; k++) {
        const j = indices[k];
        if (j < 0 || j >= cols) throw new InvalidArgumentError('indices', `column indices in [0, ${cols})`, `indices[${k}] = ${j}`);
        if (j <= prev) throw new InvalidArgumentError('indices', 'sorted unique column indices within each row', `row ${i}`);
        prev = j;
        if (!Number.isFinite(data[k])) throw new InvalidArgumentError('data', 'finite values', `data[${k}] = ${data[k]}`);
      }
    }
    this.rows = rows;
    this.cols = cols;
    this.indptr = indptr;
    this.indices = indices;
    this.data = data;
  }

  /** Number of stored entries. */
  get nnz(): number {
    return this.indptr[this.rows];
  }

  /**
   * Builds a CSR matrix from coordinate triplets; duplicate (row, col) pairs are summed.
   * Runs in O(nnz + rows + cols) with two stable counting sorts.
   */
  static fromTriplets(
    rows: number,
    cols: number,
    rowIndices: ArrayLike<number>,
    colIndices: ArrayLike<number>,
    values: ArrayLike<number>,
  ): CsrMatrix {
    requireInteger('rows', rows);
    requireInteger('cols', cols);
    const n = values.length;
    if (rowIndices.length !== n) throw new ShapeMismatchError('rowIndices', `length ${n} (as values)`, `length ${rowIndices.length}`);
    if (colIndices.length !== n) throw new ShapeMismatchError('colIndices', `length ${n} (as values)`, `length ${colIndices.length}`);
    for (let k = 0; k < n; k++) {
      const i = rowIndices[k], j = colIndices[k], v = values[k];
      if (!Number.isInteger(i) || i < 0 || i >= rows) throw new InvalidArgumentError('rowIndices', `integers in [0, ${rows})`, `rowIndices[${k}] = ${i}`);
      if (!Number.isInteger(j) || j < 0 || j >= cols) throw new InvalidArgumentError('colIndices', `integers in [0, ${cols})`, `colIndices[${k}] = ${j}`);
      if (!Number.isFinite(v)) throw new InvalidArgumentError('values', 'finite values', `values[${k}] = ${v}`);
    }
    // Stable counting sort by column, then by row: the result is ordered by (row, col).
    const byCol = countingOrder(n, cols, (k) => colIndices[k], null);
    const order = countingOrder(n, rows, (k) => rowIndices[k], byCol);
    const indptr = new Int32Array(rows + 1);
    const idx = new Int32Array(n);
    const val = new Float64Array(n);
    let nnz = 0;
    let lastRow = -1, lastCol = -1;
    for (let t = 0; t < n; t++) {
      const k = order[t];
      const i = rowIndices[k], j = colIndices[k];
      if (i === lastRow && j === lastCol) {
        val[nnz - 1] += values[k];
      } else {
        idx[nnz] = j;
        val[nnz] = values[k];
        nnz++;
        indptr[i + 1]++;
        lastRow = i;
        lastCol = j;
      }
    }
    for (let i = 0; i < rows; i++) indptr[i + 1] += indptr[i];
    return new CsrMatrix(rows, cols, indptr, idx.slice(0, nnz), val.slice(0, nnz));
  }

  /** The nonzeros of a dense matrix (exact zeros are not stored). */
  static fromDense(a: DenseMatrix | ArrayLike<number>[]): CsrMatrix {
    const d = a instanceof DenseMatrix ? a : DenseMatrix.fromRows(a);
    const ri: number[] = [], ci: number[] = [], v: number[] = [];
    for (let i = 0; i < d.rows; i++) {
      for (let j = 0; j < d.cols; j++) {
        const x = d.data[i * d.cols + j];
        if (x !== 0) { ri.push(i); ci.push(j); v.push(x); }
      }
    }
    return CsrMatrix.fromTriplets(d.rows, d.cols, ri, ci, v);
  }

  /** The n x n identity, or diag(d) when d is given. */
  static diagonal(d: ArrayLike<number>): CsrMatrix {
    const n = d.length;
    const indptr = new Int32Array(n + 1);
    for (let i = 0; i <= n; i++) indptr[i] = i;
    const indices = new Int32Array(n);
    for (let i = 0; i < n; i++) indices[i] = i;
    return new CsrMatrix(n, n, indptr, indices, Float64Array.from(d));
  }

  /** y = A x (into `out` when given). */
  matvec(x: Float64Array, out?: Float64Array): Float64Array {
    checkLength('x', x, this.cols);
    const y = out ?? new Float64Array(this.rows);
    const { rows, indptr, indices, data } = this;
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let k = indptr[i], e = indptr[i + 1]; k < e; k++) s += data[k] * x[indices[k]];
      y[i] = s;
    }
    return y;
  }

  /** x = Aᵀ y (into `out` when given). A scatter over rows; see transpose() for a gather form. */
  rmatvec(y: Float64Array, out?: Float64Array): Float64Array {
    checkLength('y', y, this.rows);
    const x = out ?? new Float64Array(this.cols);
    x.fill(0);
    const { rows, indptr, indices, data } = this;
    for (let i = 0; i < rows; i++) {
      const yi = y[i];
      if (yi === 0) continue;
      for (let k = indptr[i], e = indptr[i + 1]; k < e; k++) x[indices[k]] += data[k] * yi;
    }
    return x;
  }

  /** Aᵀ as a new CSR matrix. */
  transpose(): CsrMatrix {
    return this.transposeWithSlots().matrix;
  }

  /**
   * Aᵀ together with its slot map: `slots[t]` is the slot of A holding the value of slot t
   * of Aᵀ, so refreshing Aᵀ after A's values change is the gather dataT[t] = data[slots[t]].
   */
  transposeWithSlots(): { matrix: CsrMatrix; slots: Int32Array } {
    const { rows, cols, indptr, indices, data } = this;
    const nnz = this.nnz;
    const tptr = new Int32Array(cols + 1);
    for (let k = 0; k < nnz; k++) tptr[indices[k] + 1]++;
    for (let j = 0; j < cols; j++) tptr[j + 1] += tptr[j];
    const next = tptr.slice(0, cols);
    const tind = new Int32Array(nnz);
    const tval = new Float64Array(nnz);
    const slots = new Int32Array(nnz);
    for (let i = 0; i < rows; i++) {
      for (let k = indptr[i]; k < indptr[i + 1]; k++) {
        const t = next[indices[k]]++;
        tind[t] = i;
        tval[t] = data[k];
        slots[t] = k;
      }
    }
    return { matrix: new CsrMatrix(cols, rows, tptr, tind, tval), slots };
  }

  /** Euclidean norm of each column. */
  columnNorms(): Float64Array {
    const s = new Float64Array(this.cols);
    const { indices, data } = this;
    for (let k = 0; k < this.nnz; k++) s[indices[k]] += data[k] * data[k];
    for (let j = 0; j < this.cols; j++) s[j] = Math.sqrt(s[j]);
    return s;
  }

  /** Euclidean norm of each row. */
  rowNorms(): Float64Array {
    const s = new Float64Array(this.rows);
    const { indptr, data } = this;
    for (let i = 0; i < this.rows; i++) {
      let t = 0;
      for (let k = indptr[i]; k < indptr[i + 1]; k++) t += data[k] * data[k];
      s[i] = Math.sqrt(t);
    }
    return s;
  }

  /** diag(d) A, sharing the structure. */
  scaleRows(d: ArrayLike<number>): CsrMatrix {
    checkLength('d', d, this.rows);
    const out = new Float64Array(this.data);
    for (let i = 0; i < this.rows; i++) for (let k = this.indptr[i]; k < this.indptr[i + 1]; k++) out[k] *= d[i];
    return new CsrMatrix(this.rows, this.cols, this.indptr, this.indices, out);
  }

  /** A diag(d), sharing the structure. */
  scaleColumns(d: ArrayLike<number>): CsrMatrix {
    checkLength('d', d, this.cols);
    const out = new Float64Array(this.data);
    for (let k = 0; k < out.length; k++) out[k] *= d[this.indices[k]];
    return new CsrMatrix(this.rows, this.cols, this.indptr, this.indices, out);
  }

  /** The same structure with new values (length nnz). */
  withValues(values: Float64Array): CsrMatrix {
    return new CsrMatrix(this.rows, this.cols, this.indptr, this.indices, values);
  }

  toDense(): DenseMatrix {
    const a = new DenseMatrix(this.rows, this.cols);
    for (let i = 0; i < this.rows; i++) {
      for (let k = this.indptr[i]; k < this.indptr[i + 1]; k++) a.data[i * this.cols + this.indices[k]] = this.data[k];
    }
    return a;
  }
}

/** A stable counting sort of 0..n-1 (or of `input`'s order) by an integer key in [0, buckets). */
function countingOrder(n: number, buckets: number, key: (k: number) => number, input: Int32Array | null): Int32Array {
  const count = new Int32Array(buckets + 1);
  for (let k = 0; k < n; k++) count[key(k) + 1]++;
  for (let b = 0; b < buckets; b++) count[b + 1] += count[b];
  const out = new Int32Array(n);
  for (let t = 0; t < n; t++) {
    const k = input ? input[t] : t;
    out[count[key(k)]++] = k;
  }
  return out;
}
