import assert from "node:assert/strict";
import { crc32 as nativeCrc32 } from "node:zlib";
import { crc32, crc32Combine } from "../../mod.ts";
import { pseudoRandom as bytes } from "../_data.ts";

Deno.test("crc32Combine() of two pieces' CRCs is the CRC of both, at every split point", () => {
  const data = bytes(300, 7);
  const whole = crc32(data);
  for (let at = 0; at <= data.length; at++) {
    const [a, b] = [data.subarray(0, at), data.subarray(at)];
    assert.equal(crc32Combine(crc32(a), crc32(b), b.length), whole, `at ${at}`);
  }
});

Deno.test("crc32Combine() joins many pieces of every length from 0 to 70,000 bytes", () => {
  const data = bytes(300_000, 11);
  let at = 0;
  let combined = 0;
  for (const length of [0, 1, 3, 255, 256, 4096, 65_535, 65_536, 70_000, 0]) {
    const piece = data.subarray(at, at + length);
    combined = crc32Combine(combined, crc32(piece), piece.length);
    at += length;
    assert.equal(combined, crc32(data.subarray(0, at)), `after ${at} bytes`);
  }
});

Deno.test("crc32Combine() handles a second piece over 4 GiB, checked against the native CRC of the bytes", () => {
  const head = bytes(1000, 3);
  const block = bytes(1 << 20, 5);
  const length = 5 * 1024 * (1 << 20) + 12_345;
  let tail = 0;
  let whole = nativeCrc32(head);
  for (let left = length; left > 0; left -= block.length) {
    const chunk = left >= block.length ? block : block.subarray(0, left);
    tail = nativeCrc32(chunk, tail);
    whole = nativeCrc32(chunk, whole);
  }
  assert.equal(crc32Combine(crc32(head), tail, length), whole >>> 0);
});

Deno.test("crc32Combine() refuses a length that is not a whole number from 0 up", () => {
  for (const length of [-1, 1.5, Number.NaN, 2 ** 53]) {
    assert.throws(() => crc32Combine(1, 2, length), {
      name: "RangeError",
      message:
        `Cannot combine CRC-32s: expected the second piece's length as a whole number from 0 to 9007199254740991, but received ${length}`,
    });
  }
});
