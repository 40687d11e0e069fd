/**
 * A set of byte strings kept in typed arrays, for the names of an archive:
 * a `Set<string>` costs a string and a slot on the JS heap per name (about
 * 70 bytes), which at a few hundred thousand entries was most of what the
 * writer kept on the JS heap.
 *
 * @module
 */

/** A hash of `bytes[start..end)`, as an unsigned 32-bit integer. */
export type ByteStringHash = (
  bytes: Uint8Array,
  start: number,
  end: number,
) => number;

/**
 * Where a set's strings live, so that a set can look into bytes already
 * kept elsewhere (the central directory holds every name) instead of a
 * copy. String `index` is the `index`-th string appended.
 */
export interface ByteStrings {
  /** How many strings there are. */
  readonly count: number;
  /** Whether string `index` is exactly the first `length` bytes of `bytes`. */
  equals(index: number, bytes: Uint8Array, length: number): boolean;
  /** String `index` hashed with `hash`. */
  hash(index: number, hash: ByteStringHash): number;
}

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

/** Whether `a[aStart..aStart+length)` equals the first `length` bytes of `b`. */
export function sameBytes(
  a: Uint8Array,
  aStart: number,
  b: Uint8Array,
  length: number,
): boolean {
  for (let i = 0; i < length; i++) {
    if (a[aStart + i] !== b[i]) return false;
  }
  return true;
}

/**
 * Byte strings back to back in one growing array, where each starts in a
 * second: about 4 bytes per string plus its bytes, for a set whose strings
 * are kept nowhere else.
 */
export class ByteStringArena implements ByteStrings {
  // Where string i starts in the arena; string i ends where i + 1 starts.
  #starts = new Uint32Array(INITIAL_SLOTS + 1);
  #arena = new Uint8Array(INITIAL_ARENA_BYTES);
  #count = 0;

  /** How many strings there are. */
  get count(): number {
    return this.#count;
  }

  /**
   * Appends the first `length` bytes of `bytes`.
   *
   * @throws {RangeError} when the strings would pass 4 GiB in total.
   */
  append(bytes: Uint8Array, length: number = bytes.length): void {
    const start = this.#starts[this.#count]!;
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
    if (this.#count + 2 > this.#starts.length) {
      const grown = new Uint32Array(this.#starts.length * 2);
      grown.set(this.#starts);
      this.#starts = grown;
    }
    this.#count++;
    this.#starts[this.#count] = end;
  }

  /** Whether string `index` is exactly the first `length` bytes of `bytes`. */
  equals(index: number, bytes: Uint8Array, length: number): boolean {
    const start = this.#starts[index]!;
    return this.#starts[index + 1]! - start === length &&
      sameBytes(this.#arena, start, bytes, length);
  }

  /** String `index` hashed with `hash`. */
  hash(index: number, hash: ByteStringHash): number {
    return hash(this.#arena, this.#starts[index]!, this.#starts[index + 1]!);
  }
}

/**
 * The strings of a `ByteStrings`, each at most once: an open-addressing
 * table (linear probing) from hash to index, 8 to 16 bytes per string. A
 * hash hit is confirmed byte for byte against the strings themselves, so
 * membership is exact whatever the hash.
 */
export class ByteStringSet {
  #strings: ByteStrings;
  #hash: ByteStringHash;
  // Index + 1 of the string in each slot; EMPTY_SLOT where there is none.
  #slots = new Uint32Array(INITIAL_SLOTS);
  #size = 0;

  /**
   * @param strings Where the strings are: the caller appends each string
   * `add()` accepts there, before the next `add()`.
   * @param hash The hash of the table; tests give a poor one to force
   * collisions.
   */
  constructor(strings: ByteStrings, hash: ByteStringHash = fnv1a) {
    this.#strings = strings;
    this.#hash = hash;
  }

  /** Number of strings in the set. */
  get size(): number {
    return this.#size;
  }

  /**
   * Adds the first `length` bytes of `bytes` as the next string of the
   * store, unless they are already there. When this returns true, the
   * caller appends them to the store before adding another.
   *
   * @returns whether they were added (false: already in the set).
   * @throws {Error} when the previous string added was not appended.
   */
  add(bytes: Uint8Array, length: number = bytes.length): boolean {
    if (this.#strings.count !== this.#size) {
      throw new Error(
        `Cannot check a name against the archive's names: expected ${this.#size} names stored but found ${this.#strings.count}`,
      );
    }
    if (
      (this.#size + 1) * MAX_LOAD_DENOMINATOR >
        this.#slots.length * MAX_LOAD_NUMERATOR
    ) {
      this.#rehash(this.#slots.length * 2);
    }
    const mask = this.#slots.length - 1;
    let slot = this.#hash(bytes, 0, length) & mask;
    for (;;) {
      const entry = this.#slots[slot]!;
      if (entry === EMPTY_SLOT) break;
      if (this.#strings.equals(entry - 1, bytes, length)) return false;
      slot = (slot + 1) & mask;
    }
    this.#size++;
    this.#slots[slot] = this.#size;
    return true;
  }

  /** Whether the first `length` bytes of `bytes` are in the set. */
  has(bytes: Uint8Array, length: number = bytes.length): boolean {
    const mask = this.#slots.length - 1;
    let slot = this.#hash(bytes, 0, length) & mask;
    for (;;) {
      const entry = this.#slots[slot]!;
      if (entry === EMPTY_SLOT) return false;
      if (this.#strings.equals(entry - 1, bytes, length)) return true;
      slot = (slot + 1) & mask;
    }
  }

  #rehash(capacity: number): void {
    const slots = new Uint32Array(capacity);
    const mask = capacity - 1;
    for (let index = 0; index < this.#size; index++) {
      let slot = this.#strings.hash(index, this.#hash) & mask;
      while (slots[slot] !== EMPTY_SLOT) slot = (slot + 1) & mask;
      slots[slot] = index + 1;
    }
    this.#slots = slots;
  }
}
