/**
 * Seeded random sparse problems for the benchmarks, and a raw binary export so a peer
 * (bench/scipy_lsmr.py) can load the very same matrix with numpy.fromfile.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CsrMatrix } from '../src/sparse/csr.js';

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function uniformSource(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal source (Box–Muller, both deviates of each pair used). */
export function normalSource(seed: number): () => number {
  const u = uniformSource(seed);
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    let u1 = 0;
    while (u1 === 0) u1 = u();
    const r = Math.sqrt(-2 * Math.log(u1));
    const th = 2 * Math.PI * u();
    spare = r * Math.sin(th);
    return r * Math.cos(th);
  };
}

/**
 * An m x n CSR matrix with about `nnz` standard-normal entries at uniformly random
 * positions. The first min(n, nnz) entries go one to each column (at a random row) so
 * that no column is empty; the rest are uniform over the whole matrix. Coinciding
 * positions are summed, so the stored count can be slightly below `nnz`.
 */
export function randomSparse(m: number, n: number, nnz: number, seed: number): CsrMatrix {
  if (!(m > 0 && n > 0 && nnz >= 0)) throw new RangeError(`randomSparse: need m, n > 0 and nnz >= 0 (got ${m}, ${n}, ${nnz})`);
  const total = Math.max(nnz, n);
  const u = uniformSource(seed);
  const g = normalSource(seed ^ 0x9e3779b9);
  const ri = new Int32Array(total), ci = new Int32Array(total), v = new Float64Array(total);
  for (let k = 0; k < total; k++) {
    ri[k] = Math.floor(u() * m);
    ci[k] = k < n ? k : Math.floor(u() * n);
    v[k] = g();
  }
  return CsrMatrix.fromTriplets(m, n, ri, ci, v);
}

/** n standard-normal entries. */
export function randomVector(n: number, seed: number): Float64Array {
  const g = normalSource(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = g();
  return out;
}

/** What writeProblemFiles leaves in its directory (header.json holds the same). */
export interface ProblemFiles {
  dir: string;
  header: {
    rows: number;
    cols: number;
    nnz: number;
    /** File names relative to dir, with numpy dtypes (little-endian). */
    files: { indptr: string; indices: string; data: string; b: string };
    dtypes: { indptr: '<i4'; indices: '<i4'; data: '<f8'; b: '<f8' };
  };
}

function writeTyped(path: string, a: Int32Array | Float64Array): void {
  writeFileSync(path, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

/**
 * Writes A (indptr and indices as int32, data as float64) and b (float64) as raw
 * little-endian binary files plus header.json into `dir` (default: a fresh temp
 * directory). Python reads them with np.fromfile(path, dtype='<i4' / '<f8').
 */
export function writeProblemFiles(a: CsrMatrix, b: Float64Array, dir?: string): ProblemFiles {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('writeProblemFiles assumes a little-endian host');
  if (b.length !== a.rows) throw new RangeError(`b has length ${b.length}, A has ${a.rows} rows`);
  const d = dir ?? mkdtempSync(join(tmpdir(), 'trustgpu-bench-'));
  const header: ProblemFiles['header'] = {
    rows: a.rows,
    cols: a.cols,
    nnz: a.nnz,
    files: { indptr: 'indptr.i32', indices: 'indices.i32', data: 'data.f64', b: 'b.f64' },
    dtypes: { indptr: '<i4', indices: '<i4', data: '<f8', b: '<f8' },
  };
  writeTyped(join(d, header.files.indptr), a.indptr);
  writeTyped(join(d, header.files.indices), a.indices);
  writeTyped(join(d, header.files.data), a.data);
  writeTyped(join(d, header.files.b), b);
  writeFileSync(join(d, 'header.json'), JSON.stringify(header, null, 2) + '\n');
  return { dir: d, header };
}
