/**
 * Joining CRC-32s of consecutive pieces without reading them again.
 *
 * @module
 */

const POLYNOMIAL = 0xedb88320;
/** x⁰, the polynomial 1, in the reflected bit order CRC-32 uses (bit 31 is x⁰). */
const ONE = 0x80000000;

/**
 * The product of two polynomials modulo the CRC-32 polynomial, both in the
 * reflected order: for every term of `a`, from x⁰ up, `b` times that power
 * of x is added, `b` being multiplied by x (a right shift, reduced) as the
 * power grows.
 */
function multiplyModP(a: number, b: number): number {
  let product = 0;
  for (let term = ONE; term !== 0 && a !== 0; term >>>= 1) {
    if ((a & term) !== 0) {
      product ^= b;
      a ^= term;
    }
    b = b & 1 ? (b >>> 1) ^ POLYNOMIAL : b >>> 1;
  }
  return product >>> 0;
}

/**
 * `POWERS[k]` is x^(2^k) modulo the polynomial, each the square of the one
 * before: 3 + 53 of them cover any safe integer length in bytes.
 */
const POWERS = (() => {
  const powers = new Uint32Array(3 + 53);
  powers[0] = ONE >>> 1;
  for (let k = 1; k < powers.length; k++) {
    powers[k] = multiplyModP(powers[k - 1]!, powers[k - 1]!);
  }
  return powers;
})();

/**
 * x^(8·bytes) modulo the polynomial: what appending `bytes` zero bytes
 * multiplies a CRC's register by. `bytes` is split into its binary digits,
 * each picking the power x^(8·2^k) = x^(2^(k+3)).
 */
function shiftOfBytes(bytes: number): number {
  let shift = ONE;
  for (let k = 3; bytes > 0; k++, bytes = Math.floor(bytes / 2)) {
    if (bytes % 2 === 1) shift = multiplyModP(POWERS[k]!, shift);
  }
  return shift;
}

/**
 * The CRC-32 of two pieces of data one after the other, from the CRC-32 of
 * each and the length of the second: `crc32Combine(crc32(a), crc32(b),
 * b.length)` equals `crc32(a + b)`. Works in time logarithmic in `length`,
 * without the data, so CRCs of ranges read in parallel, or of S3 objects'
 * parts, join into the CRC of the whole.
 *
 * @example Joining the CRCs of two halves
 * ```ts
 * import assert from "node:assert/strict";
 * import { crc32, crc32Combine } from "@zipstream/zipstream";
 *
 * const data = new TextEncoder().encode("Hello, world of ZIP archives!");
 * const [a, b] = [data.subarray(0, 10), data.subarray(10)];
 * assert.equal(crc32Combine(crc32(a), crc32(b), b.length), crc32(data));
 * ```
 *
 * @param first The CRC-32 of the first piece.
 * @param second The CRC-32 of the second piece.
 * @param length The second piece's length in bytes: a whole number up to
 * `Number.MAX_SAFE_INTEGER`.
 * @returns The CRC-32 of both, as an unsigned 32-bit number.
 * @throws {RangeError} `length` is not a whole number from 0 to
 * `Number.MAX_SAFE_INTEGER`.
 */
export function crc32Combine(
  first: number,
  second: number,
  length: number,
): number {
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(
      `Cannot combine CRC-32s: expected the second piece's length as a whole number from 0 to ${Number.MAX_SAFE_INTEGER}, but received ${length}`,
    );
  }
  return (multiplyModP(shiftOfBytes(length), first >>> 0) ^ second) >>> 0;
}
