/// <reference types="@webgpu/types" />
/**
 * GPU memory bookkeeping for the WebGPU backend: a pool of storage buffers keyed by size
 * class with a live-buffer count, and the uniform ring that per-dispatch parameters are
 * written into before each submit.
 */

/** Bytes of the size class holding `bytes`: four classes per power of two (at most 25% slack), at least 256. */
export function sizeClass(bytes: number): number {
  if (bytes <= 256) return 256;
  const top = 2 ** Math.floor(Math.log2(bytes - 1));
  const step = Math.max(256, top / 4);
  return Math.ceil(bytes / step) * step;
}

/** A pooled GPUBuffer with an id for bind-group cache keys. */
export interface PooledBuffer {
  readonly buffer: GPUBuffer;
  readonly id: number;
  readonly bytes: number;
  readonly usage: number;
}

let nextId = 1;

/** A new id for a buffer created outside the pool (bind-group cache keys). */
export function bufferId(): number {
  return nextId++;
}

/**
 * Buffers by (usage, size class). `acquire` hands out a free one or creates one; `release`
 * puts it back for reuse. `live` counts buffers handed out and not released; `allocated`
 * counts every buffer the pool has created and not destroyed.
 */
export class BufferPool {
  private free = new Map<string, PooledBuffer[]>();
  private all = new Set<PooledBuffer>();
  private inUse = new Set<PooledBuffer>();

  constructor(private readonly device: GPUDevice, private readonly label: string) {}

  /** A buffer of at least `bytes` bytes; `fresh` is false when it may hold old contents. */
  acquire(bytes: number, usage: number): { buf: PooledBuffer; fresh: boolean } {
    const size = sizeClass(bytes);
    const key = `${usage}:${size}`;
    const reuse = this.free.get(key)?.pop();
    if (reuse) {
      this.inUse.add(reuse);
      return { buf: reuse, fresh: false };
    }
    const buffer = this.device.createBuffer({ size, usage, label: `${this.label} ${size}` });
    const buf: PooledBuffer = { buffer, id: nextId++, bytes: size, usage };
    this.all.add(buf);
    this.inUse.add(buf);
    return { buf, fresh: true };
  }

  release(buf: PooledBuffer): void {
    if (!this.inUse.delete(buf)) return;
    const key = `${buf.usage}:${buf.bytes}`;
    const list = this.free.get(key);
    if (list) list.push(buf);
    else this.free.set(key, [buf]);
  }

  /** Destroys a buffer instead of returning it (e.g. one left in an unknown map state). */
  discard(buf: PooledBuffer): void {
    this.inUse.delete(buf);
    if (this.all.delete(buf)) buf.buffer.destroy();
  }

  /** Destroys the free buffers (keeps those in use). */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) {
      b.buffer.destroy();
      this.all.delete(b);
    }
    this.free.clear();
  }

  /** Destroys every buffer, in use or not. */
  destroyAll(): void {
    for (const b of this.all) b.buffer.destroy();
    this.all.clear();
    this.inUse.clear();
    this.free.clear();
  }

  get live(): number {
    return this.inUse.size;
  }

  get allocated(): number {
    return this.all.size;
  }
}

/** Bytes of one uniform slot: WebGPU's minUniformBufferOffsetAlignment upper bound. */
export const UNIFORM_SLOT = 256;
/** Slots per ring chunk. */
const CHUNK_SLOTS = 256;

/**
 * Per-dispatch uniforms: dispatch i of a submit uses slot i of the ring (256-byte aligned,
 * bound with a dynamic offset, so a bind group serves every dispatch of its chunk). Data
 * is staged on the host and written with queue.writeBuffer just before the submit; the
 * queue orders that write after earlier submits, so chunks are reused from slot 0 each time.
 */
export class UniformRing {
  private chunks: { buffer: GPUBuffer; id: number }[] = [];
  private staging: ArrayBuffer[] = [];
  private used = 0;

  constructor(private readonly device: GPUDevice) {}

  /** Reserves the next slot and returns where it lives and a view to fill. */
  next(): { chunk: { buffer: GPUBuffer; id: number }; offset: number; data: DataView } {
    const slotIndex = this.used++;
    const c = Math.floor(slotIndex / CHUNK_SLOTS);
    if (c === this.chunks.length) {
      const buffer = this.device.createBuffer({
        size: CHUNK_SLOTS * UNIFORM_SLOT,
        usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
        label: `uniform ring ${c}`,
      });
      this.chunks.push({ buffer, id: bufferId() });
      this.staging.push(new ArrayBuffer(CHUNK_SLOTS * UNIFORM_SLOT));
    }
    const offset = (slotIndex % CHUNK_SLOTS) * UNIFORM_SLOT;
    new Uint8Array(this.staging[c], offset, UNIFORM_SLOT).fill(0);
    const data = new DataView(this.staging[c], offset, UNIFORM_SLOT);
    return { chunk: this.chunks[c], offset, data };
  }

  /** Writes the slots used since the last upload to the GPU and starts over at slot 0. */
  upload(queue: GPUQueue): void {
    for (let c = 0; c * CHUNK_SLOTS < this.used; c++) {
      const bytes = Math.min(this.used - c * CHUNK_SLOTS, CHUNK_SLOTS) * UNIFORM_SLOT;
      queue.writeBuffer(this.chunks[c].buffer, 0, this.staging[c], 0, bytes);
    }
    this.used = 0;
  }

  get pending(): number {
    return this.used;
  }

  get buffers(): number {
    return this.chunks.length;
  }

  destroy(): void {
    for (const c of this.chunks) c.buffer.destroy();
    this.chunks = [];
    this.staging = [];
    this.used = 0;
  }
}
