import assert from "node:assert/strict";
import zlib from "node:zlib";
import {
  createDeflater,
  type Deflater,
  nativeDeflater,
  pakoDeflater,
} from "../../src/zip/_deflater.ts";

const text = new TextEncoder().encode(
  Array.from(
    { length: 60_000 },
    (_, i) => `{"id":${i},"path":"/api/${i % 97}","ms":${(i * 37) % 1000}}\n`,
  ).join(""),
);

function compress(deflater: Deflater, chunkSize: number): Uint8Array {
  const output: Uint8Array[] = [];
  for (let i = 0; i < text.length; i += chunkSize) {
    output.push(...deflater.push(text.subarray(i, i + chunkSize)));
  }
  output.push(...deflater.finish());
  return new Uint8Array(Buffer.concat(output));
}

const ENGINES: [string, (level: number) => Deflater][] = [
  ["pako", pakoDeflater],
  ["native zlib", (level) => nativeDeflater(zlib, level)],
  ["the default engine", createDeflater],
];

for (const [engine, create] of ENGINES) {
  Deno.test(`${engine} writes one raw deflate stream at every level, whatever the chunking`, () => {
    for (let level = 0; level <= 9; level++) {
      const whole = compress(create(level), text.length);
      assert.deepEqual(
        zlib.inflateRawSync(whole),
        Buffer.from(text),
        `level ${level}`,
      );
      assert.deepEqual(
        compress(create(level), 4093),
        whole,
        `level ${level}, odd chunks`,
      );
    }
  });

  Deno.test(`${engine} compresses an empty stream to a valid final block`, () => {
    const deflater = create(6);
    const output = Buffer.concat(deflater.finish());
    assert.equal(zlib.inflateRawSync(output).length, 0);
  });
}

Deno.test("the native engine compresses within 2 % of zlib at levels 1, 6 and 9", () => {
  for (const level of [1, 6, 9]) {
    const ours = compress(createDeflater(level), 65536).length;
    const reference = zlib.deflateRawSync(text, { level }).length;
    const pako = compress(pakoDeflater(level), 65536).length;
    const best = Math.min(reference, pako);
    assert.ok(
      ours <= best * 1.02,
      `level ${level}: ${ours} bytes against ${best}`,
    );
  }
});
