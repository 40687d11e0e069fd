/**
 * A range of a big planned archive: 10,000 entries, 10 GiB, sources made up
 * on the fly (nothing stored). Reports, for ranges inside the last entry and
 * across the archive's end, the bytes read from sources against the bytes
 * served, the number of source requests, the time to first byte, and the
 * time to plan.
 *
 *     deno run -A bench/plan_range.ts [--entries 10000] [--total-gib 10]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { crc32, planZip, type RangedSource, type ZipPlan } from "../mod.ts";
import { serveZip } from "../src/http/mod.ts";

const CHUNK = 64 * 1024;

/** What all the sources of one archive were asked for. */
interface SourceCounters {
  requests: number;
  bytesRead: number;
}

/** `size` bytes of `fill`, made as they are read, counted. */
function filledSource(
  size: number,
  fill: number,
  crc: number,
  counters: SourceCounters,
): RangedSource {
  return {
    size,
    crc32: crc,
    identity: `filled:${fill}:${size}`,
    read(start, end) {
      counters.requests++;
      let position = start;
      return new ReadableStream({
        pull(controller) {
          if (position >= end) return controller.close();
          const length = Math.min(CHUNK, end - position);
          controller.enqueue(new Uint8Array(length).fill(fill));
          counters.bytesRead += length;
          position += length;
        },
      }, { highWaterMark: 0 });
    },
  };
}

interface RangeFigures {
  label: string;
  served: number;
  bytesRead: number;
  requests: number;
  firstByteMs: number;
  totalMs: number;
}

async function measureRange(
  plan: ZipPlan,
  counters: SourceCounters,
  label: string,
  start: number,
  end: number,
): Promise<RangeFigures> {
  return await measured(
    counters,
    label,
    end - start,
    () => Promise.resolve(plan.slice(start, end)),
  );
}

/**
 * Figures of reading the stream `open` gives, which must hold `expected`
 * bytes, timed from the call to `open`.
 */
async function measured(
  counters: SourceCounters,
  label: string,
  expected: number,
  open: () => Promise<ReadableStream<Uint8Array>>,
): Promise<RangeFigures> {
  counters.requests = 0;
  counters.bytesRead = 0;
  const began = performance.now();
  let served = 0;
  let firstByteMs = -1;
  for await (const chunk of await open()) {
    if (firstByteMs < 0) firstByteMs = performance.now() - began;
    served += chunk.length;
  }
  if (served !== expected) {
    throw new Error(`expected ${expected} bytes but ${served} came`);
  }
  return {
    label,
    served,
    bytesRead: counters.bytesRead,
    requests: counters.requests,
    firstByteMs,
    totalMs: performance.now() - began,
  };
}

const { values } = parseArgs({
  options: {
    entries: { type: "string", default: "10000" },
    "total-gib": { type: "string", default: "10" },
  },
});
const entryCount = Number(values.entries);
const entrySize = Math.ceil(Number(values["total-gib"]) * 2 ** 30 / entryCount);
const crcs = Array.from(
  { length: 256 },
  (_, fill) => crc32(new Uint8Array(entrySize).fill(fill)),
);
const counters: SourceCounters = { requests: 0, bytesRead: 0 };
const planStart = performance.now();
const plan = await planZip(
  Array.from({ length: entryCount }, (_, i) => ({
    name: `part-${String(i).padStart(5, "0")}.bin`,
    data: filledSource(entrySize, i % 256, crcs[i % 256]!, counters),
  })),
  { lastModified: Date.UTC(2026, 0, 1) },
);
const planMs = performance.now() - planStart;

/** The same range asked of `serveZip` over HTTP on 127.0.0.1, by `fetch`. */
async function measureHttpRange(
  label: string,
  start: number,
  end: number,
): Promise<RangeFigures> {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => serveZip(request, plan),
  );
  try {
    const url = `http://127.0.0.1:${server.addr.port}/big.zip`;
    // A HEAD first, so that the figures leave out connecting and warming up.
    await (await fetch(url, { method: "HEAD" })).body?.cancel();
    return await measured(counters, label, end - start, async () => {
      const response = await fetch(url, {
        headers: { Range: `bytes=${start}-${end - 1}` },
      });
      if (response.status !== 206) {
        throw new Error(
          `expected 206 but the server answered ${response.status}`,
        );
      }
      return response.body!;
    });
  } finally {
    await server.shutdown();
  }
}
const last = plan.entries[plan.entries.length - 1]!;
const figures = [
  await measureRange(
    plan,
    counters,
    "1 MB inside the last entry",
    last.dataOffset + 1000,
    last.dataOffset + 1000 + 1_000_000,
  ),
  await measureRange(
    plan,
    counters,
    "the last entry, header to end",
    last.offset,
    last.dataOffset + last.size,
  ),
  await measureRange(
    plan,
    counters,
    "the last 4 MiB (entries and central directory)",
    plan.size - 4 * 2 ** 20,
    plan.size,
  ),
  await measureHttpRange(
    "the same 1 MB, GET with Range from serveZip",
    last.dataOffset + 1000,
    last.dataOffset + 1000 + 1_000_000,
  ),
];
console.log(
  `${entryCount} entries of ${entrySize} bytes, ${
    (plan.size / 2 ** 30).toFixed(2)
  } GiB archive; planned in ${planMs.toFixed(0)} ms (CRCs given)`,
);
console.log(
  "| range | bytes served | bytes read from sources | read ÷ served | source requests | first byte | whole range |",
);
console.log("|---|---|---|---|---|---|---|");
for (const f of figures) {
  console.log(
    `| ${f.label} | ${f.served} | ${f.bytesRead} | ${
      (f.bytesRead / f.served).toFixed(4)
    } | ${f.requests} | ${f.firstByteMs.toFixed(2)} ms | ${
      f.totalMs.toFixed(1)
    } ms |`,
  );
}
