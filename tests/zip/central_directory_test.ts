import assert from "node:assert/strict";
import { predictLength, zip, type ZipEntry } from "../../mod.ts";
import { assertOpensEverywhere } from "../_readers.ts";

Deno.test("every reader opens an archive whose central headers fill blocks unevenly, one of them larger than a block", async () => {
  // Names of varied lengths end blocks at varied places; a comment of
  // 65,535 bytes makes one header larger than the 64 KiB block.
  const entries: ZipEntry[] = Array.from({ length: 3_000 }, (_, i) => ({
    name: `d${"d".repeat(i % 97)}/${i}.txt`,
    data: `entry ${i}`,
  }));
  entries.splice(1_500, 0, {
    name: "big-comment.txt",
    data: "x",
    comment: "c".repeat(65_535),
  });
  const options = { compression: "store" as const };
  const bytes = new Uint8Array(
    await new Response(zip(entries, options)).arrayBuffer(),
  );
  assert.equal(bytes.length, predictLength(entries, options));
  await assertOpensEverywhere(
    bytes,
    entries.map(({ name, data, comment }) => ({
      name,
      data: data as string,
      comment,
    })),
  );
});
