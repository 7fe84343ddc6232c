/** Number formatting in Python's style, so verbose output reads like scipy's. */

/** Python's '{:.Ne}': 1.2346e+04 (two-digit exponent at least). */
export function fmtE(x: number, digits: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  const s = x.toExponential(digits);
  const [mant, exp] = s.split('e');
  const sign = exp[0] === '-' ? '-' : '+';
  const digitsExp = exp.replace(/^[+-]/, '').padStart(2, '0');
  return `${mant}e${sign}${digitsExp}`;
}

/** Centers `s` in a field of `width` (Python's '^'; extra space goes right). */
export function center(s: string, width: number): string {
  if (s.length >= width) return s;
  const left = Math.floor((width - s.length) / 2);
  return ' '.repeat(left) + s + ' '.repeat(width - s.length - left);
}
