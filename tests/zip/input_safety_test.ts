/**
 * Inputs the writer must never misread: the end of a source told apart from
 * a value, every chunk kind given one meaning, sources that refill one
 * buffer, fields read once, and values out of range refused, not wrapped.
 * Each test asserts either the exact error or an archive whose entries,
 * read back by Python's `zipfile`, are the intended bytes.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import {
  predictLength,
  zip,
  type ZipEntry,
  type ZipEntryData,
  type ZipOptions,
} from "../../mod.ts";
import {
  digestOf,
  type PythonArchive,
  readWithPython,
  withTempDir,
} from "../_readers.ts";
import { pseudoRandom } from "../_data.ts";

const OPTIONS: ZipOptions = { lastModified: Date.UTC(2026, 2, 4, 5, 6, 8) };
const KIB = 1024;

/** Reads the whole archive, returning the error it fails with. */
async function archiveError(
  entries: unknown,
  options: ZipOptions = OPTIONS,
): Promise<Error> {
  try {
    await writeAndRead(entries, options);
  } catch (error) {
    assert.ok(error instanceof Error, `expected an Error, got ${error}`);
    return error;
  }
  assert.fail("expected the archive to fail");
}

async function assertRejects(
  entries: unknown,
  errorClass: TypeErrorConstructor | RangeErrorConstructor,
  message: string,
  options?: ZipOptions,
): Promise<void> {
  const error = await archiveError(entries, options);
  assert.equal(
    error.constructor,
    errorClass,
    `expected ${errorClass.name}, got ${error}`,
  );
  assert.equal(error.message, message);
}

/**
 * Writes the archive to a file the way a careful consumer does, done with
 * each chunk before it reads the next, then reads it back with Python.
 */
async function writeAndRead(
  entries: unknown,
  options: ZipOptions = OPTIONS,
): Promise<PythonArchive> {
  return await withTempDir(async (dir) => {
    const path = `${dir}/archive.zip`;
    const file = await Deno.create(path);
    await zip(entries as ZipEntry[], options).pipeTo(file.writable);
    return await readWithPython(path);
  });
}

/** Asserts that Python reads exactly these names and contents, in order. */
async function assertContents(
  archive: PythonArchive,
  expected: readonly { name: string; data: Uint8Array }[],
): Promise<void> {
  assert.deepEqual(
    archive.entries.map((entry) => entry.name),
    expected.map((entry) => entry.name),
  );
  for (const [i, want] of expected.entries()) {
    const entry = archive.entries[i]!;
    assert.equal(entry.size, want.data.length, `size of ${want.name}`);
    assert.equal(
      entry.contentCrc32,
      (await digestOf(want.data)).crc32,
      `contents of ${want.name}`,
    );
  }
}

function bytes(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(text);
}

function detachedBuffer(): ArrayBuffer {
  return detachedView().buffer;
}

/** A view made before its buffer was transferred away. */
function detachedView(): Uint8Array<ArrayBuffer> {
  const view = new Uint8Array(8);
  structuredClone(view.buffer, { transfer: [view.buffer] });
  return view;
}

// --- The end of a source is its own signal ---------------------------------

Deno.test("a chunk that is undefined, null, a string, a number or detached fails the archive, naming the entry", async () => {
  const cases: [unknown, string][] = [
    [undefined, "undefined"],
    [null, "null"],
    ["text", 'the string "text"'],
    [7, "number 7"],
    [{ length: 3 }, "an object (Object)"],
  ];
  for (const [chunk, shown] of cases) {
    for (
      const data of [
        [bytes("ab"), chunk, bytes("cd")],
        ReadableStream.from([bytes("ab"), chunk, bytes("cd")]),
      ]
    ) {
      await assertRejects(
        [{ name: "cut.bin", data }],
        TypeError,
        `Cannot add "cut.bin" to the archive: expected its source to give Uint8Array (or other ArrayBufferView, or ArrayBuffer) chunks but received ${shown}`,
      );
    }
  }
  await assertRejects(
    [{ name: "gone.bin", data: [bytes("ab"), detachedBuffer()] }],
    TypeError,
    'Cannot add "gone.bin" to the archive: a chunk of its data is a detached ArrayBuffer, whose bytes are gone (transferred or freed)',
  );
  await assertRejects(
    [{ name: "gone.bin", data: [detachedView()] }],
    TypeError,
    'Cannot add "gone.bin" to the archive: a chunk of its data is an object (Uint8Array) over a detached ArrayBuffer, whose bytes are gone (transferred or freed)',
  );
});

Deno.test("an entry that is not an object fails the archive, naming its index, and no later entry is lost", async () => {
  const a = { name: "a.txt", data: "a" };
  for (
    const [entry, shown] of [[undefined, "undefined"], [null, "null"], [
      3,
      "number 3",
    ]]
  ) {
    await assertRejects(
      [a, entry, { name: "b.txt", data: "b" }, { name: "c.txt", data: "c" }],
      TypeError,
      `Cannot add the entry at index 1 to the archive: expected an object with a name but received ${shown}`,
    );
  }
  assert.throws(
    () =>
      predictLength([a, undefined as unknown as ZipEntry], {
        compression: "store",
      }),
    {
      name: "TypeError",
      message:
        "Cannot add the entry at index 1 to the archive: expected an object with a name but received undefined",
    },
  );
});

Deno.test("an iterator whose next() gives something other than an object fails the archive", async () => {
  const broken = (result: unknown) => ({
    [Symbol.asyncIterator]: () => ({ next: () => Promise.resolve(result) }),
  });
  await assertRejects(
    broken(42),
    TypeError,
    "Cannot read the next entry of the archive: expected its iterator's next() to give an object ({ done, value }) but received number 42",
  );
  await assertRejects(
    [{ name: "data.bin", data: broken(undefined) }],
    TypeError,
    `Cannot add "data.bin" to the archive: expected its iterator's next() to give an object ({ done, value }) but received undefined`,
  );
});

Deno.test("an entry source that yields undefined between entries is refused, not taken for the end", async () => {
  async function* entries() {
    yield { name: "a.txt", data: "a" };
    yield undefined;
    yield { name: "b.txt", data: "b" };
  }
  await assertRejects(
    entries(),
    TypeError,
    "Cannot add the entry at index 1 to the archive: expected an object with a name but received undefined",
  );
});

// --- Every chunk kind has one meaning ----------------------------------------

Deno.test("any ArrayBufferView or ArrayBuffer, as data or as a chunk, stands for exactly its bytes", async () => {
  const backing = pseudoRandom(64, 3);
  const region = backing.subarray(8, 40); // 32 bytes at offset 8
  const view = (
    Kind: {
      new (b: ArrayBuffer, o: number, l: number): ArrayBufferView;
      BYTES_PER_ELEMENT?: number;
    },
  ) => new Kind(backing.buffer, 8, 32 / (Kind.BYTES_PER_ELEMENT ?? 1));
  const shapes = (): [string, ZipEntryData][] => [
    ["dataview.bin", view(DataView)],
    ["int16.bin", view(Int16Array)],
    ["float64.bin", view(Float64Array)],
    ["uint8clamped.bin", view(Uint8ClampedArray)],
    ["arraybuffer.bin", region.slice().buffer],
    ["chunks.bin", [
      view(DataView),
      view(Uint32Array),
      region.slice().buffer,
      region,
    ]],
    [
      "stream.bin",
      ReadableStream.from([view(BigUint64Array), view(Int8Array)]),
    ],
  ];
  const wants = (name: string) =>
    name === "chunks.bin"
      ? new Uint8Array([...region, ...region, ...region, ...region])
      : name === "stream.bin"
      ? new Uint8Array([...region, ...region])
      : region;
  for (const compression of ["store", "deflate"] as const) {
    const archive = await writeAndRead(
      shapes().map(([name, data]) => ({ name, data })),
      { ...OPTIONS, compression },
    );
    await assertContents(
      archive,
      shapes().map(([name]) => ({ name, data: wants(name) })),
    );
  }
});

Deno.test("data that is a detached buffer is refused", async () => {
  await assertRejects(
    [{ name: "gone.bin", data: detachedBuffer() }],
    TypeError,
    'Cannot add "gone.bin" to the archive: its data is a detached ArrayBuffer, whose bytes are gone (transferred or freed)',
  );
});

// --- Sources that reuse one buffer -----------------------------------------

const SIZE_CLASSES = [1, 4, 15, 16, 24, 32, 63, 64, 65, 128, 256, 1024].map(
  (k) => k * KIB,
);

/** Reads `data` through one buffer of `chunkSize`, refilled before each chunk, as pooled readers do. */
async function* refilled(
  data: Uint8Array,
  chunkSize: number,
): AsyncGenerator<Uint8Array> {
  const buffer = new Uint8Array(chunkSize);
  for (let at = 0; at < data.length; at += chunkSize) {
    const piece = data.subarray(at, at + chunkSize);
    buffer.set(piece);
    yield buffer.subarray(0, piece.length);
    // What a pooled reader does once its chunk is taken: the next read lands
    // in the same memory, here scribbled first so a late reader sees junk.
    buffer.fill(0xee);
  }
}

Deno.test("a source that refills one buffer gives the right bytes in every size class, stored and deflated", async () => {
  for (const compression of ["store", "deflate"] as const) {
    const entries = SIZE_CLASSES.map((chunkSize, i) => ({
      name: `${compression}-${chunkSize / KIB}k.bin`,
      // Three chunks and a bit, so later chunks overwrite earlier ones.
      data: pseudoRandom(3 * chunkSize + 100, i + 1),
      chunkSize,
    }));
    const archive = await writeAndRead(
      entries.map(({ name, data, chunkSize }) => ({
        name,
        data: refilled(data, chunkSize),
      })),
      { ...OPTIONS, compression, workers: 0 },
    );
    await assertContents(archive, entries);
  }
});

Deno.test("data given up front in one buffer the caller refills between entries keeps each entry's bytes", async () => {
  const contents = SIZE_CLASSES.map((size, i) => pseudoRandom(size, 100 + i));
  const buffer = new Uint8Array(Math.max(...SIZE_CLASSES));
  async function* entries(): AsyncGenerator<ZipEntry> {
    for (const [i, data] of contents.entries()) {
      buffer.set(data);
      yield {
        name: `up-front-${i}.bin`,
        data: buffer.subarray(0, data.length),
        compression: "store",
      };
      buffer.fill(0xee);
    }
  }
  const archive = await writeAndRead(entries());
  await assertContents(
    archive,
    contents.map((data, i) => ({ name: `up-front-${i}.bin`, data })),
  );
});

Deno.test("property: random mixes of chunk kinds, sizes and buffer reuse come back exactly (fixed seed)", async () => {
  const chunkKind = fc.constantFrom(
    "uint8",
    "dataview",
    "uint16",
    "arraybuffer",
    "reused",
  );
  const entry = fc.record({
    size: fc.oneof(
      fc.integer({ min: 0, max: 300 }),
      fc.integer({ min: 15 * KIB, max: 70 * KIB }),
      fc.integer({ min: 70 * KIB, max: 300 * KIB }),
    ),
    chunk: fc.constantFrom(1, 7, 2 * KIB, 16 * KIB, 20 * KIB, 64 * KIB),
    kinds: fc.array(chunkKind, { minLength: 1, maxLength: 4 }),
    compression: fc.constantFrom("store" as const, "deflate" as const),
    source: fc.constantFrom("stream", "async", "sync"),
  });
  await fc.assert(
    fc.asyncProperty(
      fc.array(entry, { minLength: 1, maxLength: 6 }),
      async (specs) => {
        const contents = specs.map((spec, i) =>
          pseudoRandom(spec.size, i + spec.size)
        );
        const entries = specs.map((spec, i): ZipEntry => {
          const [data, size, kinds] = [contents[i]!, spec.chunk, spec.kinds];
          return {
            name: `e${i}.bin`,
            data: spec.source === "stream"
              ? ReadableStream.from(mixedChunks(data, size, kinds))
              : spec.source === "async"
              ? mixedChunks(data, size, kinds)
              : syncMixedChunks(data, size, kinds),
            compression: spec.compression,
          };
        });
        const archive = await writeAndRead(entries, {
          ...OPTIONS,
          workers: 0,
        });
        await assertContents(
          archive,
          contents.map((data, i) => ({ name: `e${i}.bin`, data })),
        );
      },
    ),
    { seed: 20_261_205, numRuns: 40 },
  );
});

type ChunkKind = "uint8" | "dataview" | "uint16" | "arraybuffer" | "reused";

/** The chunk kinds share one scratch buffer for "reused", refilled per chunk. */
function* syncMixedChunks(
  data: Uint8Array,
  chunkSize: number,
  kinds: readonly string[],
): Generator<ArrayBufferView | ArrayBuffer> {
  const scratch = new Uint8Array(chunkSize);
  for (let at = 0, i = 0; at < data.length; at += chunkSize, i++) {
    const piece = data.subarray(at, at + chunkSize);
    yield chunkOf(piece, kinds[i % kinds.length] as ChunkKind, scratch);
    scratch.fill(0xee);
  }
}

async function* mixedChunks(
  data: Uint8Array,
  chunkSize: number,
  kinds: readonly string[],
): AsyncGenerator<ArrayBufferView | ArrayBuffer> {
  for (const chunk of syncMixedChunks(data, chunkSize, kinds)) {
    await Promise.resolve();
    yield chunk;
  }
}

function chunkOf(
  piece: Uint8Array,
  kind: ChunkKind,
  scratch: Uint8Array,
): ArrayBufferView | ArrayBuffer {
  switch (kind) {
    case "uint8":
      return piece.slice();
    case "dataview": {
      const copy = piece.slice();
      return new DataView(copy.buffer);
    }
    case "uint16": {
      // An odd-length piece cannot be a Uint16Array: it goes as its buffer.
      const padded = new Uint8Array(piece.length + 2);
      padded.set(piece, 2);
      return piece.length % 2 === 0
        ? new Uint16Array(padded.buffer, 2, piece.length / 2)
        : padded.buffer.slice(2);
    }
    case "arraybuffer":
      return piece.slice().buffer;
    case "reused":
      scratch.set(piece);
      return scratch.subarray(0, piece.length);
  }
}

// --- Fields are read once ----------------------------------------------------

Deno.test("every field of an entry is read exactly once, so a getter cannot change what was checked", async () => {
  const reads = new Map<string, number>();
  let nameReads = 0;
  const fields: Record<string, unknown> = {
    data: "content",
    lastModified: Date.UTC(2026, 0, 1),
    compression: "store",
    level: 1,
    comment: "c",
    mode: 0o644,
    size: 7,
    zip64: false,
  };
  const entry = new Proxy(fields, {
    get(target, key) {
      if (typeof key === "string") reads.set(key, (reads.get(key) ?? 0) + 1);
      // The first read gives a safe name; any later one would escape.
      if (key === "name") return nameReads++ === 0 ? "safe.txt" : "../evil";
      return target[key as string];
    },
    has: (target, key) => key === "name" || key in target,
  });
  const archive = await writeAndRead([entry]);
  assert.deepEqual(archive.entries.map((e) => e.name), ["safe.txt"]);
  for (const key of ["name", ...Object.keys(fields)]) {
    assert.equal(reads.get(key), 1, `reads of ${key}`);
  }
});

// --- Values out of range are refused -------------------------------------

Deno.test("lastModified out of a Date's range is refused, not wrapped into month 0", async () => {
  for (const value of [1e20, -1e20, 8.64e15 + 1]) {
    await assertRejects(
      [{ name: "t.txt", data: "t", lastModified: value }],
      RangeError,
      `Cannot add "t.txt" to the archive: invalid lastModified: expected a time from -8.64e15 to 8.64e15 epoch milliseconds (a date from year -271821 to 275760) but received ${value}`,
    );
  }
  assert.throws(() => zip([], { lastModified: 1e20 }), {
    name: "RangeError",
    message:
      "Cannot create the archive: invalid option lastModified: expected a time from -8.64e15 to 8.64e15 epoch milliseconds (a date from year -271821 to 275760) but received 100000000000000000000",
  });
  // The edge of the range is a real date: clamped to DOS's last second.
  const archive = await writeAndRead([
    { name: "far.txt", data: "f", lastModified: 8.64e15 },
  ]);
  assert.deepEqual(archive.entries[0]!.dateTime, [2107, 12, 31, 23, 59, 58]);
});

Deno.test("comments with a lone surrogate are refused, like names", async () => {
  await assertRejects(
    [{ name: "a.txt", data: "a", comment: "bad \ud800 comment" }],
    TypeError,
    'Cannot add "a.txt" to the archive: a comment cannot contain a lone UTF-16 surrogate',
  );
  assert.throws(() => zip([], { comment: "\udc00" }), {
    name: "TypeError",
    message:
      "Cannot create the archive: invalid option comment: a comment cannot contain a lone UTF-16 surrogate",
  });
});

Deno.test("zip64 must be a boolean", async () => {
  await assertRejects(
    [{ name: "a.txt", data: "a", zip64: "yes" }],
    TypeError,
    'Cannot add "a.txt" to the archive: expected zip64 to be a boolean but received the string "yes"',
  );
});

Deno.test("chunks of byte streams are handed on as they are; others are copied unless copyChunks is false", async () => {
  const chunk = () => pseudoRandom(32 * KIB, 9);
  /** Whether the archive hands on `given` itself (the same memory) or a copy. */
  const passesThrough = async (
    make: (given: Uint8Array<ArrayBuffer>) => ZipEntryData,
    options: ZipOptions = {},
  ) => {
    const given = chunk();
    const length = given.length;
    const data = make(given);
    const out = await Array.fromAsync(
      zip([{ name: "c.bin", data, compression: "store" }], {
        ...OPTIONS,
        ...options,
      }),
    );
    // A byte stream transfers the chunk's buffer: compare by contents then.
    return out.some((piece) =>
      piece.buffer === given.buffer ||
      (given.buffer.detached && piece.buffer.byteLength === length)
    );
  };
  const byteStream = (given: Uint8Array<ArrayBuffer>) =>
    new ReadableStream({
      type: "bytes",
      start(controller) {
        controller.enqueue(given);
        controller.close();
      },
    });
  assert.equal(await passesThrough(byteStream), true, "byte stream");
  assert.equal(await passesThrough((given) => [given]), false, "iterable");
  assert.equal(
    await passesThrough((given) => ReadableStream.from([given])),
    false,
    "default stream",
  );
  assert.equal(await passesThrough((given) => given), false, "array");
  assert.equal(
    await passesThrough((given) => [given], { copyChunks: false }),
    true,
    "iterable, copyChunks: false",
  );
  assert.equal(
    await passesThrough((given) => given, { copyChunks: false }),
    true,
    "array, copyChunks: false",
  );
  assert.throws(
    () => zip([], { copyChunks: "no" as unknown as boolean }),
    {
      name: "TypeError",
      message:
        'Cannot create the archive: invalid option copyChunks: expected a boolean but received the string "no"',
    },
  );
});
