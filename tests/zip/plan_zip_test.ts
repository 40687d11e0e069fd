import assert from "node:assert/strict";
import {
  crc32,
  type PlanEntry,
  planZip,
  type RangedSource,
  zip,
  type ZipEntry,
} from "../../mod.ts";
import { assertOpensEverywhere } from "../_readers.ts";
import { pseudoRandom } from "../_data.ts";

const LAST_MODIFIED = Date.UTC(2026, 11, 6, 10, 30);

/** A source over bytes that counts what is read of it. */
class CountingSource implements RangedSource {
  readonly #bytes: Uint8Array;
  readonly identity: string | undefined;
  readonly crc32: number | undefined;
  reads: [number, number][] = [];
  bytesRead = 0;

  constructor(
    bytes: Uint8Array,
    options: { identity?: string; crc32?: number } = {},
  ) {
    this.#bytes = bytes;
    this.identity = options.identity;
    this.crc32 = options.crc32;
  }

  get size(): number {
    return this.#bytes.length;
  }

  read(start: number, end: number): ReadableStream<Uint8Array> {
    this.reads.push([start, end]);
    let position = start;
    return new ReadableStream({
      pull: (controller) => {
        if (position >= end) return controller.close();
        const until = Math.min(end, position + 1000);
        controller.enqueue(this.#bytes.slice(position, until));
        this.bytesRead += until - position;
        position = until;
      },
    });
  }
}

function sampleEntries(): { plan: PlanEntry[]; zip: ZipEntry[] } {
  const big = pseudoRandom(300_000, 1);
  const middle = pseudoRandom(70_000, 2);
  const plan: PlanEntry[] = [
    { name: "docs/", lastModified: LAST_MODIFIED - 1000 },
    { name: "docs/readme.txt", data: "Read me", comment: "first" },
    { name: "docs/empty.txt", data: "" },
    { name: "data/big.bin", data: new CountingSource(big), mode: 0o600 },
    { name: "data/middle.bin", data: new Blob([middle]) },
    { name: "données/été.txt", data: new TextEncoder().encode("ça va") },
    { name: "docs/latest", data: "readme.txt", mode: 0o120777 },
  ];
  const zipped: ZipEntry[] = [
    { name: "docs/", lastModified: LAST_MODIFIED - 1000 },
    { name: "docs/readme.txt", data: "Read me", comment: "first" },
    { name: "docs/empty.txt", data: "" },
    {
      name: "data/big.bin",
      data: ReadableStream.from([big]),
      size: big.length,
      crc32: crc32(big),
      mode: 0o600,
    },
    {
      name: "data/middle.bin",
      data: ReadableStream.from([middle]),
      size: middle.length,
      crc32: crc32(middle),
    },
    { name: "données/été.txt", data: new TextEncoder().encode("ça va") },
    { name: "docs/latest", data: "readme.txt", mode: 0o120777 },
  ];
  return { plan, zip: zipped };
}

const OPTIONS = { lastModified: LAST_MODIFIED, comment: "planned" };

Deno.test("planZip: slice(0) is byte-identical to zip() of the same entries, stored, with their CRCs", async () => {
  const entries = sampleEntries();
  const plan = await planZip(entries.plan, OPTIONS);
  const planned = await new Response(plan.slice(0)).bytes();
  const zipped = await new Response(
    zip(entries.zip, { ...OPTIONS, compression: "store" }),
  ).bytes();
  assert.equal(planned.length, plan.size);
  assert.deepEqual(planned, zipped);
  await assertOpensEverywhere(planned, [
    { name: "docs/" },
    { name: "docs/readme.txt", data: "Read me", comment: "first" },
    { name: "docs/empty.txt", data: "" },
    { name: "data/big.bin", data: pseudoRandom(300_000, 1) },
    { name: "data/middle.bin", data: pseudoRandom(70_000, 2) },
    { name: "données/été.txt", data: "ça va" },
    { name: "docs/latest", data: "readme.txt" },
  ], { comment: "planned" });
});

Deno.test("planZip: entries lie where the plan says, with their CRCs", async () => {
  const plan = await planZip(sampleEntries().plan, OPTIONS);
  const bytes = await new Response(plan.slice(0)).bytes();
  const view = new DataView(bytes.buffer);
  for (const entry of plan.entries) {
    assert.equal(view.getUint32(entry.offset, true), 0x04034b50, entry.name);
    assert.equal(
      view.getUint32(entry.offset + 14, true),
      entry.crc32,
      entry.name,
    );
    const data = bytes.subarray(
      entry.dataOffset,
      entry.dataOffset + entry.size,
    );
    assert.equal(crc32(data), entry.crc32, entry.name);
  }
  assert.deepEqual(
    plan.entries.map((entry) => entry.name),
    sampleEntries().plan.map((entry) => entry.name),
  );
  assert.equal(plan.lastModified, LAST_MODIFIED);
});

Deno.test("planZip: 1,000 random slices equal the same ranges of zip()", async () => {
  const entries = sampleEntries();
  const plan = await planZip(entries.plan, OPTIONS);
  const zipped = await new Response(
    zip(entries.zip, { ...OPTIONS, compression: "store" }),
  ).bytes();
  let seed = 7;
  const random = (limit: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % (limit + 1);
  };
  for (let i = 0; i < 1000; i++) {
    const a = random(plan.size);
    const b = random(plan.size);
    const [start, end] = a <= b ? [a, b] : [b, a];
    const slice = await new Response(plan.slice(start, end)).bytes();
    assert.deepEqual(
      slice,
      zipped.subarray(start, end),
      `bytes ${start}-${end}`,
    );
  }
});

Deno.test("planZip: a slice reads only the ranges of the sources it covers", async () => {
  const sources = Array.from(
    { length: 50 },
    (_, i) =>
      new CountingSource(pseudoRandom(10_000, i), {
        crc32: crc32(pseudoRandom(10_000, i)),
      }),
  );
  const plan = await planZip(
    sources.map((data, i) => ({ name: `f${i}.bin`, data })),
    OPTIONS,
  );
  assert.equal(
    sources.reduce((sum, source) => sum + source.bytesRead, 0),
    0,
    "the CRCs were given: nothing read to plan",
  );
  const last = plan.entries[49]!;
  const start = last.dataOffset + 1234;
  const slice = await new Response(plan.slice(start, start + 100)).bytes();
  assert.deepEqual(slice, pseudoRandom(10_000, 49).subarray(1234, 1334));
  assert.deepEqual(sources[49]!.reads, [[1234, 1334]]);
  assert.equal(
    sources.slice(0, 49).reduce((sum, source) => sum + source.reads.length, 0),
    0,
  );
});

Deno.test("planZip: CRCs come from the entry, the source, the cache, and only then a parallel read, which the cache keeps", async () => {
  const data = pseudoRandom(100_000, 3);
  const crc = crc32(data);
  const given = new CountingSource(data);
  const fromSource = new CountingSource(data, { crc32: crc });
  const cache = new Map<string, number>();
  const read = new CountingSource(data, { identity: "read:1" });
  const plan = await planZip([
    { name: "given.bin", data: given, crc32: crc },
    { name: "source.bin", data: fromSource },
    { name: "read.bin", data: read },
  ], {
    ...OPTIONS,
    crcCache: cache,
    crcRangeSize: 30_000,
    crcReadConcurrency: 2,
  });
  assert.deepEqual(plan.entries.map((entry) => entry.crc32), [crc, crc, crc]);
  assert.equal(given.bytesRead + fromSource.bytesRead, 0);
  assert.deepEqual(read.reads.sort((a, b) => a[0] - b[0]), [
    [0, 30_000],
    [30_000, 60_000],
    [60_000, 90_000],
    [90_000, 100_000],
  ]);
  assert.deepEqual([...cache], [["read:1", crc]]);
  const again = new CountingSource(data, { identity: "read:1" });
  const second = await planZip([
    { name: "given.bin", data: given, crc32: crc },
    { name: "source.bin", data: fromSource },
    { name: "read.bin", data: again },
  ], { ...OPTIONS, crcCache: cache });
  assert.equal(
    again.bytesRead,
    0,
    "the second plan takes the CRC from the cache",
  );
  assert.equal(second.etag, plan.etag);
});

Deno.test("planZip: the ETag changes with anything in the layout or a source's identity", async () => {
  const data = pseudoRandom(1000, 4);
  const crc = crc32(data);
  const etag = async (entries: PlanEntry[], options = OPTIONS) =>
    (await planZip(entries, options)).etag;
  const base = await etag([{
    name: "a.bin",
    data: new CountingSource(data, { identity: "v1", crc32: crc }),
  }]);
  assert.match(base, /^"zs1-[0-9a-f]{32}"$/);
  assert.equal(
    await etag([{
      name: "a.bin",
      data: new CountingSource(data, { identity: "v1", crc32: crc }),
    }]),
    base,
  );
  const others = [
    await etag([{
      name: "a.bin",
      data: new CountingSource(data, { identity: "v2", crc32: crc }),
    }]),
    await etag([{
      name: "b.bin",
      data: new CountingSource(data, { identity: "v1", crc32: crc }),
    }]),
    await etag([{
      name: "a.bin",
      data: new CountingSource(data, {
        identity: "v1",
        crc32: (crc ^ 1) >>> 0,
      }),
    }]),
    await etag([{
      name: "a.bin",
      data: new CountingSource(data, { identity: "v1", crc32: crc }),
    }], { ...OPTIONS, comment: "other" }),
    await etag([{
      name: "a.bin",
      data: new CountingSource(data, { identity: "v1", crc32: crc }),
    }], { ...OPTIONS, lastModified: LAST_MODIFIED + 2000 }),
  ];
  assert.equal(new Set([base, ...others]).size, 6);
});

Deno.test("planZip: a source that changes after planning cuts the stream with an error naming the entry", async () => {
  const data = pseudoRandom(50_000, 5);
  const shrinking: RangedSource = {
    size: data.length,
    crc32: crc32(data),
    read: (start, end) =>
      ReadableStream.from([data.slice(start, Math.min(end, 20_000))]),
  };
  const plan = await planZip(
    [{ name: "shrunk.bin", data: shrinking }],
    OPTIONS,
  );
  await assert.rejects(
    new Response(plan.slice(0)).bytes(),
    /reading bytes 0-49999 of "shrunk.bin" failed: its source ended 30000 bytes early/,
  );
  const growing: RangedSource = {
    size: data.length,
    crc32: crc32(data),
    read: () => ReadableStream.from([data, data]),
  };
  const grown = await planZip([{ name: "grown.bin", data: growing }], OPTIONS);
  await assert.rejects(
    new Response(grown.slice(0)).bytes(),
    /"grown.bin" failed: its source gave more bytes/,
  );
  await assert.rejects(
    planZip([{
      name: "unread.bin",
      data: { size: 10, read: () => ReadableStream.from([new Uint8Array(3)]) },
    }]),
    /Cannot add "unread.bin" to the archive: reading bytes 0-9 of its source to compute its CRC-32 failed: expected 10 bytes but the source gave 3/,
  );
});

Deno.test("planZip: refuses what a plan cannot hold, naming the entry", async () => {
  await assert.rejects(
    planZip([{ name: "a", data: "x", compression: "deflate" } as PlanEntry]),
    /Cannot add "a" to the archive: a planned archive stores every entry/,
  );
  await assert.rejects(
    planZip([{ name: "a", data: ReadableStream.from([]) as unknown as Blob }]),
    /expected its data to be a string, Uint8Array, ArrayBuffer, Blob or RangedSource/,
  );
  await assert.rejects(
    planZip([{
      name: "a",
      data: { size: -1, read: () => new ReadableStream() },
    }]),
    /expected its source's size to be a non-negative safe integer but received number -1/,
  );
  await assert.rejects(
    planZip([{ name: "a", data: "abc", size: 4 }]),
    /declared size 4 but the data holds 3 bytes/,
  );
  await assert.rejects(
    planZip([{
      name: "a",
      data: new CountingSource(new Uint8Array(3), { crc32: 1 }),
      crc32: 2,
    }]),
    /declared crc32 0x00000002 but its source's checksum says 0x00000001/,
  );
  await assert.rejects(
    planZip([{ name: "a", data: "x" }, { name: "a", data: "y" }]),
    /duplicate|already/i,
  );
  await assert.rejects(
    planZip([{
      name: "a",
      data: new CountingSource(new Uint8Array(3), { identity: "i" }),
    }], { crcCache: { get: () => -5, set: () => {} } }),
    /expected the CRC cache to hold a CRC-32 .* for "i" but it holds number -5/,
  );
  const plan = await planZip([]);
  assert.throws(
    () => plan.slice(5, 2),
    /expected 0 <= start <= end <= 22 but received start 5 and end 2/,
  );
});

Deno.test("planZip: a signal stops the reads for CRCs, cancelling them, and planZip rejects with its reason", async () => {
  let cancelled = 0;
  const stalled: RangedSource = {
    size: 1000,
    read: () =>
      new ReadableStream({
        pull: () => new Promise(() => {}),
        cancel: () => {
          cancelled++;
        },
      }),
  };
  const controller = new AbortController();
  const planning = planZip([
    { name: "a.bin", data: stalled },
    { name: "b.bin", data: stalled },
  ], { signal: controller.signal });
  setTimeout(() => controller.abort(new Error("stop planning")), 20);
  // Without the signal wired, planning would never end: fail instead.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const unstopped = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("planZip did not stop")), 10_000);
  });
  await assert.rejects(
    Promise.race([planning, unstopped]).finally(() => clearTimeout(timer)),
    /^Error: stop planning$/,
  );
  assert.equal(cancelled, 2, "both reads in flight were cancelled");
  await assert.rejects(
    planZip([{ name: "a.bin", data: stalled }], {
      signal: AbortSignal.abort(new Error("already")),
    }),
    /^Error: already$/,
  );
  await assert.rejects(
    planZip([], { signal: "no" as unknown as AbortSignal }),
    /invalid option signal: expected an AbortSignal but received/,
  );
});
