import { randomBytes } from 'node:crypto';

/**
 * The four 32-bit words of an sfc32 generator. Plain numbers so that a checkpoint can store them as JSON and a
 * resumed run draws exactly the permutations the interrupted one would have drawn.
 */
export type RngState = readonly [number, number, number, number];

/**
 * A small seeded generator (Chris Doty-Humphrey's sfc32) for shuffling batches. Math.random cannot be seeded or
 * saved, and the shuffle must be both for `--seed` and for `--resume` to be exact.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(state: RngState) {
    this.a = state[0] >>> 0;
    this.b = state[1] >>> 0;
    this.c = state[2] >>> 0;
    this.d = state[3] >>> 0;
  }

  /** A generator whose state is derived from one integer seed (any number; its low 53 bits matter). */
  static fromSeed(seed: number): Rng {
    // splitmix32 spreads a small seed (0, 1, 2...) over all four words, so nearby seeds give unrelated streams.
    let x = Math.floor(Math.abs(seed)) >>> 0;
    const high = Math.floor(Math.abs(seed) / 2 ** 32) >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x ^ high;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    const rng = new Rng([next(), next(), next(), next()]);
    // The first outputs of sfc32 still correlate with the seed words; the reference implementation discards 12.
    for (let i = 0; i < 12; i++) rng.nextUint32();
    return rng;
  }

  /** A generator seeded from the operating system, for runs without `--seed`. */
  static fromEntropy(): Rng {
    const bytes = randomBytes(16);
    return new Rng([bytes.readUInt32LE(0), bytes.readUInt32LE(4), bytes.readUInt32LE(8), bytes.readUInt32LE(12)]);
  }

  /** The next 32-bit unsigned integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = (this.b ^ (this.b >>> 9)) >>> 0;
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** A uniform integer in [0, n), without the modulo bias (n at most 2^32). */
  nextBelow(n: number): number {
    if (n <= 1) return 0;
    // Rejection sampling: drop the top partial block of 2^32 so every residue is equally likely.
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const r = this.nextUint32();
      if (r < limit) return r % n;
    }
  }

  /** The current state, to store in a checkpoint. */
  state(): RngState {
    return [this.a, this.b, this.c, this.d];
  }
}

/** A uniformly random ordering of 0..n-1 (Fisher-Yates), drawn from `rng`. */
export function permutation(n: number, rng: Rng): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.nextBelow(i + 1);
    const tmp = order[i]!;
    order[i] = order[j]!;
    order[j] = tmp;
  }
  return order;
}

/** True when `value` has the shape of an `RngState` (four unsigned 32-bit integers), for validating checkpoints. */
export function isRngState(value: unknown): value is RngState {
  return (
    Array.isArray(value) &&
    value.length === 4 &&
    value.every((w) => typeof w === 'number' && Number.isInteger(w) && w >= 0 && w < 2 ** 32)
  );
}
