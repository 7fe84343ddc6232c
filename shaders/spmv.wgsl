// y = A x for a CSR matrix, in two flavours. The transpose is stored as its own CSR, so
// Aᵀ y is this kernel too. No float atomics: every row is summed by one workgroup or thread.
//
// `spmv` (GPUs): one workgroup per row block ("CSR-adaptive": a vector CSR with a
// workgroup-memory reduction). The host cuts the rows into blocks (row_blocks[b] ..
// row_blocks[b+1]):
//  * a block of several short rows holding at most STREAM_NNZ entries and at most WG rows:
//    the workgroup loads the block's products a_k * x_j into workgroup memory with
//    coalesced reads ("CSR-stream"), then TPR threads per row (TPR a power of two, as many
//    as the block's rows leave) add up each row, and their partial sums are folded by 16s;
//  * a single row with more entries ("CSR-vector"): all WG threads stride over the row,
//    then the WG partial sums are folded by 16s. A row of any length is one workgroup.
// Reductions fold by 16 (two barriers) rather than halving (eight): barriers are cheap on
// GPUs but not free, and very dear on CPU implementations.
//
// `spmv_rows` (CPU adapters such as SwiftShader, where a barrier costs as much as the
// whole product): one thread per row, no workgroup memory.
//
// Workgroups past 65535 are folded into a 2-D grid. Control flow around barriers depends
// only on uniforms and on read-only storage read at uniform indices (the guard slot, the
// row blocks, indptr), so barriers stay in uniform control flow.

const WG: u32 = 256u;
const STREAM_NNZ: u32 = 1024u;

struct SpmvParams {
  nblocks: u32,  // spmv: number of row blocks; spmv_rows: number of rows
  guard: i32,    // arena index of the guard slot, or -1
  xoff: u32,     // first entry of x in its buffer
  yoff: u32,     // first entry of y in its buffer
}

@group(0) @binding(0) var<uniform> params: SpmvParams;
@group(0) @binding(1) var<storage, read> arena: array<f32>;
@group(0) @binding(2) var<storage, read> indptr: array<u32>;
@group(0) @binding(3) var<storage, read> indices: array<u32>;
@group(0) @binding(4) var<storage, read> values: array<f32>;
@group(0) @binding(5) var<storage, read> row_blocks: array<u32>;
// VECTORS BEGIN: the vectors are read and written only through these accessors. The host
// regenerates this block for each aliasing pattern (kernels.ts, vectorBlock): vectors that
// share a buffer must share one binding, as WebGPU forbids two writable bindings of a buffer.
@group(0) @binding(6) var<storage, read_write> v0: array<f32>;
@group(0) @binding(7) var<storage, read_write> v1: array<f32>;
fn x_get(i: u32) -> f32 { return v0[i]; }
fn x_set(i: u32, value: f32) { v0[i] = value; }
fn y_get(i: u32) -> f32 { return v1[i]; }
fn y_set(i: u32, value: f32) { v1[i] = value; }
// VECTORS END

var<workgroup> products: array<f32, STREAM_NNZ>;
var<workgroup> partial: array<f32, WG>;

fn guarded() -> bool {
  return params.guard >= 0 && arena[u32(params.guard)] != 0.0;
}

/** The sum of partial[first], partial[first + 1], ... (count values, count a multiple of 16 or at most 16). */
fn fold16(t: u32, first: u32, count: u32, live: bool) -> f32 {
  // count is uniform: the barriers below are taken by every thread or by none
  if (count > 16u) {
    if (live && (t - first) % 16u == 0u) {
      var acc = 0.0;
      for (var j = 0u; j < 16u; j++) { acc += partial[t + j]; }
      partial[t] = acc;
    }
    workgroupBarrier();
  }
  var total = 0.0;
  if (live && t == first) {
    let step = select(1u, 16u, count > 16u);
    for (var j = 0u; j < count; j += step) { total += partial[first + j]; }
  }
  return total;
}

@compute @workgroup_size(WG)
fn spmv(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) t: u32) {
  let b = wid.y * nwg.x + wid.x;
  if (b >= params.nblocks || guarded()) { return; }
  let rs = row_blocks[b];
  let re = row_blocks[b + 1u];
  let nrows = re - rs;
  let base = indptr[rs];
  let end = indptr[re];

  if (nrows == 1u) {
    // CSR-vector: the whole workgroup on one row.
    var sum = 0.0;
    for (var k = base + t; k < end; k += WG) { sum += values[k] * x_get(params.xoff + indices[k]); }
    partial[t] = sum;
    workgroupBarrier();
    let total = fold16(t, 0u, WG, true);
    if (t == 0u) { y_set(params.yoff + rs, total); }
    return;
  }

  // CSR-stream: products into workgroup memory, then TPR threads per row.
  for (var k = base + t; k < end; k += WG) { products[k - base] = values[k] * x_get(params.xoff + indices[k]); }
  workgroupBarrier();
  var tpr = 1u;
  while (tpr * 2u * nrows <= WG) { tpr *= 2u; }
  let r = t / tpr;
  let lane = t % tpr;
  var sum = 0.0;
  if (r < nrows) {
    let a = indptr[rs + r] - base;
    let e = indptr[rs + r + 1u] - base;
    for (var k = a + lane; k < e; k += tpr) { sum += products[k]; }
  }
  if (tpr == 1u) {
    if (r < nrows) { y_set(params.yoff + rs + r, sum); }
    return;
  }
  partial[t] = sum;
  workgroupBarrier();
  let total = fold16(t, t - lane, tpr, r < nrows);
  if (lane == 0u && r < nrows) { y_set(params.yoff + rs + r, total); }
}

@compute @workgroup_size(WG)
fn spmv_rows(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
             @builtin(local_invocation_index) t: u32) {
  let row = (wid.y * nwg.x + wid.x) * WG + t;
  if (row >= params.nblocks || guarded()) { return; }
  var sum = 0.0;
  for (var k = indptr[row]; k < indptr[row + 1u]; k++) { sum += values[k] * x_get(params.xoff + indices[k]); }
  y_set(params.yoff + row, sum);
}
