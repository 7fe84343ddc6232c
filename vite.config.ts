/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import { resolve } from 'node:path';

// One config for the library build (library mode, ESM) and for vitest.
export default defineConfig({
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    minify: false,
    lib: {
      entry: {
        index: resolve(import.meta.dirname, 'src/index.ts'),
        cli: resolve(import.meta.dirname, 'src/cli/main.ts'),
      },
      formats: ['es'],
    },
    rollupOptions: {
      // Node built-ins stay imports; the browser build never reaches them (the CLI is Node only).
      external: [/^node:/, 'webgpu'],
    },
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
  },
});
