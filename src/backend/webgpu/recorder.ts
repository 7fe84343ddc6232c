/// <reference types="@webgpu/types" />
/**
 * Command recording for the WebGPU backend: one open command encoder (and one open
 * compute pass, ended only for copies and clears), pipelines and bind-group layouts
 * cached by the kernel spec's key, bind groups cached by (pipeline, uniform chunk,
 * buffers), per-dispatch uniforms in a {@link UniformRing}, and WebGPU error scopes
 * around everything between two submits so that `check()` can turn a validation or
 * out-of-memory error into a thrown BackendError.
 *
 * Host writes (queue.writeBuffer) take effect in queue order, ahead of commands still in
 * the open encoder; `write` therefore submits the encoder first, so host writes and
 * kernels happen in program order.
 */
import { BackendError } from '../../errors.js';
import { UNIFORM_SLOT, UniformRing } from './buffers.js';
import type { BindingKind, KernelSpec } from './kernels.js';

/** A GPUBuffer with a stable id for bind-group cache keys. */
export interface BufferRef {
  readonly buffer: GPUBuffer;
  readonly id: number;
}

interface Pipeline {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  source: string;
}

const BIND_GROUP_CACHE_LIMIT = 4096;

export class Recorder {
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly layouts = new Map<string, GPUBindGroupLayout>();
  private readonly pipelines = new Map<string, Pipeline>();
  private bindGroups = new Map<string, GPUBindGroup>();
  private readonly ring: UniformRing;
  private toDestroy: GPUBuffer[] = [];
  private scopeOpen = false;
  private scopes: Promise<GPUError | null>[] = [];
  /** Counters for tests and benchmarks. */
  readonly counts = { dispatches: 0, submits: 0, pipelines: 0 };

  constructor(readonly device: GPUDevice) {
    this.ring = new UniformRing(device);
  }

  /** Buffers the recorder itself holds (the uniform ring). */
  get buffers(): number {
    return this.ring.buffers;
  }

  private openScope(): void {
    if (this.scopeOpen) return;
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
    this.scopeOpen = true;
  }

  private closeScope(): void {
    if (!this.scopeOpen) return;
    this.scopeOpen = false;
    const swallow = () => null;
    this.scopes.push(this.device.popErrorScope().catch(swallow), this.device.popErrorScope().catch(swallow));
  }

  private open(): GPUCommandEncoder {
    this.openScope();
    return (this.encoder ??= this.device.createCommandEncoder({ label: 'trustgpu' }));
  }

  private computePass(): GPUComputePassEncoder {
    return (this.pass ??= this.open().beginComputePass());
  }

  private endPass(): GPUCommandEncoder {
    this.pass?.end();
    this.pass = null;
    return this.open();
  }

  private layout(bindings: KernelSpec['bindings']): GPUBindGroupLayout {
    const key = bindings.map(([b, k]) => `${b}${k}`).join(',');
    let l = this.layouts.get(key);
    if (!l) {
      const type: Record<BindingKind, GPUBufferBindingType> = { uniform: 'uniform', read: 'read-only-storage', rw: 'storage' };
      l = this.device.createBindGroupLayout({
        entries: bindings.map(([binding, kind]) => ({
          binding,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: type[kind], hasDynamicOffset: kind === 'uniform' },
        })),
      });
      this.layouts.set(key, l);
    }
    return l;
  }

  private pipeline(spec: KernelSpec): Pipeline {
    const cached = this.pipelines.get(spec.key);
    if (cached) {
      if (cached.source !== spec.source) throw new BackendError(`two kernels share the pipeline key ${spec.key} with different WGSL`);
      return cached;
    }
    let module = this.modules.get(spec.source);
    if (!module) {
      module = this.device.createShaderModule({ code: spec.source, label: spec.key });
      this.modules.set(spec.source, module);
    }
    const layout = this.layout(spec.bindings);
    const pipeline = this.device.createComputePipeline({
      label: spec.key,
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: spec.entry },
    });
    const p = { pipeline, layout, source: spec.source };
    this.pipelines.set(spec.key, p);
    this.counts.pipelines++;
    return p;
  }

  /**
   * Encodes one dispatch of `spec` with `buffers` bound to its storage bindings in order
   * (the uniform binding gets a ring slot, filled by `pack`).
   */
  dispatch(spec: KernelSpec, buffers: readonly BufferRef[], pack: (d: DataView) => void, groups: readonly [number, number]): void {
    this.openScope();
    const p = this.pipeline(spec);
    const pass = this.computePass();
    const u = this.ring.next();
    pack(u.data);
    let key = `${spec.key}|${u.chunk.id}`;
    for (const b of buffers) key += `|${b.id}`;
    let bg = this.bindGroups.get(key);
    if (!bg) {
      if (this.bindGroups.size >= BIND_GROUP_CACHE_LIMIT) this.bindGroups = new Map();
      let next = 0;
      bg = this.device.createBindGroup({
        layout: p.layout,
        entries: spec.bindings.map(([binding, kind]) => ({
          binding,
          resource: kind === 'uniform' ? { buffer: u.chunk.buffer, offset: 0, size: UNIFORM_SLOT } : { buffer: buffers[next++].buffer },
        })),
      });
      this.bindGroups.set(key, bg);
    }
    pass.setPipeline(p.pipeline);
    pass.setBindGroup(0, bg, [u.offset]);
    pass.dispatchWorkgroups(groups[0], groups[1]);
    this.counts.dispatches++;
  }

  /** Encodes a buffer-to-buffer copy (byte offsets and size multiples of 4). */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    if (bytes > 0) this.endPass().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /** Encodes zeroing a buffer range. */
  clear(buffer: GPUBuffer, offset = 0, bytes?: number): void {
    this.endPass().clearBuffer(buffer, offset, bytes);
  }

  /** A host write, in program order with the kernels encoded so far. */
  write(buffer: GPUBuffer, offset: number, data: Float32Array | Uint32Array): void {
    if (data.byteLength === 0) return;
    this.submit();
    this.openScope();
    this.device.queue.writeBuffer(buffer, offset, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Destroys `buffer` once the work recorded so far is submitted. */
  destroyLater(buffer: GPUBuffer): void {
    this.toDestroy.push(buffer);
    this.bindGroups = new Map();
  }

  /** Submits the open encoder (with its uniforms), if any. */
  submit(): void {
    if (this.encoder) {
      this.pass?.end();
      this.pass = null;
      this.ring.upload(this.device.queue);
      this.device.queue.submit([this.encoder.finish()]);
      this.encoder = null;
      this.counts.submits++;
    }
    for (const b of this.toDestroy) b.destroy();
    this.toDestroy = [];
    this.closeScope();
  }

  /** Submits, then throws a BackendError for the first WebGPU error since the last check. */
  async check(): Promise<void> {
    this.submit();
    const scopes = this.scopes;
    this.scopes = [];
    const errors = await Promise.all(scopes);
    const e = errors.find((x) => x !== null);
    if (e) throw new BackendError(`WebGPU ${e.constructor?.name ?? 'error'}: ${e.message}`);
  }

  /** Forgets every cached object and destroys the ring (the device stays). */
  destroy(): void {
    this.pass = null;
    this.encoder = null;
    if (this.scopeOpen) this.closeScope();
    for (const b of this.toDestroy) b.destroy();
    this.toDestroy = [];
    this.ring.destroy();
    this.bindGroups.clear();
    this.pipelines.clear();
    this.layouts.clear();
    this.modules.clear();
  }
}
