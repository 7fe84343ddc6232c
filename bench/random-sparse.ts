/**
 * A raw binary export of a problem so a peer (bench/scipy_lsmr.py) can load the very same
 * matrix with numpy.fromfile. The generators live in src/problems/random-sparse.ts.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CsrMatrix } from '../src/sparse/csr.js';

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
