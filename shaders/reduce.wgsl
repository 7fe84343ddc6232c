// Reductions into a scalar-arena slot, in two levels and two flavours. No float atomics,
// so results are deterministic.
//
// `*_partial` has each of `ngroups` workgroups grid-stride over the vector;
//  * GPUs: each workgroup folds its WG sums in workgroup memory (by 16s: two barriers)
//    into partials[group], and `*_final`, one workgroup, folds the ngroups partials;
//  * CPU adapters (`*_partial_flat`, `*_final_flat`): no workgroup memory or barriers,
//    which cost as much as the reduction there: every thread writes its own partial,
//    and one thread of `*_final_flat` adds up the ngroups * WG partials.
// `*_final*` writes arena[out].
//
// nrm2 is overflow- and underflow-safe in f32, as LAPACK's: each thread keeps a pair
// (scale, ssq) with ||x|| = scale * sqrt(ssq), updated per entry with one division, and
// pairs are merged by rescaling to the larger scale. sqrt(dot(x, x)) would overflow f32
// for entries above about 1.8e19 and lose everything below about 1e-19. A NaN entry makes
// the norm NaN (unless the WGSL compiler assumes NaN-free math).

const WG: u32 = 256u;

struct ReduceParams {
  n: u32,
  guard: i32,     // arena index of the guard slot, or -1
  xoff: u32,
  yoff: u32,
  out: u32,       // arena index of the result
  ngroups: u32,   // workgroups of the partial pass
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: ReduceParams;
@group(0) @binding(1) var<storage, read_write> arena: array<f32>;    // *_final*: writes the result
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;
@group(0) @binding(3) var<storage, read> arena_in: array<f32>;       // *_partial*: reads the guard
// VECTORS BEGIN: the vectors are read and written only through these accessors. The host
// regenerates this block for each aliasing pattern (kernels.ts, vectorBlock): vectors that
// share a buffer must share one binding, as WebGPU forbids two writable bindings of a buffer.
@group(0) @binding(4) var<storage, read_write> v0: array<f32>;
@group(0) @binding(5) var<storage, read_write> v1: array<f32>;
fn x_get(i: u32) -> f32 { return v0[i]; }
fn x_set(i: u32, value: f32) { v0[i] = value; }
fn y_get(i: u32) -> f32 { return v1[i]; }
fn y_set(i: u32, value: f32) { v1[i] = value; }
// VECTORS END

var<workgroup> red: array<f32, WG>;
var<workgroup> red2: array<vec2f, WG>;
var<workgroup> skip: u32;

/** The guard, read-only and so uniform: a partial kernel may return before its barriers. */
fn guarded_in() -> bool {
  return params.guard >= 0 && arena_in[u32(params.guard)] != 0.0;
}

/** The guard from the read_write arena, made uniform through workgroup memory. */
fn guarded(t: u32) -> bool {
  if (t == 0u) { skip = select(0u, 1u, params.guard >= 0 && arena[u32(params.guard)] != 0.0); }
  return workgroupUniformLoad(&skip) != 0u;
}

/** The workgroup's sum of v (in thread 0), folding by 16s. */
fn fold_sum(t: u32, v: f32) -> f32 {
  red[t] = v;
  workgroupBarrier();
  if (t % 16u == 0u) {
    var acc = 0.0;
    for (var j = 0u; j < 16u; j++) { acc += red[t + j]; }
    red[t] = acc;
  }
  workgroupBarrier();
  var total = 0.0;
  if (t == 0u) { for (var j = 0u; j < WG; j += 16u) { total += red[j]; } }
  return total;
}

/** (scale, ssq) pairs: p and q merged, rescaled to the larger scale. */
fn merge(p: vec2f, q: vec2f) -> vec2f {
  let s = max(p.x, q.x);
  if (s == 0.0) { return vec2f(0.0, 0.0); }
  if (s > 3.4028234e38) { return vec2f(s, 1.0); }  // an infinite entry
  let a = p.x / s;
  let b = q.x / s;
  return vec2f(s, p.y * a * a + q.y * b * b);
}

/** The workgroup's merge of the pairs v (in thread 0), folding by 16s. */
fn fold_merge(t: u32, v: vec2f) -> vec2f {
  red2[t] = v;
  workgroupBarrier();
  if (t % 16u == 0u) {
    var acc = vec2f(0.0, 0.0);
    for (var j = 0u; j < 16u; j++) { acc = merge(acc, red2[t + j]); }
    red2[t] = acc;
  }
  workgroupBarrier();
  var total = vec2f(0.0, 0.0);
  if (t == 0u) { for (var j = 0u; j < WG; j += 16u) { total = merge(total, red2[j]); } }
  return total;
}

/** This thread's share of x · y. */
fn dot_share(first: u32, stride: u32) -> f32 {
  var sum = 0.0;
  for (var i = first; i < params.n; i += stride) { sum += x_get(params.xoff + i) * y_get(params.yoff + i); }
  return sum;
}

/** This thread's (scale, ssq) of x. */
fn nrm2_share(first: u32, stride: u32) -> vec2f {
  var scale = 0.0;
  var ssq = 0.0;
  for (var i = first; i < params.n; i += stride) {
    let a = abs(x_get(params.xoff + i));
    if (a > scale) {
      let r = scale / a;
      ssq = 1.0 + ssq * r * r;
      scale = a;
    } else if (!(a == 0.0)) {  // also taken by a NaN, which then spreads
      let r = a / scale;
      ssq += r * r;
    }
  }
  return vec2f(scale, ssq);
}

// ---- GPUs: workgroup folds ----

@compute @workgroup_size(WG)
fn dot_partial(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) t: u32) {
  if (guarded_in()) { return; }
  let total = fold_sum(t, dot_share(wid.x * WG + t, params.ngroups * WG));
  if (t == 0u) { partials[wid.x] = total; }
}

@compute @workgroup_size(WG)
fn dot_final(@builtin(local_invocation_index) t: u32) {
  if (guarded(t)) { return; }
  var sum = 0.0;
  for (var i = t; i < params.ngroups; i += WG) { sum += partials[i]; }
  let total = fold_sum(t, sum);
  if (t == 0u) { arena[params.out] = total; }
}

@compute @workgroup_size(WG)
fn nrm2_partial(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) t: u32) {
  if (guarded_in()) { return; }
  let total = fold_merge(t, nrm2_share(wid.x * WG + t, params.ngroups * WG));
  if (t == 0u) {
    partials[2u * wid.x] = total.x;
    partials[2u * wid.x + 1u] = total.y;
  }
}

@compute @workgroup_size(WG)
fn nrm2_final(@builtin(local_invocation_index) t: u32) {
  if (guarded(t)) { return; }
  var acc = vec2f(0.0, 0.0);
  for (var i = t; i < params.ngroups; i += WG) { acc = merge(acc, vec2f(partials[2u * i], partials[2u * i + 1u])); }
  let total = fold_merge(t, acc);
  if (t == 0u) { arena[params.out] = total.x * sqrt(total.y); }
}

// ---- CPU adapters: no barriers ----

@compute @workgroup_size(WG)
fn dot_partial_flat(@builtin(global_invocation_id) gid: vec3u) {
  if (guarded_in()) { return; }
  partials[gid.x] = dot_share(gid.x, params.ngroups * WG);
}

@compute @workgroup_size(1)
fn dot_final_flat() {
  if (params.guard >= 0 && arena[u32(params.guard)] != 0.0) { return; }
  var sum = 0.0;
  for (var i = 0u; i < params.ngroups * WG; i++) { sum += partials[i]; }
  arena[params.out] = sum;
}

@compute @workgroup_size(WG)
fn nrm2_partial_flat(@builtin(global_invocation_id) gid: vec3u) {
  if (guarded_in()) { return; }
  let p = nrm2_share(gid.x, params.ngroups * WG);
  partials[2u * gid.x] = p.x;
  partials[2u * gid.x + 1u] = p.y;
}

@compute @workgroup_size(1)
fn nrm2_final_flat() {
  if (params.guard >= 0 && arena[u32(params.guard)] != 0.0) { return; }
  var acc = vec2f(0.0, 0.0);
  for (var i = 0u; i < params.ngroups * WG; i++) { acc = merge(acc, vec2f(partials[2u * i], partials[2u * i + 1u])); }
  arena[params.out] = acc.x * sqrt(acc.y);
}
