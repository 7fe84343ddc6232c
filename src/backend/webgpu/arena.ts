/**
 * The scalar arena: one f32 storage buffer holding the slots of every ScalarBlock, so a
 * kernel reads a coefficient, the guard or a whole recurrence state through one binding.
 * Blocks are slot ranges handed out first-fit; when none fits, the arena grows (at least
 * doubling) into a new buffer and the caller copies the old contents over, in queue order.
 * Slot positions never move, so uniforms that name a slot stay valid across growth.
 */

/** A range of arena slots. */
export interface SlotRange {
  base: number;
  size: number;
}

export class SlotAllocator {
  /** Free ranges, sorted by base, coalesced. */
  private free: SlotRange[];
  private used = 0;

  constructor(private cap = 256) {
    this.free = cap > 0 ? [{ base: 0, size: cap }] : [];
  }

  get capacity(): number {
    return this.cap;
  }

  /** Slots handed out and not freed. */
  get inUse(): number {
    return this.used;
  }

  /**
   * A range of `size` slots; `grownTo` is the new capacity when the arena must grow
   * (the caller reallocates before using the range), else null.
   */
  allocate(size: number): { range: SlotRange; grownTo: number | null } {
    const n = Math.max(1, size);
    for (let i = 0; i < this.free.length; i++) {
      const f = this.free[i];
      if (f.size >= n) {
        const range = { base: f.base, size: n };
        f.base += n;
        f.size -= n;
        if (f.size === 0) this.free.splice(i, 1);
        this.used += n;
        return { range, grownTo: null };
      }
    }
    // Grow: extend a free range at the end, or append.
    const last = this.free[this.free.length - 1];
    const tail = last && last.base + last.size === this.cap ? last : null;
    const base = tail ? tail.base : this.cap;
    const need = base + n;
    const cap = Math.max(need, this.cap * 2, 256);
    if (tail) this.free.pop();
    if (need < cap) this.free.push({ base: need, size: cap - need });
    this.cap = cap;
    this.used += n;
    return { range: { base, size: n }, grownTo: cap };
  }

  release(range: SlotRange): void {
    this.used -= range.size;
    let i = 0;
    while (i < this.free.length && this.free[i].base < range.base) i++;
    this.free.splice(i, 0, { base: range.base, size: range.size });
    // coalesce with the neighbours
    if (i + 1 < this.free.length && this.free[i].base + this.free[i].size === this.free[i + 1].base) {
      this.free[i].size += this.free[i + 1].size;
      this.free.splice(i + 1, 1);
    }
    if (i > 0 && this.free[i - 1].base + this.free[i - 1].size === this.free[i].base) {
      this.free[i - 1].size += this.free[i].size;
      this.free.splice(i, 1);
    }
  }
}
