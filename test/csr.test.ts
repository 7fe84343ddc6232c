import { describe, expect, it } from 'vitest';
import { CsrMatrix, DenseMatrix, InvalidArgumentError, ShapeMismatchError } from '../src/index.js';

function randomDense(m: number, n: number, density: number, seed: number): DenseMatrix {
  let s = seed;
  const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const a = new DenseMatrix(m, n);
  for (let i = 0; i < m * n; i++) if (rnd() < density) a.data[i] = rnd() * 2 - 1;
  return a;
}

/** Turns -0 into +0: the dense product keeps signed zeros that CSR never stores. */
const plus0 = (rows: number[][]) => rows.map((r) => r.map((v) => (v === 0 ? 0 : v)));

describe('CsrMatrix', () => {
  it('sums duplicate triplets and sorts columns', () => {
    const a = CsrMatrix.fromTriplets(2, 3, [1, 0, 1, 0, 1], [2, 1, 0, 1, 2], [1, 2, 3, 4, 5]);
    expect(Array.from(a.indptr)).toEqual([0, 1, 3]);
    expect(Array.from(a.indices)).toEqual([1, 0, 2]);
    expect(Array.from(a.data)).toEqual([6, 3, 6]);
    expect(a.toDense().toArray()).toEqual([[0, 6, 0], [3, 0, 6]]);
  });

  it('matches dense products, transpose and norms column by column', () => {
    const d = randomDense(37, 23, 0.2, 7);
    const a = CsrMatrix.fromDense(d);
    const x = Float64Array.from({ length: 23 }, (_, i) => Math.sin(i + 1));
    const y = Float64Array.from({ length: 37 }, (_, i) => Math.cos(i + 1));
    const ax = a.matvec(x), dx = d.matvec(x);
    const aty = a.rmatvec(y), dty = d.rmatvec(y);
    for (let i = 0; i < 37; i++) expect(ax[i]).toBeCloseTo(dx[i], 14);
    for (let j = 0; j < 23; j++) expect(aty[j]).toBeCloseTo(dty[j], 14);
    const { matrix: t, slots } = a.transposeWithSlots();
    expect(t.toDense().toArray()).toEqual(d.transpose().toArray());
    for (let k = 0; k < slots.length; k++) expect(t.data[k]).toBe(a.data[slots[k]]);
    const cn = a.columnNorms(), dn = d.columnNorms();
    for (let j = 0; j < 23; j++) expect(cn[j]).toBeCloseTo(dn[j], 14);
    const r = Float64Array.from({ length: 37 }, (_, i) => i + 1);
    expect(plus0(a.scaleRows(r).toDense().toArray())).toEqual(plus0(d.scaleRows(r).toArray()));
    const c = Float64Array.from({ length: 23 }, (_, i) => i - 3);
    expect(plus0(a.scaleColumns(c).toDense().toArray())).toEqual(plus0(d.scaleColumns(c).toArray()));
  });

  it('rejects bad input with typed errors naming the argument', () => {
    expect(() => CsrMatrix.fromTriplets(2, 2, [0, 2], [0, 0], [1, 1])).toThrow(InvalidArgumentError);
    expect(() => CsrMatrix.fromTriplets(2, 2, [0], [0, 1], [1])).toThrow(ShapeMismatchError);
    expect(() => CsrMatrix.fromTriplets(2, 2, [0], [0], [NaN])).toThrow(/values/);
    expect(() => CsrMatrix.fromTriplets(2, 2, [0], [-1], [1])).toThrow(/colIndices/);
    expect(() => CsrMatrix.fromTriplets(-1, 2, [], [], [])).toThrow(/rows/);
    expect(() => new CsrMatrix(1, 2, new Int32Array([0, 2]), new Int32Array([1, 0]), new Float64Array(2))).toThrow(/sorted/);
    expect(() => a().matvec(new Float64Array(3))).toThrow(ShapeMismatchError);
    function a() { return CsrMatrix.diagonal([1, 2]); }
  });
});

describe('DenseMatrix', () => {
  it('validates its data', () => {
    expect(() => new DenseMatrix(2, 2, new Float64Array(3))).toThrow(ShapeMismatchError);
    expect(() => new DenseMatrix(1, 1, new Float64Array([Infinity]))).toThrow(/finite/);
    expect(() => new DenseMatrix(1.5, 1)).toThrow(/rows/);
  });
});
