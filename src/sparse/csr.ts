/**
 * Compressed sparse row matrices. Column indices within a row are sorted and unique,
 * which the GPU kernels and the transpose slot map rely on.
 */
import { InvalidArgumentError, ShapeMismatchError } from '../errors.js';
import { requireInteger } from '../validate.js';
import type { LinearOperator } from '../linear/operator.js';
import { DenseMatrix, checkLength } from '../linear/dense-matrix.js';

/**
 * Set only inside {@link trustedCsr}: the constructor then skips its O(nnz) checks for
 * arrays that an internal path has already checked or made valid by construction.
 */
let trustedConstruction = false;

/**
 * Wraps CSR arrays that are valid by construction (lengths, monotone row pointers, sorted
 * unique in-range columns, finite values) without checking them again. Internal: for the
 * library's own products (transposes, scaled copies, checked triplets), never for arrays
 * that come from a user. Not exported from the package root.
 */
export function trustedCsr(rows: number, cols: number, indptr: Int32Array, indices: Int32Array, data: Float64Array): CsrMatrix {
  trustedConstruction = true;
  try {
    return new CsrMatrix(rows, cols, indptr, indices, data);
  } finally {
    trustedConstruction = false;
  }
}

/** The constructor's checks: lengths, monotone row pointers, sorted unique in-range columns, finite values. */
function checkCsrArrays(rows: number, cols: number, indptr: Int32Array, indices: Int32Array, data: Float64Array): void {
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
}

/** The first non-finite value of `data` as the constructor reports it. */
function checkFiniteData(data: Float64Array): void {
  for (let k = 0; k < data.length; k++) {
    if (!Number.isFinite(data[k])) throw new InvalidArgumentError('data', 'finite values', `data[${k}] = ${data[k]}`);
  }
}

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
    if (!trustedConstruction) checkCsrArrays(rows, cols, indptr, indices, data);
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
    // Row-major triplets without duplicates (strictly increasing (row, col)) are already
    // in CSR order: the common case of a Jacobian rebuilt on a fixed pattern.
    if (rowIndices instanceof Int32Array && colIndices instanceof Int32Array && values instanceof Float64Array) {
      const direct = orderedTypedTriplets(rows, cols, rowIndices, colIndices, values);
      if (direct) return direct;
    }
    let ordered = true;
    let lastI = -1, lastJ = -1;
    for (let k = 0; k < n; k++) {
      const i = rowIndices[k], j = colIndices[k], v = values[k];
      if (!Number.isInteger(i) || i < 0 || i >= rows) throw new InvalidArgumentError('rowIndices', `integers in [0, ${rows})`, `rowIndices[${k}] = ${i}`);
      if (!Number.isInteger(j) || j < 0 || j >= cols) throw new InvalidArgumentError('colIndices', `integers in [0, ${cols})`, `colIndices[${k}] = ${j}`);
      if (!Number.isFinite(v)) throw new InvalidArgumentError('values', 'finite values', `values[${k}] = ${v}`);
      if (i < lastI || (i === lastI && j <= lastJ)) ordered = false;
      lastI = i;
      lastJ = j;
    }
    if (ordered) {
      // The arrays the sorting path below builds for such input, without the sorts.
      const indptr = new Int32Array(rows + 1);
      const idx = new Int32Array(n);
      const val = new Float64Array(n);
      for (let k = 0; k < n; k++) {
        indptr[rowIndices[k] + 1]++;
        idx[k] = colIndices[k];
        val[k] = values[k];
      }
      for (let i = 0; i < rows; i++) indptr[i + 1] += indptr[i];
      return trustedCsr(rows, cols, indptr, idx, val);
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
    if (this.nnz >= WASM_MIN_NNZ && wasmProduct(this, false, x, y)) return y;
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
    if (this.nnz >= WASM_MIN_NNZ && wasmProduct(this, true, y, x)) return x;
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
    return this.transposeImpl(false).matrix;
  }

  /**
   * Aᵀ together with its slot map: `slots[t]` is the slot of A holding the value of slot t
   * of Aᵀ, so refreshing Aᵀ after A's values change is the gather dataT[t] = data[slots[t]].
   */
  transposeWithSlots(): { matrix: CsrMatrix; slots: Int32Array } {
    const { matrix, slots } = this.transposeImpl(true);
    return { matrix, slots: slots! };
  }

  /**
   * Aᵀ by a counting sort of the slots by column. Rows of Aᵀ come out sorted and unique
   * because A's rows are visited in order; the values are A's (checked finite again, as
   * the constructor did, in case A.data was changed in place).
   */
  private transposeImpl(withSlots: boolean): { matrix: CsrMatrix; slots: Int32Array | null } {
    const { rows, cols, indptr, indices, data } = this;
    const nnz = this.nnz;
    const tptr = new Int32Array(cols + 1);
    for (let k = 0; k < nnz; k++) tptr[indices[k] + 1]++;
    for (let j = 0; j < cols; j++) tptr[j + 1] += tptr[j];
    const next = tptr.slice(0, cols);
    const tind = new Int32Array(nnz);
    const tval = new Float64Array(nnz);
    const slots = withSlots ? new Int32Array(nnz) : null;
    for (let i = 0; i < rows; i++) {
      for (let k = indptr[i], e = indptr[i + 1]; k < e; k++) {
        const t = next[indices[k]]++;
        tind[t] = i;
        tval[t] = data[k];
        if (slots) slots[t] = k;
      }
    }
    checkFiniteData(tval);
    return { matrix: trustedCsr(cols, rows, tptr, tind, tval), slots };
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
    const out = rowScaled(this.rows, this.indptr, this.data, d);
    // The structure is this matrix's (already checked); only the products can overflow.
    checkFiniteData(out);
    return trustedCsr(this.rows, this.cols, this.indptr, this.indices, out);
  }

  /** A diag(d), sharing the structure. */
  scaleColumns(d: ArrayLike<number>): CsrMatrix {
    checkLength('d', d, this.cols);
    const out = columnScaled(this.indices, this.data, d);
    // The structure is this matrix's (already checked); only the products can overflow.
    checkFiniteData(out);
    return trustedCsr(this.rows, this.cols, this.indptr, this.indices, out);
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

// ---------------------------------------------------------------------------------------
// The products in WebAssembly

/**
 * matvec and rmatvec as a 360-byte WebAssembly module: V8's code for the JS loops above
 * pays bounds checks on three arrays per nonzero and runs 3-4x slower than compiled code
 * (1.6-1.9 ns per nonzero against 0.5 on the 2-core dev boxes at 10^4-10^5 nonzeros; the
 * products are most of an LSMR iteration). The kernels are those loops statement for
 * statement: each y_i summed from +0 over its row in slot order, the scatter skipping
 * y_i = 0, f64 arithmetic with no contraction in either language, so every result is the
 * JS loops' to the bit. A product copies the matrix and its input vector into the
 * module's memory (a memcpy, about a tenth of the product) and the result out, so it
 * always sees the arrays as they are. Used from WASM_MIN_NNZ nonzeros on; the JS loops
 * remain for small matrices, aliased vectors, and where WebAssembly is unavailable.
 *
 *   (module
 *     (memory (export "memory") 1)
 *     (func (export "matvec") (param $rows i32) (param $ip i32) (param $ix i32) (param $dt i32)
 *                                (param $x i32) (param $y i32)
 *       (local $i i32) (local $k i32) (local $e i32) (local $s f64)
 *       (block $done (loop $row
 *         (br_if $done (i32.ge_u (local.get $i) (local.get $rows)))
 *         (local.set $k (i32.load (ip + 4 i)))
 *         (local.set $e (i32.load (ip + 4 (i + 1))))
 *         (local.set $s (f64.const 0))
 *         (block $end (loop $entry
 *           (br_if $end (i32.ge_s (local.get $k) (local.get $e)))
 *           (local.set $s (f64.add (local.get $s)
 *             (f64.mul (f64.load (dt + 8 k)) (f64.load (x + 8 (i32.load (ix + 4 k)))))))
 *           (local.set $k (k + 1)) (br $entry)))
 *         (f64.store (y + 8 i) (local.get $s))
 *         (local.set $i (i + 1)) (br $row))))
 *     (func (export "rmatvec") (param $rows i32) (param $ip i32) (param $ix i32) (param $dt i32)
 *                                 (param $y i32) (param $x i32)          ;; x zeroed by the caller
 *       (local $i i32) (local $k i32) (local $e i32) (local $a i32) (local $yi f64)
 *       (block $done (loop $row
 *         (br_if $done (i32.ge_u (local.get $i) (local.get $rows)))
 *         (local.set $k (i32.load (ip + 4 i)))
 *         (local.set $e (i32.load (ip + 4 (i + 1))))
 *         (local.set $yi (f64.load (y + 8 i)))
 *         (block $skip
 *           (br_if $skip (f64.eq (local.get $yi) (f64.const 0)))
 *           (block $end (loop $entry
 *             (br_if $end (i32.ge_s (local.get $k) (local.get $e)))
 *             (f64.store (local.tee $a (x + 8 (i32.load (ix + 4 k))))
 *               (f64.add (f64.load (local.get $a)) (f64.mul (f64.load (dt + 8 k)) (local.get $yi))))
 *             (local.set $k (k + 1)) (br $entry))))
 *         (local.set $i (i + 1)) (br $row)))))
 *
 * (Offsets like `ix + 4 k` stand for i32.add/i32.shl; the bytes below were assembled from
 * exactly this and are checked by WebAssembly.Module at load.)
 */
const CSR_KERNELS_WASM =
  '0061736d01000000010a0160067f7f7f7f7f7f0003030200000503010001071d03066d656d6f72790200066d61747665' +
  '63000007726d617476656300010aa802028c0102037f017c02400340200620004f0d01200120064102746a2802002107' +
  '2001200641016a4102746a2802002108440000000000000000210902400340200720084e0d012009200320074103746a' +
  '2b03002004200220074102746a2802004103746a2b0300a2a02109200741016a21070c000b0b200520064103746a2009' +
  '390300200641016a21060c000b0b0b970102047f017c02400340200620004f0d01200120064102746a28020021072001' +
  '200641016a4102746a2802002108200420064103746a2b0300210a0240200a440000000000000000610d000240034020' +
  '0720084e0d012005200220074102746a2802004103746a220920092b0300200320074103746a2b0300200aa2a0390300' +
  '200741016a21070c000b0b0b200641016a21060c000b0b0b';

/**
 * The CPU backend's vector kernels (cpu.ts), a second module on the products' memory
 * (imported as k.memory), so that a backend vector, a staged matrix and a product's
 * output all live in one address space. Elementwise kernels take two entries per trip in
 * f64x2 lanes (IEEE f64 per lane, as the scalar loop: the same value in every entry, with
 * y and x allowed to be the same vector) and the odd last entry alone; dot sums x_i y_i
 * from +0 in index order, one entry at a time, as the JS loop. WebAssembly SIMD is needed;
 * where it is missing this module alone fails and the vectors stay JS arrays.
 *
 *   (func (export "scale")  (param $a f64) (param $x i32) (param $y i32) (param $n i32)   ;; y = a x
 *   (func (export "axpy")   (param $a f64) (param $x i32) (param $y i32) (param $n i32)   ;; y = y + a x
 *   (func (export "axpby")  (param $a f64) (param $x i32) (param $b f64) (param $y i32) (param $n i32)
 *                                                                            ;; y = a x + b y
 *   (func (export "mul")    (param $x i32) (param $y i32) (param $z i32) (param $n i32)   ;; z = x y
 *   (func (export "muladd") (param $x i32) (param $y i32) (param $b f64) (param $z i32) (param $n i32)
 *                                                                            ;; z = x y + b z
 *     each:  (local $i i32) (local $va v128) ...  (va = f64x2.splat a, likewise b)
 *       (block $pairs (loop $pair
 *         (br_if $pairs (i32.ge_u (i + 1) (local.get $n)))
 *         (v128.store (y + 8 i) (f64x2.add (f64x2.mul (local.get $va) (v128.load (x + 8 i)))
 *                                          (f64x2.mul (local.get $vb) (v128.load (y + 8 i)))))   ;; axpby
 *         (local.set $i (i + 2)) (br $pair)))
 *       (if (i32.lt_u (local.get $i) (local.get $n))
 *         (f64.store (y + 8 i) (f64.add (f64.mul a (f64.load (x + 8 i))) (f64.mul b (f64.load (y + 8 i))))))
 *   (func (export "dot") (param $x i32) (param $y i32) (param $n i32) (result f64)
 *     (local $i i32) (local $s f64)
 *     (block $done (loop $entry
 *       (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
 *       (local.set $s (f64.add (local.get $s) (f64.mul (f64.load (x + 8 i)) (f64.load (y + 8 i)))))
 *       (local.set $i (i + 1)) (br $entry)))
 *     (local.get $s))
 */
const VECTOR_KERNELS_WASM =
  '0061736d0100000001260560047c7f7f7f0060057c7f7c7f7f0060047f7f7f7f0060057f7f7c7f7f0060037f7f7f017c' +
  '020d01016b066d656d6f7279020001030706000001020304072d06057363616c65000004617870790001056178706279' +
  '0002036d756c0003066d756c616464000403646f7400050ac205066502017f017b2000fd14210502400340200441016a' +
  '20034f0d01200220044103746a2005200120044103746afd000300fdf201fd0b0300200441026a21040c000b0b024020' +
  '0420034f0d00200220044103746a2000200120044103746a2b0300a23903000b0b800102017f017b2000fd1421050240' +
  '0340200441016a20034f0d01200220044103746a200220044103746afd0003002005200120044103746afd000300fdf2' +
  '01fdf001fd0b0300200441026a21040c000b0b0240200420034f0d00200220044103746a200220044103746a2b030020' +
  '00200120044103746a2b0300a2a03903000b0b8e0102017f027b2000fd1421062002fd14210702400340200541016a20' +
  '044f0d01200320054103746a2006200120054103746afd000300fdf2012007200320054103746afd000300fdf201fdf0' +
  '01fd0b0300200541026a21050c000b0b0240200520044f0d00200320054103746a2000200120054103746a2b0300a220' +
  '02200320054103746a2b0300a2a03903000b0b7001017f02400340200441016a20034f0d01200220044103746a200020' +
  '044103746afd000300200120044103746afd000300fdf201fd0b0300200441026a21040c000b0b0240200420034f0d00' +
  '200220044103746a200020044103746a2b0300200120044103746a2b0300a23903000b0b9b0102017f017b2002fd1421' +
  '0602400340200541016a20044f0d01200320054103746a200020054103746afd000300200120054103746afd000300fd' +
  'f2012006200320054103746afd000300fdf201fdf001fd0b0300200541026a21050c000b0b0240200520044f0d002003' +
  '20054103746a200020054103746a2b0300200120054103746a2b0300a22002200320054103746a2b0300a2a03903000b' +
  '0b3a02017f017c02400340200320024f0d012004200020034103746a2b0300200120034103746a2b0300a2a021042003' +
  '41016a21030c000b0b20040b';

/** Below this many nonzeros the JS loops are used (the copies and the call would dominate). */
const WASM_MIN_NNZ = 256;
/** The kernels' memory is not grown past this (larger products use the JS loops). */
const WASM_MAX_BYTES = 1 << 30;

interface CsrKernels {
  memory: WebAssembly.Memory;
  matvec(rows: number, ip: number, ix: number, dt: number, x: number, y: number): void;
  rmatvec(rows: number, ip: number, ix: number, dt: number, y: number, x: number): void;
}

/** The vector kernels (byte offsets into the kernels' memory, n entries). Internal: cpu.ts. */
export interface VectorKernels {
  readonly memory: WebAssembly.Memory;
  scale(a: number, x: number, y: number, n: number): void;
  axpy(a: number, x: number, y: number, n: number): void;
  axpby(a: number, x: number, b: number, y: number, n: number): void;
  mul(x: number, y: number, z: number, n: number): void;
  muladd(x: number, y: number, b: number, z: number, n: number): void;
  dot(x: number, y: number, n: number): number;
}

/** The instantiated kernels; null where WebAssembly is unavailable or refused (e.g. by a CSP). */
let csrKernels: CsrKernels | null | undefined;
let vectorKernelsInstance: VectorKernels | null = null;

const bytesOf = (hex: string): Uint8Array<ArrayBuffer> => {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
};

function kernels(): CsrKernels | null {
  if (csrKernels === undefined) {
    try {
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytesOf(CSR_KERNELS_WASM)));
      csrKernels = instance.exports as unknown as CsrKernels;
    } catch {
      csrKernels = null;
    }
    if (csrKernels) {
      try {
        const module = new WebAssembly.Module(bytesOf(VECTOR_KERNELS_WASM));
        const instance = new WebAssembly.Instance(module, { k: { memory: csrKernels.memory } });
        vectorKernelsInstance = { ...(instance.exports as unknown as Omit<VectorKernels, 'memory'>), memory: csrKernels.memory };
      } catch {
        vectorKernelsInstance = null;
      }
    }
  }
  return csrKernels;
}

/** The vector kernels, or null (no WebAssembly, or no SIMD): then the CPU backend's vectors are JS arrays. */
export function vectorKernels(): VectorKernels | null {
  kernels();
  return vectorKernelsInstance;
}

/**
 * Whether A's products run in WebAssembly (the kernels load and A has WASM_MIN_NNZ
 * nonzeros or more). There the scatter Aᵀy is as fast as a gather over a stored Aᵀ, so
 * the CPU backend skips making Aᵀ for matrices used in few products.
 */
export function hasFastProducts(a: CsrMatrix): boolean {
  return a.nnz >= WASM_MIN_NNZ && kernels() !== null;
}

/**
 * The kernels' memory is shared by everything that stages a matrix in it: regions are
 * handed out first fit from a list sorted by offset (a few live at a time: one transient
 * product, the matrices a backend keeps staged), and the memory grows as needed (it never
 * shrinks; offsets stay valid, JS views are made per use).
 */
export interface Region {
  readonly off: number;
  readonly size: number;
}
const regions: Region[] = [];

function allocRegion(k: CsrKernels, bytes: number): Region | null {
  const size = (bytes + 7) & ~7;
  let off = 0, i = 0;
  for (; i < regions.length; i++) {
    if (regions[i].off - off >= size) break;
    off = regions[i].off + regions[i].size;
  }
  const end = off + size;
  if (end > WASM_MAX_BYTES) return null;
  const have = k.memory.buffer.byteLength;
  if (end > have) k.memory.grow(Math.ceil((end - have) / 65536));
  const region = { off, size };
  regions.splice(i, 0, region);
  return region;
}

function freeRegion(region: Region): void {
  const i = regions.indexOf(region);
  if (i >= 0) regions.splice(i, 1);
}

/** `bytes` (rounded up to 8) of the kernels' memory for the CPU backend's vectors, or null. */
export function allocKernelMemory(bytes: number): Region | null {
  const k = kernels();
  return k ? allocRegion(k, bytes) : null;
}

/** Returns a region from allocKernelMemory. */
export function freeKernelMemory(region: Region): void {
  freeRegion(region);
}

/** Where A and its two vectors lie in a region: row pointers, columns, values, input, output. */
interface Layout {
  ip: number;
  ix: number;
  dt: number;
  vin: number;
  vout: number;
  bytes: number;
}

function layout(a: CsrMatrix, off: number): Layout {
  const { rows, cols } = a;
  const nnz = a.indptr[rows];
  const len = Math.max(rows, cols);
  const ip = off;
  const ix = ip + 4 * (rows + 1);
  const dt = (ix + 4 * nnz + 7) & ~7;
  const vin = dt + 8 * nnz;
  const vout = vin + 8 * len;
  return { ip, ix, dt, vin, vout, bytes: vout + 8 * len - off };
}

/** Copies A's arrays into the kernels' memory at `at`. */
function stage(k: CsrKernels, a: CsrMatrix, at: Layout): void {
  const { rows, indptr, indices, data } = a;
  const nnz = indptr[rows];
  const buf = k.memory.buffer;
  new Int32Array(buf, at.ip, rows + 1).set(indptr.subarray(0, rows + 1));
  new Int32Array(buf, at.ix, nnz).set(indices.subarray(0, nnz));
  new Float64Array(buf, at.dt, nnz).set(data.subarray(0, nnz));
}

/** The arguments the kernels take: plain Float64Arrays of the right lengths, not sharing storage. */
function productArguments(a: CsrMatrix, transpose: boolean, v: Float64Array, out: Float64Array): boolean {
  return v instanceof Float64Array && out instanceof Float64Array && v.buffer !== out.buffer &&
    v.length === (transpose ? a.rows : a.cols) && out.length === (transpose ? a.cols : a.rows);
}

/** out = A v or Aᵀ v with A staged at `at`: copies v in, runs the kernel, copies the result out. */
function runProduct(k: CsrKernels, a: CsrMatrix, at: Layout, transpose: boolean, v: Float64Array, out: Float64Array): void {
  const buf = k.memory.buffer;
  new Float64Array(buf, at.vin, v.length).set(v);
  const result = new Float64Array(buf, at.vout, out.length);
  if (transpose) {
    result.fill(0);
    k.rmatvec(a.rows, at.ip, at.ix, at.dt, at.vin, at.vout);
  } else {
    k.matvec(a.rows, at.ip, at.ix, at.dt, at.vin, at.vout);
  }
  out.set(result);
}

/**
 * out = A v (transpose false) or Aᵀ v (true) in WebAssembly, A staged for this product
 * only; false (nothing written) when the kernels are unavailable, the vectors share
 * storage or have other lengths, or the product is too large.
 */
function wasmProduct(a: CsrMatrix, transpose: boolean, v: Float64Array, out: Float64Array): boolean {
  if (!productArguments(a, transpose, v, out)) return false;
  const k = kernels();
  // Views into the kernels' memory (the CPU backend's vectors) would be detached by a
  // grow while staging: the backend passes those by offset (StagedCsr.productAt).
  if (!k || v.buffer === k.memory.buffer || out.buffer === k.memory.buffer) return false;
  const region = allocRegion(k, layout(a, 0).bytes);
  if (!region) return false;
  try {
    const at = layout(a, region.off);
    stage(k, a, at);
    runProduct(k, a, at, transpose, v, out);
  } finally {
    freeRegion(region);
  }
  return true;
}

/** Regions of StagedCsr objects dropped without release() go back when they are collected. */
const stagedRegions = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<Region>(freeRegion) : null;

/**
 * A CSR matrix kept in the kernels' memory for repeated products: staged on the first
 * product, so later ones copy only the vectors (the CPU backend's uploaded matrices, used
 * by every iteration of a Krylov solve). Later changes to A's arrays are not seen, as with
 * any upload. release() frees the memory (a collected StagedCsr frees it too).
 */
export class StagedCsr {
  private region: Region | null = null;
  private at: Layout | null = null;

  constructor(readonly a: CsrMatrix) {}

  /** out = A v (or Aᵀ v); false, nothing written, where the JS loops must do it (see wasmProduct). */
  product(transpose: boolean, v: Float64Array, out: Float64Array): boolean {
    const { a } = this;
    if (a.nnz < WASM_MIN_NNZ || !productArguments(a, transpose, v, out)) return false;
    const k = kernels();
    if (!k || v.buffer === k.memory.buffer || out.buffer === k.memory.buffer || !this.staged(k)) return false;
    runProduct(k, a, this.at!, transpose, v, out);
    return true;
  }

  /**
   * The same for vectors that are themselves in the kernels' memory, given by byte offset
   * (vin: cols entries, or rows with transpose; vout the other; the two disjoint).
   */
  productAt(transpose: boolean, vin: number, vout: number): boolean {
    const { a } = this;
    if (a.nnz < WASM_MIN_NNZ) return false;
    const k = kernels();
    if (!k || !this.staged(k)) return false;
    const at = this.at!;
    if (transpose) {
      new Float64Array(k.memory.buffer, vout, a.cols).fill(0);
      k.rmatvec(a.rows, at.ip, at.ix, at.dt, vin, vout);
    } else {
      k.matvec(a.rows, at.ip, at.ix, at.dt, vin, vout);
    }
    return true;
  }

  /** Copies A into the kernels' memory on first use; false when it does not fit. */
  private staged(k: CsrKernels): boolean {
    if (this.region) return true;
    const region = allocRegion(k, layout(this.a, 0).bytes);
    if (!region) return false;
    this.region = region;
    this.at = layout(this.a, region.off);
    stage(k, this.a, this.at);
    stagedRegions?.register(this, region, this);
    return true;
  }

  release(): void {
    if (!this.region) return;
    freeRegion(this.region);
    stagedRegions?.unregister(this);
    this.region = this.at = null;
  }
}

/**
 * Aᵀ for a sequence of matrices that mostly share one structure (a Jacobian re-evaluated on
 * a fixed pattern): the first transpose of a structure keeps its slot map, and a later
 * matrix with the same structure gets Aᵀ by one gather of its values instead of a full
 * transpose. The structure is kept as a copy and compared by content, so matrices built on
 * reused (even refilled) index arrays are handled correctly. The result is the same
 * matrix transpose() gives, value for value; a different structure replaces the entry.
 */
export class TransposeCache {
  private rows = -1;
  private cols = -1;
  private indptr: Int32Array | null = null;
  private indices: Int32Array | null = null;
  private tptr: Int32Array | null = null;
  private tind: Int32Array | null = null;
  private slots: Int32Array | null = null;

  transpose(a: CsrMatrix): CsrMatrix {
    const slots = this.slots;
    if (slots && this.tptr && this.tind && this.matches(a)) {
      const data = a.data;
      const tval = new Float64Array(slots.length);
      for (let t = 0; t < tval.length; t++) tval[t] = data[slots[t]];
      checkFiniteData(tval);
      return trustedCsr(a.cols, a.rows, this.tptr, this.tind, tval);
    }
    const { matrix, slots: s } = a.transposeWithSlots();
    this.rows = a.rows;
    this.cols = a.cols;
    this.indptr = a.indptr.slice();
    this.indices = a.indices.slice();
    this.tptr = matrix.indptr;
    this.tind = matrix.indices;
    this.slots = s;
    return matrix;
  }

  /** Forgets the kept structure. */
  clear(): void {
    this.rows = this.cols = -1;
    this.indptr = this.indices = this.tptr = this.tind = this.slots = null;
  }

  private matches(a: CsrMatrix): boolean {
    const p = this.indptr, q = this.indices;
    if (!p || !q || a.rows !== this.rows || a.cols !== this.cols) return false;
    const ap = a.indptr, aq = a.indices;
    if (ap.length !== p.length || aq.length !== q.length) return false;
    for (let i = 0; i < p.length; i++) if (ap[i] !== p[i]) return false;
    for (let k = 0; k < q.length; k++) if (aq[k] !== q[k]) return false;
    return true;
  }
}

/**
 * fromTriplets for typed arrays already in CSR order (strictly increasing (row, col)), in
 * one monomorphic pass that checks the entries as fromTriplets does (the same errors for
 * the same first bad entry) and fills the CSR arrays; null as soon as the order breaks.
 */
function orderedTypedTriplets(
  rows: number, cols: number, rowIndices: Int32Array, colIndices: Int32Array, values: Float64Array,
): CsrMatrix | null {
  const n = values.length;
  const indptr = new Int32Array(rows + 1);
  const idx = new Int32Array(n);
  const val = new Float64Array(n);
  let lastI = -1, lastJ = -1;
  for (let k = 0; k < n; k++) {
    const i = rowIndices[k], j = colIndices[k], v = values[k];
    if (i < 0 || i >= rows) throw new InvalidArgumentError('rowIndices', `integers in [0, ${rows})`, `rowIndices[${k}] = ${i}`);
    if (j < 0 || j >= cols) throw new InvalidArgumentError('colIndices', `integers in [0, ${cols})`, `colIndices[${k}] = ${j}`);
    if (!Number.isFinite(v)) throw new InvalidArgumentError('values', 'finite values', `values[${k}] = ${v}`);
    if (i < lastI || (i === lastI && j <= lastJ)) return null;
    lastI = i;
    lastJ = j;
    indptr[i + 1]++;
    idx[k] = j;
    val[k] = v;
  }
  for (let i = 0; i < rows; i++) indptr[i + 1] += indptr[i];
  return trustedCsr(rows, cols, indptr, idx, val);
}

// The loops of scaleRows and scaleColumns, as functions of their own so that V8 optimizes
// them as such (inline in the methods, they were compiled on stack and deoptimized after
// the loop on most calls).

/** data ∘ d[row of each slot] */
function rowScaled(rows: number, indptr: Int32Array, data: Float64Array, d: ArrayLike<number>): Float64Array {
  const out = new Float64Array(data);
  for (let i = 0; i < rows; i++) {
    const di = d[i];
    for (let k = indptr[i], e = indptr[i + 1]; k < e; k++) out[k] *= di;
  }
  return out;
}

/** data ∘ d[column of each slot] */
function columnScaled(indices: Int32Array, data: Float64Array, d: ArrayLike<number>): Float64Array {
  const out = new Float64Array(data);
  for (let k = 0; k < out.length; k++) out[k] *= d[indices[k]];
  return out;
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
