import assert from "node:assert/strict";
import { concat } from "../_data.ts";
import { zip, type ZipEntry } from "../../mod.ts";
import { assertOpensEverywhere } from "../_readers.ts";

const CHUNK = 20_000;

function* chunks(seed: number, count: number): Generator<Uint8Array> {
  for (let i = 0; i < count; i++) {
    yield new Uint8Array(CHUNK).fill((seed + i) % 251);
  }
}

/** Streamed entries with large chunks, small in-memory ones between them. */
function entries(): ZipEntry[] {
  return Array.from(
    { length: 60 },
    (_, i): ZipEntry =>
      i % 3 === 0 ? { name: `small/${i}.txt`, data: `entry ${i}`.repeat(i) } : {
        name: `streamed/${i}.bin`,
        data: chunks(i, 3),
        size: i % 2 === 0 ? 3 * CHUNK : undefined,
        compression: "store",
      },
  );
}

Deno.test("zip() never writes into a chunk it has handed on, and every reader opens the archive", async () => {
  const received: Uint8Array[] = [];
  const copies: Uint8Array[] = [];
  for await (const chunk of zip(entries())) {
    received.push(chunk);
    copies.push(chunk.slice());
  }
  received.forEach((chunk, i) =>
    assert.deepEqual(chunk, copies[i], `chunk ${i} changed after it was read`)
  );
  const archive = concat(copies);
  await assertOpensEverywhere(
    archive,
    entries().map((entry) => ({
      name: entry.name,
      data: typeof entry.data === "string" ? entry.data : new Uint8Array(
        [...chunks(Number(/\d+/.exec(entry.name)![0]), 3)].flatMap((c) => [
          ...c,
        ]),
      ),
    })),
  );
});
