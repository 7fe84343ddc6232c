/**
 * A dense matrix stored row-major in a Float64Array: element (i, j) is data[i * cols + j].
 */
import { InvalidArgumentError, ShapeMismatchError } from '../errors.js';
import { requireFinite, requireInteger } from '../validate.js';
import type { LinearOperator } from './operator.js';

export class DenseMatrix implements LinearOperator {
  readonly rows: number;
  readonly cols: number;
  /** Row-major entries, length rows * cols. */
  readonly data: Float64Array;

  /**
   * @param rows number of rows (integer >= 0)
   * @param cols number of columns (integer >= 0)
   * @param data row-major entries, length rows * cols; all finite. Defaults to zeros. Not copied.
   */
  constructor(rows: number, cols: number, data?: Float64Array) {
    requireInteger('rows', rows);
    requireInteger('cols', cols);
    this.rows = rows;
    this.cols = cols;
    if (data === undefined) {
      this.data = new Float64Array(rows * cols);
    } else {
      if (!(data instanceof Float64Array)) {
        throw new InvalidArgumentError('data', 'a Float64Array (row-major)');
      }
      if (data.length !== rows * cols) {
        throw new ShapeMismatchError('data', `length rows * cols = ${rows * cols}`, `length ${data.length}`);
      }
      requireFinite('data', data);
      this.data = data;
    }
  }

  /** Builds a matrix from an array of equal-length rows. */
  static fromRows(rows: ArrayLike<number>[]): DenseMatrix {
    const m = rows.length;
    const n = m === 0 ? 0 : rows[0].length;
    const data = new Float64Array(m * n);
    for (let i = 0; i < m; i++) {
      if (rows[i].length !== n) throw new ShapeMismatchError(`rows[${i}]`, `length ${n}`, `length ${rows[i].length}`);
      for (let j = 0; j < n; j++) data[i * n + j] = rows[i][j];
    }
    return new DenseMatrix(m, n, data);
  }

  /** The n x n identity. */
  static identity(n: number): DenseMatrix {
    const a = new DenseMatrix(n, n);
    for (let i = 0; i < n; i++) a.data[i * n + i] = 1;
    return a;
  }

  get(i: number, j: number): number {
    return this.data[i * this.cols + j];
  }

  set(i: number, j: number, v: number): void {
    this.data[i * this.cols + j] = v;
  }

  /** y = A x (into `out` when given). */
  matvec(x: Float64Array, out?: Float64Array): Float64Array {
    checkLength('x', x, this.cols);
    const y = out ?? new Float64Array(this.rows);
    const { rows, cols, data } = this;
    for (let i = 0; i < rows; i++) {
      let s = 0;
      const o = i * cols;
      for (let j = 0; j < cols; j++) s += data[o + j] * x[j];
      y[i] = s;
    }
    return y;
  }

  /** x = Aᵀ y (into `out` when given). */
  rmatvec(y: Float64Array, out?: Float64Array): Float64Array {
    checkLength('y', y, this.rows);
    const x = out ?? new Float64Array(this.cols);
    x.fill(0);
    const { rows, cols, data } = this;
    for (let i = 0; i < rows; i++) {
      const yi = y[i];
      if (yi === 0) continue;
      const o = i * cols;
      for (let j = 0; j < cols; j++) x[j] += data[o + j] * yi;
    }
    return x;
  }

  transpose(): DenseMatrix {
    const { rows, cols, data } = this;
    const t = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = data[i * cols + j];
    return new DenseMatrix(cols, rows, t);
  }

  /** Euclidean norm of each column. */
  columnNorms(): Float64Array {
    const s = new Float64Array(this.cols);
    const { rows, cols, data } = this;
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) s[j] += data[i * cols + j] ** 2;
    for (let j = 0; j < cols; j++) s[j] = Math.sqrt(s[j]);
    return s;
  }

  /** diag(d) A, as a new matrix. */
  scaleRows(d: ArrayLike<number>): DenseMatrix {
    checkLength('d', d, this.rows);
    const out = new Float64Array(this.data);
    for (let i = 0; i < this.rows; i++) for (let j = 0; j < this.cols; j++) out[i * this.cols + j] *= d[i];
    return new DenseMatrix(this.rows, this.cols, out);
  }

  /** A diag(d), as a new matrix. */
  scaleColumns(d: ArrayLike<number>): DenseMatrix {
    checkLength('d', d, this.cols);
    const out = new Float64Array(this.data);
    for (let i = 0; i < this.rows; i++) for (let j = 0; j < this.cols; j++) out[i * this.cols + j] *= d[j];
    return new DenseMatrix(this.rows, this.cols, out);
  }

  clone(): DenseMatrix {
    return new DenseMatrix(this.rows, this.cols, new Float64Array(this.data));
  }

  /** Rows as plain arrays (for printing and tests). */
  toArray(): number[][] {
    const out: number[][] = [];
    for (let i = 0; i < this.rows; i++) out.push(Array.from(this.data.subarray(i * this.cols, (i + 1) * this.cols)));
    return out;
  }
}

/** Throws a ShapeMismatchError unless `v.length === n`. */
export function checkLength(name: string, v: ArrayLike<number>, n: number): void {
  if (v.length !== n) throw new ShapeMismatchError(name, `length ${n}`, `length ${v.length}`);
}
