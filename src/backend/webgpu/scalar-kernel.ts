/**
 * How a {@link ScalarKernel}'s WGSL twin runs on the GPU: one thread copies the block's
 * slots from the backend's scalar arena into a local `s: array<f32, SIZE>`, runs the body
 * (written against `s[i]` exactly as the TS `cpu` function is written against its
 * Float64Array), and writes the slots back. Under a guard the kernel returns at once when
 * the guard slot is non-zero, as every other kernel does.
 *
 * A body may use the helpers below (sgn, sym_ortho-style code is written out by each
 * kernel), plain f32 arithmetic, sqrt, abs, min, max, select and if/else.
 */

/** The uniform block of a scalar kernel dispatch. */
export const SCALAR_KERNEL_PARAMS = `struct ScalarParams {
  base: u32,     // first slot of the block in the arena
  guard: i32,    // arena index of the guard slot, or -1
  _pad0: u32,
  _pad1: u32,
}`;

/** The complete WGSL module for a kernel body over a block of `size` slots. */
export function scalarKernelModule(body: string, size: number): string {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`scalar kernel block size must be a positive integer, got ${size}`);
  return `${SCALAR_KERNEL_PARAMS}
@group(0) @binding(0) var<storage, read_write> arena: array<f32>;
@group(0) @binding(1) var<uniform> params: ScalarParams;

/** sign(x) with sign(0) = 0, as the TS twins' Math.sign. */
fn sgn(x: f32) -> f32 { return select(select(0.0, -1.0, x < 0.0), 1.0, x > 0.0); }

@compute @workgroup_size(1)
fn main() {
  if (params.guard >= 0 && arena[u32(params.guard)] != 0.0) { return; }
  var s: array<f32, ${size}>;
  for (var i = 0u; i < ${size}u; i++) { s[i] = arena[params.base + i]; }
  {
${body}
  }
  for (var i = 0u; i < ${size}u; i++) { arena[params.base + i] = s[i]; }
}
`;
}
