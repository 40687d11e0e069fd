import assert from "node:assert/strict";
import { assertOpensEverywhere } from "../_readers.ts";

Deno.test("zip() without native zlib (as in browsers) writes an archive every reader opens", async () => {
  const fixture = new URL("./_portable_archive.ts", import.meta.url);
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", fixture.pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  const text = Array.from(
    { length: 50_000 },
    (_, i) => `row ${i}: ${i * 7 % 1000}\n`,
  )
    .join("");
  await assertOpensEverywhere(output.stdout, [
    { name: "in-memory.txt", data: text },
    { name: "streamed.txt", data: text },
    { name: "stored.txt", data: text },
  ]);
});
