/**
 * Run with no permission flags: zips a 5 MiB deflate stream to stdout with
 * the default workers. Deflate workers cannot load a local module without
 * read permission, so this checks that the archive is still written, nothing
 * is reported, and the process exits on its own.
 */
import { zip } from "../../mod.ts";
import { logText } from "./_log_text.ts";

const BLOCK = 1024 * 1024;
const CHUNK = 64 * 1024;
const text = logText(5 * BLOCK);

async function* chunks(): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < text.length; at += CHUNK) {
    yield text.subarray(at, at + CHUNK);
  }
}

await zip([{ name: "stream.log", data: chunks() }], {
  lastModified: Date.UTC(2026, 0, 1),
  workers: 2,
}).pipeTo(Deno.stdout.writable);
