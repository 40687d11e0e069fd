/**
 * Bytes that look random to a compressor and are the same on every run: a
 * linear congruential generator's high bytes. Tests use them where deflate
 * must not shrink the data and the expected bytes must be rebuilt.
 *
 * @module
 */

/** `size` pseudo-random bytes, the same for the same `seed`. */
export function pseudoRandomBytes(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let state = seed >>> 0;
  for (let i = 0; i < size; i++) {
    state = (state * 1_103_515_245 + 12_345) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}
