/**
 * Raw-deflate engines on 1 MiB of log/JSON text, at levels 1 and 6: pako (what
 * zipstream ships for browsers), the runtime's `node:zlib`, and the web's
 * `CompressionStream("deflate-raw")` (which has no level: it always uses its
 * default, 6 in Deno). Each name carries the compressed size it produces.
 *
 *     deno bench -A bench/deflate_bench.ts
 *
 * @module
 */

import { deflateRaw } from "pako";
import { deflateRawSync } from "node:zlib";
import { logText } from "./_inputs.ts";

const INPUT = logText(1024 * 1024);

async function compressionStream(data: Uint8Array): Promise<number> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("deflate-raw"));
  let size = 0;
  for await (const chunk of stream) size += chunk.byteLength;
  return size;
}

const bytes = (n: number) => `${n.toLocaleString("en")} B`;

for (const level of [1, 6] as const) {
  const group = `deflate-raw L${level} of 1 MiB log text`;
  Deno.bench({
    group,
    name: `pako deflateRaw → ${bytes(deflateRaw(INPUT, { level }).length)}`,
    baseline: true,
    fn: () => {
      deflateRaw(INPUT, { level });
    },
  });
  Deno.bench({
    group,
    name: `node:zlib deflateRawSync → ${
      bytes(deflateRawSync(INPUT, { level }).length)
    }`,
    fn: () => {
      deflateRawSync(INPUT, { level });
    },
  });
}

Deno.bench({
  group: "deflate-raw L6 of 1 MiB log text",
  name: `CompressionStream("deflate-raw") → ${
    bytes(await compressionStream(INPUT))
  }`,
  fn: async () => {
    await compressionStream(INPUT);
  },
});
