import { assertOpensEverywhere } from "../_readers.ts";
import { runFixture } from "./_fixture.ts";

Deno.test("zip() without native zlib (as in browsers) writes an archive every reader opens", async () => {
  const { archive } = await runFixture("./_portable_archive.ts");
  const text = Array.from(
    { length: 50_000 },
    (_, i) => `row ${i}: ${i * 7 % 1000}\n`,
  )
    .join("");
  await assertOpensEverywhere(archive, [
    { name: "in-memory.txt", data: text },
    { name: "streamed.txt", data: text },
    { name: "stored.txt", data: text },
  ]);
});
