import { CpuBackend } from '../../src/backend/cpu.js';
import type { Backend } from '../../src/backend/backend.js';

/** The CPU backend with a different syncInterval, recording guard changes, read-backs and handle lifetimes. */
export function instrumented(syncInterval: number) {
  const cpu = new CpuBackend();
  const stats = { readScalars: 0, guards: [] as (object | null)[], live: new Set<object>() };
  const backend = new Proxy(cpu, {
    get(target, prop) {
      if (prop === 'syncInterval') return syncInterval;
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (prop === 'readScalars') stats.readScalars++;
        if (prop === 'setGuard') stats.guards.push(args[0] as object | null);
        if (prop === 'release') for (const h of args) stats.live.delete(h as object);
        const out = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (prop === 'vector' || prop === 'scalars') stats.live.add(out as object);
        return out;
      };
    },
  }) as Backend;
  return { backend, stats };
}
