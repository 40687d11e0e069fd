/**
 * CRC-32 as ZIP uses it (APPNOTE 4.4.7: polynomial 0xEDB88320, reflected).
 *
 * @module
 */

const POLYNOMIAL = 0xedb88320;
const TABLE_COUNT = 16;
const TABLE_SIZE = 256;
const BYTE_MASK = 0xff;
/**
 * Below this many bytes the pure-JS loop beats a call into native code; above
 * it the native CRC of Node, Deno and Bun's zlib runs an order of magnitude
 * faster than any JS (measured in bench/crc32_bench.ts).
 */
const NATIVE_THRESHOLD = 64;

/**
 * Slicing-by-16 tables: `TABLES[k * 256 + b]` is the CRC of byte `b`
 * followed by `k` zero bytes, so sixteen input bytes fold in per step.
 */
const TABLES = buildTables();

function buildTables(): Uint32Array {
  const tables = new Uint32Array(TABLE_COUNT * TABLE_SIZE);
  for (let byte = 0; byte < TABLE_SIZE; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 1 ? (crc >>> 1) ^ POLYNOMIAL : crc >>> 1;
    }
    tables[byte] = crc;
  }
  for (let k = 1; k < TABLE_COUNT; k++) {
    for (let byte = 0; byte < TABLE_SIZE; byte++) {
      const previous = tables[(k - 1) * TABLE_SIZE + byte]!;
      tables[k * TABLE_SIZE + byte] = (previous >>> 8) ^
        tables[previous & BYTE_MASK]!;
    }
  }
  return tables;
}

type NativeCrc32 = (data: Uint8Array, value: number) => number;

/**
 * The runtime's zlib CRC-32, found without importing `node:` modules so that
 * this file still loads in browsers and workers.
 */
function findNativeCrc32(): NativeCrc32 | undefined {
  const runtime = globalThis as {
    process?: { getBuiltinModule?: (id: string) => unknown };
  };
  try {
    const zlib = runtime.process?.getBuiltinModule?.("node:zlib") as
      | { crc32?: NativeCrc32 }
      | undefined;
    return typeof zlib?.crc32 === "function" ? zlib.crc32 : undefined;
  } catch {
    return undefined;
  }
}

const nativeCrc32 = findNativeCrc32();

/** The pure-JS CRC-32, used where no native one exists and for short inputs. */
export function crc32Portable(data: Uint8Array, previous = 0): number {
  const t = TABLES;
  let crc = ~previous;
  let i = 0;
  const end16 = data.length - (data.length % TABLE_COUNT);
  while (i < end16) {
    crc ^= data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) |
      (data[i + 3]! << 24);
    crc = t[0xf00 + (crc & BYTE_MASK)]! ^
      t[0xe00 + ((crc >>> 8) & BYTE_MASK)]! ^
      t[0xd00 + ((crc >>> 16) & BYTE_MASK)]! ^
      t[0xc00 + (crc >>> 24)]! ^
      t[0xb00 + data[i + 4]!]! ^
      t[0xa00 + data[i + 5]!]! ^
      t[0x900 + data[i + 6]!]! ^
      t[0x800 + data[i + 7]!]! ^
      t[0x700 + data[i + 8]!]! ^
      t[0x600 + data[i + 9]!]! ^
      t[0x500 + data[i + 10]!]! ^
      t[0x400 + data[i + 11]!]! ^
      t[0x300 + data[i + 12]!]! ^
      t[0x200 + data[i + 13]!]! ^
      t[0x100 + data[i + 14]!]! ^
      t[data[i + 15]!]!;
    i += TABLE_COUNT;
  }
  while (i < data.length) {
    crc = (crc >>> 8) ^ t[(crc ^ data[i++]!) & BYTE_MASK]!;
  }
  return ~crc >>> 0;
}

/**
 * Computes the CRC-32 of `data`, continuing from `previous` so that a CRC can
 * be built chunk by chunk: `crc32(b, crc32(a))` equals the CRC of `a`
 * followed by `b`.
 *
 * Uses the runtime's native zlib CRC when there is one (Deno, Node, Bun) and a
 * slicing-by-16 table otherwise (browsers).
 *
 * @param data The bytes to checksum.
 * @param previous The CRC of the bytes before `data`.
 * @returns The CRC-32 as an unsigned 32-bit integer.
 *
 * @example Checksum a string, whole and in two parts
 * ```ts
 * import assert from "node:assert/strict";
 * import { crc32 } from "@zipstream/zipstream";
 *
 * const bytes = new TextEncoder().encode("The quick brown fox jumps over the lazy dog");
 * assert.equal(crc32(bytes), 0x414fa339);
 * assert.equal(crc32(bytes.subarray(10), crc32(bytes.subarray(0, 10))), 0x414fa339);
 * ```
 */
export function crc32(data: Uint8Array, previous = 0): number {
  if (nativeCrc32 !== undefined && data.length >= NATIVE_THRESHOLD) {
    return nativeCrc32(data, previous);
  }
  return crc32Portable(data, previous);
}
