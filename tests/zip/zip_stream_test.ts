import assert from "node:assert/strict";
import {
  crc32,
  predictLength,
  zip,
  type ZipEntry,
  ZipStream,
} from "../../mod.ts";
import { bytesOf, chunked, pseudoRandom } from "../_data.ts";

const MIB = 1024 * 1024;
const FIXED_TIME = { lastModified: Date.UTC(2026, 0, 1) };

async function lengthOf(stream: ReadableStream<Uint8Array>): Promise<number> {
  let length = 0;
  for await (const chunk of stream) length += chunk.length;
  return length;
}

/** The signatures found at the record boundaries of an archive, as a quick structural check. */
function endOfCentralDirectoryCount(archive: Uint8Array): number {
  const view = new DataView(archive.buffer, archive.byteOffset);
  const end = archive.length - 22;
  assert.equal(view.getUint32(end, true), 0x06054b50);
  return view.getUint16(end + 10, true);
}

Deno.test("zip() reads a source only as fast as the archive is consumed", async () => {
  let pulled = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled++;
      controller.enqueue(new Uint8Array(64 * 1024));
    },
  }, { highWaterMark: 0 });
  const reader = zip([{ name: "endless.bin", data: endless }], {
    compression: "store",
  }).getReader();
  let read = 0;
  while (read < 4 * MIB) read += (await reader.read()).value!.length;
  await reader.cancel("enough");
  // 4 MiB read is 64 chunks; a producer running ahead would have pulled far more.
  assert.ok(pulled <= 64 + 4, `pulled ${pulled} chunks for 4 MiB of output`);
});

Deno.test("zip() pulls entries lazily from a generator", async () => {
  let produced = 0;
  function* entries(): Generator<ZipEntry> {
    for (let i = 0; i < 1_000_000; i++) {
      produced++;
      yield { name: `e${i}.bin`, data: new Uint8Array(32 * 1024) };
    }
  }
  const reader = zip(entries(), { compression: "store" }).getReader();
  await reader.read();
  await reader.read();
  await reader.cancel();
  assert.ok(produced <= 8, `produced ${produced} entries for two chunks`);
});

Deno.test("cancelling the archive cancels the entry's source and the entry iterator", async () => {
  let sourceCancelReason: unknown;
  let iteratorClosed = false;
  const source = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.enqueue(new Uint8Array(1024 * 1024));
    },
    cancel(reason) {
      sourceCancelReason = reason;
    },
  }, { highWaterMark: 0 });
  async function* entries(): AsyncGenerator<ZipEntry> {
    try {
      yield { name: "first.bin", data: source };
      yield { name: "never.bin", data: "x" };
    } finally {
      iteratorClosed = true;
    }
  }
  const reader = zip(entries(), { compression: "store" }).getReader();
  await reader.read();
  await reader.cancel("user went away");
  assert.equal(sourceCancelReason, "user went away");
  assert.equal(iteratorClosed, true);
});

Deno.test("cancelling the archive while a source read is pending cancels that source", async () => {
  let cancelled = false;
  const stalled = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array(20 * 1024));
    },
    cancel() {
      cancelled = true;
    },
  });
  const reader = zip([{ name: "stalled.bin", data: stalled }], {
    compression: "store",
  }).getReader();
  const pending = reader.read();
  await new Promise((resolve) => setTimeout(resolve, 10));
  await reader.cancel();
  await pending;
  assert.equal(cancelled, true);
});

Deno.test("a failing source errors the archive with the entry's name and the cause", async () => {
  const cause = new Error("disk on fire");
  async function* failing(): AsyncGenerator<Uint8Array> {
    yield new Uint8Array(10);
    throw cause;
  }
  let entriesClosed = false;
  function* entries(): Generator<ZipEntry> {
    try {
      yield { name: "ok.txt", data: "fine" };
      yield { name: "logs/bad.log", data: failing() };
      yield { name: "after.txt", data: "never" };
    } finally {
      entriesClosed = true;
    }
  }
  await assert.rejects(
    bytesOf(zip(entries())),
    (error: Error) => {
      assert.equal(
        error.message,
        'Cannot add "logs/bad.log" to the archive: its data source failed: disk on fire',
      );
      assert.equal(error.cause, cause);
      return true;
    },
  );
  assert.equal(entriesClosed, true);
});

Deno.test("a failing entry source errors the archive with the cause", async () => {
  const cause = new Error("listing failed");
  async function* entries(): AsyncGenerator<ZipEntry> {
    yield { name: "a.txt", data: "a" };
    throw cause;
  }
  await assert.rejects(bytesOf(zip(entries())), (error: Error) => {
    assert.equal(
      error.message,
      "Cannot read the next entry of the archive: the entry source failed: listing failed",
    );
    assert.equal(error.cause, cause);
    return true;
  });
});

Deno.test("ZipStream gives the same bytes as zip()", async () => {
  const entries = (): ZipEntry[] => [
    { name: "a.txt", data: "alpha" },
    { name: "dir/" },
    { name: "dir/b.bin", data: [new Uint8Array([1, 2, 3])] },
  ];
  const piped = await bytesOf(
    ReadableStream.from(entries()).pipeThrough(new ZipStream(FIXED_TIME)),
  );
  assert.deepEqual(piped, await bytesOf(zip(entries(), FIXED_TIME)));
});

Deno.test("zip() gives the same bytes for the same input, whatever the chunking", async () => {
  const text = new TextEncoder().encode(
    Array.from({ length: 20000 }, (_, i) => `line ${i} of the log ${i % 13}\n`)
      .join(""),
  );
  const noise = pseudoRandom(300 * 1024, 7);
  const chunkings = [[1], [7, 3, 1000], [65536], [100000, 1], [
    text.length + noise.length,
  ]];
  const archives: Uint8Array[] = [];
  for (const sizes of chunkings) {
    archives.push(
      await bytesOf(zip([
        { name: "text.log", data: chunked(text, sizes) },
        {
          name: "noise.bin",
          data: chunked(noise, sizes),
          compression: "store",
        },
        { name: "noise.z", data: chunked(noise, sizes), level: 1 },
      ], FIXED_TIME)),
    );
  }
  for (const archive of archives.slice(1)) {
    assert.deepEqual(archive, archives[0]);
  }
});

Deno.test("entries without lastModified share the archive's time, so output is deterministic", async () => {
  const entries =
    (): ZipEntry[] => [{ name: "a", data: "1" }, { name: "b", data: "2" }];
  const first = await bytesOf(zip(entries(), FIXED_TIME));
  await new Promise((resolve) => setTimeout(resolve, 2100));
  assert.deepEqual(await bytesOf(zip(entries(), FIXED_TIME)), first);
  const view = new DataView(first.buffer);
  // DOS time and date of the first local header: 2026-01-01 00:00:00.
  assert.equal(view.getUint16(10, true), 0);
  assert.equal(view.getUint16(12, true), (46 << 9) | (1 << 5) | 1);
});

Deno.test("zip() stores in-memory data that deflate cannot shrink", async () => {
  const noise = pseudoRandom(4096, 3);
  const archive = await bytesOf(
    zip([{ name: "n.bin", data: noise }], FIXED_TIME),
  );
  const view = new DataView(archive.buffer);
  assert.equal(view.getUint16(8, true), 0, "compression method");
  assert.equal(view.getUint32(14, true), crc32(noise));
});

Deno.test("zip() writes the CRC and sizes of known data in the local header, with no descriptor", async () => {
  const archive = await bytesOf(zip([
    { name: "a.txt", data: "hello" },
    {
      name: "b.bin",
      data: [new TextEncoder().encode("hello")],
      size: 5,
      crc32: 0x3610a686,
      compression: "store",
    },
  ], FIXED_TIME));
  const view = new DataView(archive.buffer);
  for (const offset of [0, 30 + 5 + 9 + 5]) {
    assert.equal(view.getUint32(offset, true), 0x04034b50);
    assert.equal(
      view.getUint16(offset + 6, true) & 0x0008,
      0,
      "no descriptor flag",
    );
    assert.equal(view.getUint32(offset + 14, true), 0x3610a686);
    assert.equal(view.getUint32(offset + 22, true), 5);
  }
});

const PREDICTABLE: [string, () => ZipEntry[]][] = [
  ["an empty archive", () => []],
  ["strings, bytes, blobs and directories", () => [
    { name: "a.txt", data: "hello", comment: "first" },
    { name: "ünicode/ß.txt", data: new Uint8Array(1000) },
    { name: "blob.bin", data: new Blob([new Uint8Array(3000)]) },
    { name: "dir/" },
    { name: "empty.txt", compression: "deflate" },
  ]],
  ["streams with a declared size, with and without crc32", () => [
    { name: "s.bin", data: chunked(new Uint8Array(5000), [999]), size: 5000 },
    {
      name: "c.bin",
      data: [new Uint8Array(4)],
      size: 4,
      crc32: crc32(new Uint8Array(4)),
    },
  ]],
];

for (const [shape, entries] of PREDICTABLE) {
  Deno.test(`predictLength() matches the archive for ${shape}`, async () => {
    const options = {
      compression: "store" as const,
      comment: "made by zipstream",
      ...FIXED_TIME,
    };
    const archive = await bytesOf(zip(entries(), options));
    assert.equal(predictLength(entries(), options), archive.length);
  });
}

/** A stored stream of `size` bytes made of one reused buffer, cheap to produce. */
function* repeated(size: number, block: Uint8Array): Generator<Uint8Array> {
  for (let left = size; left > 0; left -= block.length) {
    yield left >= block.length ? block : block.subarray(0, left);
  }
}

Deno.test("predictLength() matches ZIP64 archives: a 4 GiB entry and offsets past 4 GiB", async () => {
  const block = pseudoRandom(MIB, 11);
  const size = 2 ** 32 + 5;
  const entries = (): ZipEntry[] => [
    { name: "huge.bin", data: repeated(size, block), size },
    { name: "after.txt", data: "small entry past 4 GiB" },
    { name: "after/" },
  ];
  const options = { compression: "store" as const, ...FIXED_TIME };
  assert.equal(
    await lengthOf(zip(entries(), options)),
    predictLength(entries(), options),
  );
});

Deno.test("predictLength() matches an archive of more than 65,535 entries", async () => {
  const entries = (): ZipEntry[] =>
    Array.from({ length: 70_000 }, (_, i) => ({ name: `e/${i}`, data: "" }));
  const archive = await bytesOf(zip(entries(), FIXED_TIME));
  assert.equal(predictLength(entries(), FIXED_TIME), archive.length);
  assert.equal(endOfCentralDirectoryCount(archive), 0xffff);
});
