import assert from "node:assert/strict";
import zlib from "node:zlib";
import { crc32 } from "../../mod.ts";
import { crc32Portable } from "../../src/zip/crc32.ts";

const encode = (text: string) => new TextEncoder().encode(text);

Deno.test("crc32() gives the standard check values", () => {
  assert.equal(crc32(new Uint8Array(0)), 0);
  assert.equal(crc32(encode("123456789")), 0xcbf43926);
  assert.equal(
    crc32(encode("The quick brown fox jumps over the lazy dog")),
    0x414fa339,
  );
});

Deno.test("crc32Portable() agrees with zlib at every alignment, length and starting value", () => {
  const data = Uint8Array.from(
    { length: 4096 + 64 },
    (_, i) => (i * 2654435761) >>> 24,
  );
  for (let offset = 0; offset < 8; offset++) {
    for (
      const length of [
        0,
        1,
        2,
        3,
        4,
        5,
        15,
        16,
        17,
        31,
        32,
        33,
        63,
        64,
        65,
        1000,
        4096,
      ]
    ) {
      const slice = data.subarray(offset, offset + length);
      for (const previous of [0, 1, 0xffffffff, 0x12345678]) {
        assert.equal(
          crc32Portable(slice, previous),
          zlib.crc32(slice, previous),
          `offset ${offset}, length ${length}, previous ${previous}`,
        );
      }
    }
  }
});

Deno.test("crc32() continues across chunks", () => {
  const data = Uint8Array.from({ length: 100_000 }, (_, i) => i % 251);
  let running = 0;
  for (let i = 0; i < data.length; i += 777) {
    running = crc32(data.subarray(i, i + 777), running);
  }
  assert.equal(running, crc32(data));
  assert.equal(running, zlib.crc32(data));
});
