import assert from "node:assert/strict";
import { parseSize } from "../../src/cli/_size.ts";

Deno.test("parseSize() reads plain bytes and binary suffixes as powers of 1024", () => {
  assert.equal(parseSize("5242880"), 5242880);
  assert.equal(parseSize("5M"), 5 * 1024 ** 2);
  assert.equal(parseSize("5MiB"), 5 * 1024 ** 2);
  assert.equal(parseSize("16mi"), 16 * 1024 ** 2);
  assert.equal(parseSize("1.5G"), 1.5 * 1024 ** 3);
  assert.equal(parseSize("2 TiB"), 2 * 1024 ** 4);
});

Deno.test("parseSize() reads KB, MB and GB as powers of 1000, like dd", () => {
  assert.equal(parseSize("5MB"), 5_000_000);
  assert.equal(parseSize("1kb"), 1000);
  assert.equal(parseSize("2GB"), 2_000_000_000);
});

Deno.test("parseSize() gives undefined for text that is not a whole number of bytes", () => {
  for (const text of ["", "lots", "5 PB", "-5M", "5MiBs", "1.5"]) {
    assert.equal(parseSize(text), undefined, text);
  }
});
