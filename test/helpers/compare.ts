/** Vector comparisons for the tests. */

/** The Euclidean norm. */
export function norm(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s);
}

/** ||x - y|| / ||y||. */
export function relErr(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const d = Float64Array.from(x, (v, i) => v - y[i]);
  return norm(d) / norm(y);
}
