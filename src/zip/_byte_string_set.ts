/**
 * A set of byte strings kept in typed arrays, for the names of an archive:
 * a `Set<string>` costs a string and a slot on the JS heap per name, which
 * at a few hundred thousand entries is most of what the writer holds, and
 * what makes the garbage collector grow its young generation.
 *
 * @module
 */

/** A hash of `bytes[start..end)`, as an unsigned 32-bit integer. */
export type ByteStringHash = (
  bytes: Uint8Array,
  start: number,
  end: number,
) => number;

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const INITIAL_SLOTS = 16;
const INITIAL_ARENA_BYTES = 256;
/** Slots are at most half full, so that a probe ends quickly. */
const MAX_LOAD_NUMERATOR = 1;
const MAX_LOAD_DENOMINATOR = 2;
/** Arena offsets are 32-bit. */
const MAX_ARENA_BYTES = 2 ** 32 - 1;
const EMPTY_SLOT = 0;

/** FNV-1a, 32 bits: short, and good enough for path names. */
export function fnv1a(bytes: Uint8Array, start: number, end: number): number {
  let hash = FNV_OFFSET_BASIS;
  for (let i = start; i < end; i++) {
    hash = Math.imul(hash ^ bytes[i]!, FNV_PRIME);
  }
  return hash >>> 0;
}

/**
 * Byte strings, each stored once: their bytes back to back in one arena,
 * where each starts in a second array, and an open-addressing table (linear
 * probing) from hash to index. A hash hit is confirmed byte for byte, so
 * membership is exact whatever the hash. About 4 bytes per string plus its
 * bytes and table slots, with at most twice that while arrays grow.
 */
export class ByteStringSet {
  #hash: ByteStringHash;
  // Index + 1 of the string in each slot; EMPTY_SLOT where there is none.
  #slots = new Uint32Array(INITIAL_SLOTS);
  // Where string i starts in the arena; string i ends where i + 1 starts.
  #starts = new Uint32Array(INITIAL_SLOTS + 1);
  #arena = new Uint8Array(INITIAL_ARENA_BYTES);
  #size = 0;

  /** @param hash The hash of the table; tests give a poor one to force collisions. */
  constructor(hash: ByteStringHash = fnv1a) {
    this.#hash = hash;
  }

  /** Number of strings in the set. */
  get size(): number {
    return this.#size;
  }

  /**
   * Adds the first `length` bytes of `bytes`, unless they are already there.
   *
   * @returns whether they were added (false: already in the set).
   * @throws {RangeError} when the strings would pass 4 GiB in total.
   */
  add(bytes: Uint8Array, length: number = bytes.length): boolean {
    const mask = this.#slots.length - 1;
    let slot = this.#hash(bytes, 0, length) & mask;
    for (;;) {
      const entry = this.#slots[slot]!;
      if (entry === EMPTY_SLOT) break;
      if (this.#equals(entry - 1, bytes, length)) return false;
      slot = (slot + 1) & mask;
    }
    this.#append(bytes, length);
    this.#slots[slot] = this.#size;
    if (
      this.#size * MAX_LOAD_DENOMINATOR >
        this.#slots.length * MAX_LOAD_NUMERATOR
    ) {
      this.#rehash(this.#slots.length * 2);
    }
    return true;
  }

  #equals(index: number, bytes: Uint8Array, length: number): boolean {
    const start = this.#starts[index]!;
    if (this.#starts[index + 1]! - start !== length) return false;
    const arena = this.#arena;
    for (let i = 0; i < length; i++) {
      if (arena[start + i] !== bytes[i]) return false;
    }
    return true;
  }

  #append(bytes: Uint8Array, length: number): void {
    const start = this.#starts[this.#size]!;
    const end = start + length;
    if (end > MAX_ARENA_BYTES) {
      throw new RangeError(
        `Cannot keep another name: expected the names to total at most ${MAX_ARENA_BYTES} bytes but they would reach ${end}`,
      );
    }
    if (end > this.#arena.length) {
      const grown = new Uint8Array(
        Math.min(Math.max(end, this.#arena.length * 2), MAX_ARENA_BYTES),
      );
      grown.set(this.#arena.subarray(0, start));
      this.#arena = grown;
    }
    this.#arena.set(
      length === bytes.length ? bytes : bytes.subarray(0, length),
      start,
    );
    if (this.#size + 2 > this.#starts.length) {
      const grown = new Uint32Array(this.#starts.length * 2);
      grown.set(this.#starts);
      this.#starts = grown;
    }
    this.#size++;
    this.#starts[this.#size] = end;
  }

  #rehash(capacity: number): void {
    const slots = new Uint32Array(capacity);
    const mask = capacity - 1;
    for (let index = 0; index < this.#size; index++) {
      const start = this.#starts[index]!;
      const end = this.#starts[index + 1]!;
      let slot = this.#hash(this.#arena, start, end) & mask;
      while (slots[slot] !== EMPTY_SLOT) slot = (slot + 1) & mask;
      slots[slot] = index + 1;
    }
    this.#slots = slots;
  }
}
