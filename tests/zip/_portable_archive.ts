/**
 * Writes an archive to stdout the way a browser would: with no `process`
 * global, so zipstream falls back to pako and the pure-JS CRC-32.
 */
delete (globalThis as { process?: unknown }).process;
if ("process" in globalThis) {
  throw new Error(
    "expected no process global, so that no native zlib is found",
  );
}
const { zip } = await import("../../mod.ts");

const text = new TextEncoder().encode(
  Array.from({ length: 50_000 }, (_, i) => `row ${i}: ${i * 7 % 1000}\n`).join(
    "",
  ),
);
function* chunks(): Generator<Uint8Array> {
  for (let i = 0; i < text.length; i += 5000) yield text.subarray(i, i + 5000);
}
await zip([
  { name: "in-memory.txt", data: text },
  { name: "streamed.txt", data: chunks() },
  { name: "stored.txt", data: chunks(), compression: "store" },
], { lastModified: Date.UTC(2026, 0, 1) }).pipeTo(Deno.stdout.writable);
