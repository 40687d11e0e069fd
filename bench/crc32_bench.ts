/**
 * CRC-32 engines: zipstream's `crc32` (native where the runtime has one), its
 * portable slicing-by-16 fallback, the byte-at-a-time table loop that most
 * peers use, and the runtime's native `node:zlib` crc32.
 *
 *     deno bench -A bench/crc32_bench.ts
 *
 * @module
 */

import { crc32 as nativeCrc32 } from "node:zlib";
import { crc32 } from "../mod.ts";
import { crc32Portable } from "../src/zip/crc32.ts";
import { randomBytes } from "./_inputs.ts";

const TABLE = new Uint32Array(256);
for (let byte = 0; byte < 256; byte++) {
  let crc = byte;
  for (let bit = 0; bit < 8; bit++) {
    crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  TABLE[byte] = crc;
}

/** The classic one-table loop (client-zip, fflate, crc-32 all do this). */
function tableLoop(data: Uint8Array, previous = 0): number {
  let crc = ~previous;
  for (let i = 0; i < data.length; i++) {
    crc = (crc >>> 8) ^ TABLE[(crc ^ data[i]!) & 0xff]!;
  }
  return ~crc >>> 0;
}

const SIZES: [string, number][] = [
  ["16 B", 16],
  ["64 B", 64],
  ["1 KiB", 1024],
  ["1 MiB", 1024 * 1024],
];
const data = randomBytes(1024 * 1024);
let sink = 0;

for (const [label, size] of SIZES) {
  const input = data.subarray(0, size);
  const expected = tableLoop(input);
  if (
    crc32(input) !== expected || crc32Portable(input) !== expected ||
    nativeCrc32(input) !== expected
  ) {
    throw new Error(`CRC-32 engines disagree on ${label} of input`);
  }
  const group = `crc32 of ${label}`;
  Deno.bench({
    group,
    name: "zipstream crc32",
    baseline: true,
    fn: () => {
      sink ^= crc32(input);
    },
  });
  Deno.bench({
    group,
    name: "zipstream crc32Portable (slicing-by-16, browsers)",
    fn: () => {
      sink ^= crc32Portable(input);
    },
  });
  Deno.bench({
    group,
    name: "byte-at-a-time table loop (peers)",
    fn: () => {
      sink ^= tableLoop(input);
    },
  });
  Deno.bench({
    group,
    name: "node:zlib crc32 (native)",
    fn: () => {
      sink ^= nativeCrc32(input);
    },
  });
}
