/**
 * Seeded randomness for the emulators. Everything an emulator serves is derived from a seed through
 * these functions, so the same seed gives the same traffic, order and samples on every machine.
 */

/** 32-bit FNV-1a of the UTF-16 code units, finished with murmur3's avalanche so near keys spread out. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return avalanche32(h);
}

/** murmur3's 32-bit finaliser: a bijection that mixes every input bit into every output bit. */
export function avalanche32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A seeded source of random draws (mulberry32: tiny, fast and good enough for synthetic traffic, not
 * for anything secret). A class rather than free functions because the generator calls it millions of
 * times a second: methods avoid the per-call export indirection of transpiled modules.
 */
export class Dice {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** True with probability `probability`. */
  chance(probability: number): boolean {
    return this.next() < probability;
  }

  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** A Poisson-distributed count with mean `mean` (Knuth for small means, a normal approximation above). */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean < 30) {
      const limit = Math.exp(-mean);
      let product = this.next();
      let count = 0;
      while (product > limit) {
        product *= this.next();
        count++;
      }
      return count;
    }
    // Box–Muller; 1 - next() keeps the logarithm finite.
    const gaussian = Math.sqrt(-2 * Math.log(1 - this.next())) * Math.cos(2 * Math.PI * this.next());
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * gaussian));
  }

  /** Fisher–Yates, in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const held = items[i];
      items[i] = items[j];
      items[j] = held;
    }
    return items;
  }
}

/** Dice seeded from a key such as (seed, source, minute); equal keys give equal sequences. */
export function seededDice(...keyParts: ReadonlyArray<string | number>): Dice {
  return new Dice(hash32(keyParts.join('|')));
}

/** `digits` lower-case hex characters determined by `text` (ids that must not change between runs). */
export function hashHex(text: string, digits: number): string {
  let out = '';
  for (let block = 0; out.length < digits; block++) out += hash32(`${block}|${text}`).toString(16).padStart(8, '0');
  return out.slice(0, digits);
}

/** Picks entries in proportion to their weights; built once, used per event. */
export class WeightedChoice<T> {
  private readonly items: T[];
  private readonly cumulative: number[];
  private readonly total: number;

  constructor(entries: ReadonlyArray<readonly [T, number]>) {
    this.items = entries.map(([item]) => item);
    let sum = 0;
    this.cumulative = entries.map(([, weight]) => (sum += weight));
    this.total = sum;
  }

  pick(dice: Dice): T {
    const target = dice.next() * this.total;
    for (let i = 0; i < this.cumulative.length; i++) {
      if (target < this.cumulative[i]) return this.items[i];
    }
    return this.items[this.items.length - 1];
  }
}
