import assert from "node:assert/strict";
import { Deflate, deflateRaw, Z_SYNC_FLUSH } from "pako";
import { pakoEngine } from "../../src/zip/_pako_engine.ts";

/** What a fresh pako compressor writes for a block, as the engine did before it reused state. */
function freshBlock(
  block: Uint8Array,
  level: number,
  final: boolean,
): Uint8Array {
  const deflate = new Deflate({ raw: true, level, chunkSize: 64 * 1024 });
  const chunks: Uint8Array[] = [];
  deflate.onData = (chunk: Uint8Array) => {
    chunks.push(chunk);
  };
  deflate.push(block, final ? true : Z_SYNC_FLUSH);
  return new Uint8Array(chunks.flatMap((chunk) => [...chunk]));
}

/** Text with repeats and noise, so that matches reach into stale memory. */
function sample(size: number, seed: number): Uint8Array {
  const words = ["alpha ", "beta ", "gamma\n", '{"k": 1}', "zzz"];
  let state = seed;
  const next = () =>
    (state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    bytes[i] = next() < 0.3
      ? Math.floor(next() * 256)
      : words[Math.floor(next() * words.length)]!.charCodeAt(i % 5);
  }
  return bytes;
}

Deno.test("the pako engine reuses its state and still writes a fresh compressor's bytes, block after block", () => {
  const sizes = [0, 1, 12, 100, 5000, 16300, 16383, 40000, 70000, 1 << 20, 300];
  for (let i = 0; i < 3 * 10 * sizes.length; i++) {
    const size = sizes[i % sizes.length]!;
    const block = sample(size, i + 1);
    const level = i % 10;
    const final = i % 3 !== 0;
    assert.deepEqual(
      pakoEngine.compressBlock(block, level, final),
      freshBlock(block, level, final),
      `block ${i}: ${size} bytes at level ${level}${final ? ", final" : ""}`,
    );
    assert.deepEqual(
      pakoEngine.compress(block, level),
      deflateRaw(block, { level }),
      `stream ${i}: ${size} bytes at level ${level}`,
    );
  }
});
