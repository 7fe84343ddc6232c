// Elementwise vector operations: axpby, mul, fill, copy. One thread per entry; entries
// past 65535 * WG are folded into a 2-D grid of workgroups.
//
// Vectors are {buffer, offset, length}: each entry point reads its element offsets from
// the uniforms, so one pipeline serves every size and every subvector view. Coefficients
// are decoded on the device (a number, or an arena slot optionally inverted, 1/0 = 0, and
// scaled), so a Krylov loop's alpha and beta never leave the GPU. Every entry point
// returns at once while the guard slot is non-zero. Vectors sharing a buffer (y = a y + b y,
// z = x * z, two views of one vector) share a binding: see the VECTORS block.

const WG: u32 = 256u;

struct Coef {
  value: f32,    // the coefficient when slot < 0
  slot: i32,     // arena index, or -1
  invert: u32,   // 1: use 1/arena[slot] (0 when the slot holds 0)
  scale: f32,    // multiplies the (inverted) slot value
}

struct VecParams {
  n: u32,
  guard: i32,    // arena index of the guard slot, or -1
  xoff: u32,
  yoff: u32,
  zoff: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
  a: Coef,       // axpby's a; fill's value (a.value)
  b: Coef,       // axpby's and mul's b
}

@group(0) @binding(0) var<uniform> params: VecParams;
@group(0) @binding(1) var<storage, read> arena: array<f32>;
// VECTORS BEGIN: the vectors are read and written only through these accessors. The host
// regenerates this block for each aliasing pattern (kernels.ts, vectorBlock): vectors that
// share a buffer must share one binding, as WebGPU forbids two writable bindings of a buffer.
@group(0) @binding(2) var<storage, read_write> v0: array<f32>;
@group(0) @binding(3) var<storage, read_write> v1: array<f32>;
@group(0) @binding(4) var<storage, read_write> v2: array<f32>;
fn x_get(i: u32) -> f32 { return v0[i]; }
fn x_set(i: u32, value: f32) { v0[i] = value; }
fn y_get(i: u32) -> f32 { return v1[i]; }
fn y_set(i: u32, value: f32) { v1[i] = value; }
fn z_get(i: u32) -> f32 { return v2[i]; }
fn z_set(i: u32, value: f32) { v2[i] = value; }
// VECTORS END

fn coef(c: Coef) -> f32 {
  if (c.slot < 0) { return c.value; }
  let v = arena[u32(c.slot)];
  var base = v;
  if (c.invert != 0u) { base = select(1.0 / v, 0.0, v == 0.0); }
  return base * c.scale;
}

/** The entry this thread handles, or n when it has none (past the end, or guarded). */
fn entry(wid: vec3u, nwg: vec3u, lid: u32) -> u32 {
  let i = (wid.y * nwg.x + wid.x) * WG + lid;
  if (i >= params.n) { return params.n; }
  if (params.guard >= 0 && arena[u32(params.guard)] != 0.0) { return params.n; }
  return i;
}

/** y = a x + b y  (y = a x when b = 0, so that NaNs in y do not survive) */
@compute @workgroup_size(WG)
fn axpby(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = entry(wid, nwg, lid);
  if (i >= params.n) { return; }
  let a = coef(params.a);
  let b = coef(params.b);
  let ax = a * x_get(params.xoff + i);
  let j = params.yoff + i;
  y_set(j, select(ax + b * y_get(j), ax, b == 0.0));
}

/** z = x * y + b z  (z = x * y when b = 0) */
@compute @workgroup_size(WG)
fn mul(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = entry(wid, nwg, lid);
  if (i >= params.n) { return; }
  let b = coef(params.b);
  let xy = x_get(params.xoff + i) * y_get(params.yoff + i);
  let k = params.zoff + i;
  z_set(k, select(xy + b * z_get(k), xy, b == 0.0));
}

/** y = a.value */
@compute @workgroup_size(WG)
fn fill(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = entry(wid, nwg, lid);
  if (i >= params.n) { return; }
  y_set(params.yoff + i, params.a.value);
}

/** y = x  (the host routes overlapping ranges of one buffer through a scratch vector) */
@compute @workgroup_size(WG)
fn copy(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = entry(wid, nwg, lid);
  if (i >= params.n) { return; }
  y_set(params.yoff + i, x_get(params.xoff + i));
}
