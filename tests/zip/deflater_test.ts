import assert from "node:assert/strict";
import zlib from "node:zlib";
import {
  type DeflateEngine,
  nativeEngine,
  pakoEngine,
} from "../../src/zip/_deflate_engine.ts";
import { createDeflater, type Deflater } from "../../src/zip/_deflater.ts";

const text = new TextEncoder().encode(
  Array.from(
    { length: 60_000 },
    (_, i) => `{"id":${i},"path":"/api/${i % 97}","ms":${(i * 37) % 1000}}\n`,
  ).join(""),
);

async function compress(
  deflater: Deflater,
  chunkSize: number,
): Promise<Uint8Array> {
  const output: Uint8Array[] = [];
  for (let i = 0; i < text.length; i += chunkSize) {
    output.push(...await deflater.push(text.subarray(i, i + chunkSize)));
  }
  output.push(...await deflater.finish());
  return new Uint8Array(Buffer.concat(output));
}

const engineDeflater = (engine: DeflateEngine) => (level: number) =>
  createDeflater(level, { engine });

const ENGINES: [string, (level: number) => Deflater][] = [
  ["pako", engineDeflater(pakoEngine)],
  ["native zlib", engineDeflater(nativeEngine(zlib))],
  ["the default engine", createDeflater],
];

for (const [engine, create] of ENGINES) {
  Deno.test(`${engine} writes one raw deflate stream at every level, whatever the chunking`, async () => {
    for (let level = 0; level <= 9; level++) {
      const whole = await compress(create(level), text.length);
      assert.deepEqual(
        zlib.inflateRawSync(whole),
        Buffer.from(text),
        `level ${level}`,
      );
      assert.deepEqual(
        await compress(create(level), 4093),
        whole,
        `level ${level}, odd chunks`,
      );
    }
  });

  Deno.test(`${engine} compresses an empty stream to a valid final block`, async () => {
    const deflater = create(6);
    const output = Buffer.concat(await deflater.finish());
    assert.equal(zlib.inflateRawSync(output).length, 0);
  });
}

Deno.test("the native engine compresses within 2 % of zlib at levels 1, 6 and 9", async () => {
  for (const level of [1, 6, 9]) {
    const ours = (await compress(createDeflater(level), 65536)).length;
    const reference = zlib.deflateRawSync(text, { level }).length;
    const pako =
      (await compress(createDeflater(level, { engine: pakoEngine }), 65536))
        .length;
    const best = Math.min(reference, pako);
    assert.ok(
      ours <= best * 1.02,
      `level ${level}: ${ours} bytes against ${best}`,
    );
  }
});
