/*
 * The members of one data-parallel training step (the main thread and its worker threads) exchange float64
 * vectors through shared memory: each writes its vector into its own row of a slot, all meet at a barrier, and
 * each reads every row. Every member reduces the rows in rank order, so all of them get the same bits and the
 * model replicas stay identical. Two slots alternate: a member can only write slot k + 2 after the barrier of
 * exchange k + 1, which no member passes before it has read exchange k.
 */

/** What a member needs to join a group, sent to each worker thread. */
export interface SyncGroupInit {
  readonly control: SharedArrayBuffer;
  readonly data: SharedArrayBuffer;
  readonly size: number;
  /** The longest vector an exchange may carry. */
  readonly capacity: number;
}

// Int32 fields of the control buffer.
const COUNT = 0;
const GENERATION = 1;
const ABORTED = 2;

/** Bytes after the control fields that carry a failed member's reason (UTF-8), for the others' errors. */
const reasonOffset = 16;
const reasonBytes = 1024;

/** How long a member waits at a barrier before it decides the others are gone. */
const barrierTimeoutMs = 120_000;

/** Shared buffers for a group of `size` members exchanging vectors of at most `capacity` float64s. */
export function createSyncGroupInit(size: number, capacity: number): SyncGroupInit {
  return {
    control: new SharedArrayBuffer(reasonOffset + reasonBytes),
    data: new SharedArrayBuffer(2 * size * Math.max(1, capacity) * Float64Array.BYTES_PER_ELEMENT),
    size,
    capacity: Math.max(1, capacity),
  };
}

/** One member's side of the group. */
export class SyncGroup {
  readonly rank: number;
  readonly size: number;
  private readonly control: Int32Array;
  private readonly reason: Uint8Array;
  private readonly data: Float64Array;
  private readonly capacity: number;
  private exchanges = 0;

  constructor(init: SyncGroupInit, rank: number) {
    if (!(rank >= 0 && rank < init.size)) throw new Error(`internal: rank ${rank} of a group of ${init.size}`);
    this.rank = rank;
    this.size = init.size;
    this.capacity = init.capacity;
    this.control = new Int32Array(init.control, 0, reasonOffset / 4);
    this.reason = new Uint8Array(init.control, reasonOffset, reasonBytes);
    this.data = new Float64Array(init.data);
  }

  /** Every member's vector (all of the same length), in rank order. */
  allGather(values: Float64Array): Float64Array[] {
    const slot = this.publish(values);
    return Array.from({ length: this.size }, (_, r) => this.data.slice(slot + r * this.capacity, slot + r * this.capacity + values.length));
  }

  /**
   * The elementwise sum of every member's vector, added in rank order (the same bits on every member), read from
   * the shared rows in place (a model's gradients are megabytes: no copies of the rows).
   */
  allReduce(values: ArrayLike<number>): Float64Array {
    const slot = this.publish(values);
    const n = values.length;
    const out = new Float64Array(n);
    for (let r = 0; r < this.size; r++) {
      const row = this.data.subarray(slot + r * this.capacity, slot + r * this.capacity + n);
      for (let i = 0; i < n; i++) out[i]! += row[i]!;
    }
    return out;
  }

  /** Writes this member's vector into the next slot and waits for the others'; returns the slot's offset. */
  private publish(values: ArrayLike<number>): number {
    if (values.length > this.capacity) throw new Error(`internal: an exchange of ${values.length} values exceeds the group's ${this.capacity}`);
    const slot = (this.exchanges++ & 1) * this.size * this.capacity;
    this.data.set(values, slot + this.rank * this.capacity);
    this.barrier();
    return slot;
  }

  /** Makes every member's waits fail (a member died): the step throws, with `why`, instead of hanging. */
  abort(why = 'a member stopped'): void {
    if (Atomics.compareExchange(this.control, ABORTED, 0, 1) === 0) {
      const bytes = new TextEncoder().encode(why).subarray(0, reasonBytes - 1);
      this.reason.fill(0);
      this.reason.set(bytes);
    }
    Atomics.add(this.control, GENERATION, 1);
    Atomics.notify(this.control, GENERATION);
  }

  /** Waits until every member has arrived (Atomics.wait: allowed on Node's main thread as in workers). */
  private barrier(): void {
    const generation = Atomics.load(this.control, GENERATION);
    this.checkAborted();
    if (Atomics.add(this.control, COUNT, 1) === this.size - 1) {
      Atomics.store(this.control, COUNT, 0);
      Atomics.add(this.control, GENERATION, 1);
      Atomics.notify(this.control, GENERATION);
      return;
    }
    const deadline = Date.now() + barrierTimeoutMs;
    while (Atomics.load(this.control, GENERATION) === generation) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('a training thread stopped answering (no exchange for 120 s)');
      Atomics.wait(this.control, GENERATION, generation, left);
    }
    this.checkAborted();
  }

  private checkAborted(): void {
    if (Atomics.load(this.control, ABORTED) === 0) return;
    const end = this.reason.indexOf(0);
    // Decoded from a copy: TextDecoder does not read shared memory.
    throw new Error(new TextDecoder().decode(this.reason.slice(0, end < 0 ? reasonBytes : end)));
  }
}

let active: SyncGroup | null = null;

/** The group the current step belongs to, or null outside a data-parallel step (read by the batch-norm kernels). */
export function activeSyncGroup(): SyncGroup | null {
  return active;
}

/** Runs `f` with `group` active: netc's batch-norm kernels then share their statistics across the group. */
export function withSyncGroup<T>(group: SyncGroup, f: () => T): T {
  const previous = active;
  active = group;
  try {
    return f();
  } finally {
    active = previous;
  }
}
