/**
 * Small argument checks shared by every public entry point. Each throws an
 * {@link InvalidArgumentError} naming the argument and what was expected.
 */
import { InvalidArgumentError } from './errors.js';

/** Accepts a Float64Array or a plain array of numbers; returns a fresh Float64Array. */
export function toFloat64Array(name: string, value: unknown, length?: number): Float64Array {
  let out: Float64Array;
  if (value instanceof Float64Array) out = new Float64Array(value);
  else if (ArrayBuffer.isView(value) && !(value instanceof DataView)) out = Float64Array.from(value as unknown as ArrayLike<number>);
  else if (Array.isArray(value)) {
    out = new Float64Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      if (typeof v !== 'number') throw new InvalidArgumentError(name, 'an array of numbers', `element ${i} is ${typeof v}`);
      out[i] = v;
    }
  } else {
    throw new InvalidArgumentError(name, 'a Float64Array or an array of numbers', `got ${describe(value)}`);
  }
  if (length !== undefined && out.length !== length) {
    throw new InvalidArgumentError(name, `length ${length}`, `got length ${out.length}`);
  }
  return out;
}

/** Throws unless every entry is finite. */
export function requireFinite(name: string, v: ArrayLike<number>): void {
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) throw new InvalidArgumentError(name, 'finite values', `element ${i} is ${v[i]}`);
  }
}

/** Throws unless `v` is an integer >= min. */
export function requireInteger(name: string, v: unknown, min = 0): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new InvalidArgumentError(name, `an integer >= ${min}`, `got ${describe(v)}`);
  }
  return v;
}

/** Throws unless `v` is a finite number >= min (or > min when `strict`). */
export function requireNumber(name: string, v: unknown, min = -Infinity, strict = false): number {
  if (typeof v !== 'number' || Number.isNaN(v) || (strict ? v <= min : v < min) || (!Number.isFinite(v) && v !== Infinity)) {
    throw new InvalidArgumentError(name, `a number ${strict ? '>' : '>='} ${min}`, `got ${describe(v)}`);
  }
  return v;
}

/** Throws when `options` has keys outside `known`; the message lists the valid ones. */
export function rejectUnknownOptions(where: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new InvalidArgumentError(`${where}.${key}`, `one of the options ${known.join(', ')}`, 'unknown option');
    }
  }
}

/** Throws unless `v` is one of `allowed`. */
export function requireOneOf<T extends string>(name: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new InvalidArgumentError(name, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, `got ${describe(v)}`);
  }
  return v as T;
}

/** A short description of a value for error messages. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'object') return `an object (${(v as object).constructor?.name ?? 'Object'})`;
  return typeof v;
}
