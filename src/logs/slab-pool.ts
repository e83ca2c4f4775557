// Memory for formatted log lines: slabs that captures cut their output from, reused once every
// byte cut from them has been written (or dropped). A flood then allocates nothing: without
// reuse, each MB of output was a new ArrayBuffer (page faults, and full garbage collections
// driven by external memory).

/** Bytes of one slab. */
export const SLAB_BYTES = 1024 * 1024;
/** Free slabs kept for reuse; beyond these, a free slab is left to the garbage collector. */
const KEEP_FREE = 4;

/** A slab and the bytes cut from it that are not written yet. */
export interface Slab {
  readonly buf: Buffer;
  /** Bytes cut and not yet released. */
  pending: number;
  /** Its capture has moved on to another slab: free once `pending` is 0. */
  isRetired: boolean;
}

/** Slabs handed out by `take`, found again by the memory of a region cut from them. */
export class SlabPool {
  readonly #free: Buffer[] = [];
  readonly #owners = new WeakMap<ArrayBufferLike, Slab>();
  readonly #slabBytes: number;

  constructor(slabBytes = SLAB_BYTES) {
    this.#slabBytes = slabBytes;
  }

  /** A slab of at least `size` bytes (a reused one when it fits), owned by one capture. */
  take(size: number): Slab {
    const reused = size <= this.#slabBytes ? this.#free.pop() : undefined;
    const buf = reused ?? Buffer.allocUnsafeSlow(Math.max(this.#slabBytes, size));
    const slab: Slab = { buf, pending: 0, isRetired: false };
    this.#owners.set(buf.buffer, slab);
    return slab;
  }

  /** The capture is done with `slab`: it is reused once every byte cut from it is released. */
  retire(slab: Slab): void {
    slab.isRetired = true;
    this.#freeIfDone(slab);
  }

  /**
   * `bytes` of `region` (cut from a slab of this pool) were written or dropped. Memory from
   * elsewhere (marker lines, tests) is ignored.
   */
  release(region: Buffer, bytes = region.length): void {
    const slab = this.#owners.get(region.buffer);
    if (slab === undefined) return;
    slab.pending -= bytes;
    this.#freeIfDone(slab);
  }

  /** Free slabs kept (for tests). */
  get freeCount(): number {
    return this.#free.length;
  }

  #freeIfDone(slab: Slab): void {
    if (!slab.isRetired || slab.pending > 0) return;
    this.#owners.delete(slab.buf.buffer);
    if (this.#free.length < KEEP_FREE && slab.buf.length === this.#slabBytes)
      this.#free.push(slab.buf);
  }
}

/** The daemon's pool: every capture cuts from it, every log file releases into it. */
export const slabs = new SlabPool();
