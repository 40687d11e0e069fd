import assert from "node:assert/strict";
import { crc32, zip, type ZipEntry, ZipStream } from "../../mod.ts";
import {
  assertOpensEverywhere,
  type ExpectedEntry,
  type PythonEntry,
} from "../_readers.ts";
import { asyncChunks, bytesOf, chunked, pseudoRandom } from "../_data.ts";

const FIXED_TIME = Date.UTC(2026, 2, 4, 5, 6, 8);
const OPTIONS = { lastModified: FIXED_TIME };
const encoder = new TextEncoder();

/** Text that deflate shrinks well. */
function prose(lines: number): Uint8Array<ArrayBuffer> {
  return encoder.encode(
    Array.from(
      { length: lines },
      (_, i) => `line ${i}: the quick brown fox ${i % 97} jumps\n`,
    ).join(""),
  );
}

function* syncChunks(chunks: Uint8Array[]): Generator<Uint8Array> {
  yield* chunks;
}

function entryNamed(entries: PythonEntry[], name: string): PythonEntry {
  const entry = entries.find((e) => e.name === name);
  assert.ok(entry, `Python zipfile lists no entry ${JSON.stringify(name)}`);
  return entry;
}

const DATA_DESCRIPTOR_FLAG = 0x0008;
const UTF8_FLAG = 0x0800;
const METHOD_STORE = 0;
const METHOD_DEFLATE = 8;

Deno.test("every reader opens stored entries with their exact contents", async () => {
  const text = prose(2000);
  const random = pseudoRandom(100_000, 1);
  const { python } = await assertOpensEverywhere(
    zip([
      { name: "hello.txt", data: "Hello world!" },
      { name: "prose.txt", data: text },
      { name: "random.bin", data: random },
      {
        name: "streamed.bin",
        data: ReadableStream.from(chunked(random, 4096)),
      },
    ], { ...OPTIONS, compression: "store" }),
    [
      { name: "hello.txt", data: "Hello world!" },
      { name: "prose.txt", data: text },
      { name: "random.bin", data: random },
      { name: "streamed.bin", data: random },
    ],
  );
  for (const entry of python.entries) {
    assert.equal(entry.compressType, METHOD_STORE, entry.name);
    assert.equal(entry.compressSize, entry.fileSize, entry.name);
  }
});

for (const level of [0, 1, 6, 9]) {
  Deno.test(`every reader opens entries deflated at level ${level}`, async () => {
    const text = prose(5000);
    const random = pseudoRandom(64 * 1024, level + 2);
    const { python } = await assertOpensEverywhere(
      zip([
        { name: "prose.txt", data: text },
        { name: "prose-streamed.txt", data: syncChunks(chunked(text, 1000)) },
        { name: "random.bin", data: random },
        {
          name: "random-streamed.bin",
          data: asyncChunks(chunked(random, 5000)),
        },
        { name: "small.txt", data: "a" },
      ], { ...OPTIONS, compression: "deflate", level }),
      [
        { name: "prose.txt", data: text },
        { name: "prose-streamed.txt", data: text },
        { name: "random.bin", data: random },
        { name: "random-streamed.bin", data: random },
        { name: "small.txt", data: "a" },
      ],
    );
    // A stream's method is chosen before its first byte: it must be deflate.
    for (const name of ["prose-streamed.txt", "random-streamed.bin"]) {
      assert.equal(
        entryNamed(python.entries, name).compressType,
        METHOD_DEFLATE,
        name,
      );
    }
    if (level > 0) {
      const prosy = entryNamed(python.entries, "prose-streamed.txt");
      assert.ok(
        prosy.compressSize < prosy.fileSize / 4,
        `level ${level} shrank ${prosy.fileSize} bytes of prose only to ${prosy.compressSize}`,
      );
    }
  });
}

Deno.test("every reader opens empty files of every input kind", async () => {
  const empty = new Uint8Array(0);
  const entries: ZipEntry[] = [
    { name: "string.txt", data: "" },
    { name: "bytes.bin", data: empty },
    { name: "buffer.bin", data: new ArrayBuffer(0) },
    { name: "blob.bin", data: new Blob([]) },
    { name: "stream.bin", data: ReadableStream.from<Uint8Array>([]) },
    { name: "stream-empty-chunk.bin", data: ReadableStream.from([empty]) },
    { name: "async.bin", data: asyncChunks([]) },
    { name: "sync.bin", data: syncChunks([empty, empty]) },
    { name: "sized.bin", data: ReadableStream.from([empty]), size: 0 },
    { name: "no-data.txt" },
    { name: "deflated.txt", data: "", compression: "deflate", level: 9 },
  ];
  await assertOpensEverywhere(
    zip(entries, OPTIONS),
    entries.map(({ name }) => ({ name, data: "" })),
  );
});

Deno.test("every reader opens an archive without entries", async () => {
  await assertOpensEverywhere(zip([], OPTIONS), []);
});

Deno.test("every reader opens an archive with only a comment", async () => {
  const comment = "nothing here yet";
  await assertOpensEverywhere(zip([], { ...OPTIONS, comment }), [], {
    comment,
  });
});

Deno.test("every reader opens directories, empty or not, and files in undeclared directories", async () => {
  const { python, unzip, sevenZip } = await assertOpensEverywhere(
    zip([
      { name: "empty/" },
      { name: "docs/" },
      { name: "docs/readme.txt", data: "read me" },
      { name: "docs/deep/" },
      { name: "docs/deep/er/" },
      { name: "docs/deep/er/file.txt", data: "deep" },
      { name: "undeclared/parents/file.txt", data: "orphan" },
      { name: "trailing/", lastModified: Date.UTC(2020, 0, 1) },
    ], OPTIONS),
    [
      { name: "empty/", mode: 0o40755 },
      { name: "docs/", mode: 0o40755 },
      { name: "docs/readme.txt", data: "read me", mode: 0o100644 },
      { name: "docs/deep/" },
      { name: "docs/deep/er/" },
      { name: "docs/deep/er/file.txt", data: "deep" },
      { name: "undeclared/parents/file.txt", data: "orphan" },
      { name: "trailing/" },
    ],
  );
  for (const entry of python.entries.filter((e) => e.isDirectory)) {
    // MS-DOS directory attribute, for readers that ignore Unix modes.
    assert.equal(entry.externalAttr & 0x10, 0x10, entry.name);
    assert.equal(entry.compressType, METHOD_STORE, entry.name);
  }
  assert.ok(
    unzip.entries.filter((e) => e.name.endsWith("/")).every((e) =>
      e.permissions.startsWith("d")
    ),
  );
  assert.equal(sevenZip!.entries.filter((e) => e.isDirectory).length, 5);
});

const UNICODE_NAMES = [
  "emoji 😀🎉👩‍👩‍👧.txt",
  "中文/汉字.txt",
  "日本語/ファイル名.txt",
  "한국어.txt",
  "combining e\u0301 a\u0308 n\u0303.txt",
  "precomposed \u00e9 \u00e4 \u00f1.txt",
  "עברית/العربية.txt",
  "Кириллица/файл.txt",
  "ελληνικά.txt",
  "mixed/ünï/😀 e\u0301 漢字.txt",
];

Deno.test("every reader reads unicode names: emoji, CJK, combining marks, right-to-left scripts", async () => {
  const entries = UNICODE_NAMES.map((name, i) => ({
    name,
    data: `entry ${i}: ${name}`,
  }));
  const { python } = await assertOpensEverywhere(
    zip([...entries, { name: "unicode directory ✓/" }], OPTIONS),
    [...entries, { name: "unicode directory ✓/" }],
  );
  for (const entry of python.entries) {
    assert.equal(
      entry.flagBits & UTF8_FLAG,
      UTF8_FLAG,
      `UTF-8 flag of ${entry.name}`,
    );
  }
});

Deno.test("every reader opens streamed entries of unknown size from every kind of source", async () => {
  const data = pseudoRandom(300_000, 7);
  const text = prose(4000);
  const sources = (
    bytes: Uint8Array<ArrayBuffer>,
  ): [string, () => ZipEntry["data"]][] => [
    ["readable-stream", () => ReadableStream.from(chunked(bytes, 16_384))],
    ["async-iterable", () => asyncChunks(chunked(bytes, 10_000))],
    ["sync-iterable", () => syncChunks(chunked(bytes, 33_333))],
    ["array-of-chunks", () => chunked(bytes, 65_536)],
    ["blob", () => new Blob(chunked(bytes, 100_000))],
  ];
  const entries: ZipEntry[] = [];
  const expected: ExpectedEntry[] = [];
  for (const compression of ["store", "deflate"] as const) {
    for (const [kind, source] of sources(data)) {
      entries.push({
        name: `${compression}/${kind}.bin`,
        data: source(),
        compression,
      });
      expected.push({ name: `${compression}/${kind}.bin`, data });
    }
    for (const [kind, source] of sources(text)) {
      entries.push({
        name: `${compression}/${kind}.txt`,
        data: source(),
        compression,
      });
      expected.push({ name: `${compression}/${kind}.txt`, data: text });
    }
  }
  const { python } = await assertOpensEverywhere(
    zip(entries, OPTIONS),
    expected,
  );
  for (const entry of python.entries) {
    const method = entry.name.startsWith("store/")
      ? METHOD_STORE
      : METHOD_DEFLATE;
    assert.equal(entry.compressType, method, entry.name);
    // Only a descriptor can carry the CRC of bytes not seen yet: this is
    // the path streaming readers such as bsdtar must follow.
    if (!entry.name.includes("blob")) {
      assert.equal(
        entry.flagBits & DATA_DESCRIPTOR_FLAG,
        DATA_DESCRIPTOR_FLAG,
        `data descriptor flag of ${entry.name}`,
      );
    }
  }
});

Deno.test("every reader opens streams that declare their size", async () => {
  const data = pseudoRandom(200_000, 9);
  const text = prose(3000);
  await assertOpensEverywhere(
    zip([
      {
        name: "stored.bin",
        data: ReadableStream.from(chunked(data, 8192)),
        size: data.length,
        compression: "store",
      },
      {
        name: "deflated.txt",
        data: asyncChunks(chunked(text, 8192)),
        size: text.length,
        compression: "deflate",
      },
      { name: "after.txt", data: "after the sized streams" },
    ], OPTIONS),
    [
      { name: "stored.bin", data },
      { name: "deflated.txt", data: text },
      { name: "after.txt", data: "after the sized streams" },
    ],
  );
});

Deno.test("stored streams with a caller-supplied crc32 and size need no data descriptor and open everywhere", async () => {
  const data = pseudoRandom(150_000, 11);
  const text = prose(2000);
  const { python } = await assertOpensEverywhere(
    zip([
      {
        name: "stored.bin",
        data: ReadableStream.from(chunked(data, 4096)),
        size: data.length,
        crc32: crc32(data),
        compression: "store",
      },
      {
        name: "deflated.txt",
        data: syncChunks(chunked(text, 4096)),
        size: text.length,
        crc32: crc32(text),
        compression: "deflate",
      },
      { name: "in-memory.txt", data: text },
    ], OPTIONS),
    [
      { name: "stored.bin", data },
      { name: "deflated.txt", data: text },
      { name: "in-memory.txt", data: text },
    ],
  );
  // A deflated stream's compressed size is known only once it is written, so
  // it keeps its descriptor; the other two carry everything up front.
  for (const name of ["stored.bin", "in-memory.txt"]) {
    assert.equal(
      entryNamed(python.entries, name).flagBits & DATA_DESCRIPTOR_FLAG,
      0,
      `data descriptor flag of ${name}`,
    );
  }
});

Deno.test("entry comments and the archive comment read back in every reader", async () => {
  const comment = "Archive comment: ünïcödé ✓\nsecond line";
  await assertOpensEverywhere(
    zip([
      { name: "a.txt", data: "a", comment: "first entry" },
      { name: "b.txt", data: "b", comment: "ünïcödé comment 😀" },
      { name: "c/", comment: "a directory's comment" },
      { name: "d.txt", data: "no comment" },
    ], { ...OPTIONS, comment }),
    [
      { name: "a.txt", data: "a", comment: "first entry" },
      { name: "b.txt", data: "b", comment: "ünïcödé comment 😀" },
      { name: "c/", comment: "a directory's comment" },
      { name: "d.txt", data: "no comment" },
    ],
    { comment },
  );
});

Deno.test("modes read back as Unix attributes in Python and zipinfo", async () => {
  const { python, unzip } = await assertOpensEverywhere(
    zip([
      { name: "default.txt", data: "x" },
      { name: "private.txt", data: "x", mode: 0o600 },
      { name: "script.sh", data: "#!/bin/sh\n", mode: 0o755 },
      { name: "setuid", data: "x", mode: 0o4755 },
      { name: "typed.txt", data: "x", mode: 0o100640 },
      { name: "link", data: "default.txt", mode: 0o120777 },
      { name: "default-dir/" },
      { name: "private-dir/", mode: 0o700 },
      { name: "sticky-dir/", mode: 0o1777 },
    ], OPTIONS),
    [
      { name: "default.txt", data: "x", mode: 0o100644 },
      { name: "private.txt", data: "x", mode: 0o100600 },
      { name: "script.sh", data: "#!/bin/sh\n", mode: 0o100755 },
      { name: "setuid", data: "x", mode: 0o104755 },
      { name: "typed.txt", data: "x", mode: 0o100640 },
      { name: "link", data: "default.txt", mode: 0o120777 },
      { name: "default-dir/", mode: 0o40755 },
      { name: "private-dir/", mode: 0o40700 },
      { name: "sticky-dir/", mode: 0o41777 },
    ],
  );
  // Made by Unix (3), so readers apply the mode.
  for (const entry of python.entries) {
    assert.equal(entry.createSystem, 3, entry.name);
  }
  for (const entry of unzip.entries) {
    assert.equal(entry.hostSystem, "unx", entry.name);
  }
});

/** The modification time in the central directory's 0x5455 extra, if any. */
function extendedTimestamp(entry: PythonEntry): number | undefined {
  const extra = Uint8Array.from(
    entry.extra.match(/../g) ?? [],
    (h) => parseInt(h, 16),
  );
  const view = new DataView(extra.buffer);
  for (let at = 0; at + 4 <= extra.length;) {
    const id = view.getUint16(at, true);
    const size = view.getUint16(at + 2, true);
    if (id === 0x5455) {
      assert.ok(
        size >= 5 && (extra[at + 4]! & 1) === 1,
        `0x5455 of ${entry.name} has no mtime`,
      );
      return view.getInt32(at + 5, true);
    }
    at += 4 + size;
  }
  return undefined;
}

Deno.test("lastModified reads back as DOS fields, clamped to 1980-2107, and as the extended timestamp", async () => {
  const cases = [
    // name, time, DOS fields, 0x5455 seconds, zipinfo time (from 0x5455 when present)
    [
      "even-second",
      Date.UTC(2026, 2, 4, 5, 6, 8),
      [2026, 3, 4, 5, 6, 8],
      1772600768,
      "20260304.050608",
    ],
    [
      "odd-second",
      Date.UTC(2026, 2, 4, 5, 6, 9, 999),
      [2026, 3, 4, 5, 6, 8],
      1772600769,
      "20260304.050609",
    ],
    [
      "dos-epoch",
      Date.UTC(1980, 0, 1),
      [1980, 1, 1, 0, 0, 0],
      315532800,
      "19800101.000000",
    ],
    [
      "before-1980",
      Date.UTC(1975, 5, 15, 12, 0, 0),
      [1980, 1, 1, 0, 0, 0],
      172065600,
      "19750615.120000",
    ],
    [
      "last-dos-year",
      Date.UTC(2107, 11, 31, 23, 59, 59),
      [2107, 12, 31, 23, 59, 58],
      undefined,
      "21071231.235958",
    ],
    [
      "after-2107",
      Date.UTC(2110, 0, 1),
      [2107, 12, 31, 23, 59, 58],
      undefined,
      "21071231.235958",
    ],
  ] as const;
  const entries = cases.map(([name, time]) => ({
    name,
    data: name,
    lastModified: new Date(time),
  }));
  const { python, unzip } = await assertOpensEverywhere(
    zip(entries, OPTIONS),
    entries.map(({ name, data }) => ({ name, data })),
  );
  for (const [name, , dos, seconds, zipinfoTime] of cases) {
    const entry = entryNamed(python.entries, name);
    assert.deepEqual(entry.dateTime, dos, `DOS date and time of ${name}`);
    assert.equal(extendedTimestamp(entry), seconds, `0x5455 mtime of ${name}`);
    assert.equal(
      unzip.entries.find((e) => e.name === name)?.time,
      zipinfoTime,
      `zipinfo time of ${name}`,
    );
  }
});

Deno.test("a time before 1970 reads as no later than 1980 in every reader, not as a future date", async () => {
  const lastModified = new Date(Date.UTC(1960, 0, 1));
  const { python, unzip, sevenZip } = await assertOpensEverywhere(
    zip([{ name: "old.txt", data: "old", lastModified }], OPTIONS),
    [{ name: "old.txt", data: "old" }],
  );
  assert.deepEqual(python.entries[0]?.dateTime, [1980, 1, 1, 0, 0, 0]);
  assert.ok(
    unzip.entries[0]!.time <= "19800101.000000",
    `zipinfo shows ${unzip.entries[0]!.time}`,
  );
  assert.ok(
    sevenZip!.entries[0]!.modified <= "1980-01-01 00:00:00",
    `7-Zip shows old.txt as modified on ${sevenZip!.entries[0]!.modified}`,
  );
});

Deno.test("chunk boundaries never change the bytes, and every reader opens the result", async () => {
  const random = pseudoRandom(70_000, 13);
  const text = prose(1500);
  const archives: Uint8Array[] = [];
  const chunkings = [1, 7, 1000, 4096, 65_536, 1 << 20];
  for (const size of chunkings) {
    archives.push(
      await bytesOf(zip([
        {
          name: "random.bin",
          data: ReadableStream.from(chunked(random, size)),
          compression: "store",
        },
        {
          name: "prose.txt",
          data: syncChunks(chunked(text, size)),
          compression: "deflate",
        },
        {
          name: "sized.txt",
          data: asyncChunks(chunked(text, size)),
          size: text.length,
          level: 9,
        },
      ], OPTIONS)),
    );
  }
  for (const [i, archive] of archives.entries()) {
    assert.deepEqual(
      archive,
      archives[0],
      `${chunkings[i]}-byte chunks gave different bytes`,
    );
  }
  await assertOpensEverywhere(archives[0]!, [
    { name: "random.bin", data: random },
    { name: "prose.txt", data: text },
    { name: "sized.txt", data: text },
  ]);
});

Deno.test("the same entries and options give the same bytes", async () => {
  const text = prose(1000);
  const entries = (): ZipEntry[] => [
    { name: "a.txt", data: text },
    { name: "b/", comment: "dir" },
    {
      name: "b/c.bin",
      data: ReadableStream.from(chunked(text, 777)),
      compression: "store",
    },
    { name: "d.txt", data: asyncChunks(chunked(text, 100)), level: 1 },
    {
      name: "e.txt",
      data: new Blob([text]),
      lastModified: Date.UTC(1999, 11, 31),
    },
  ];
  const options = { ...OPTIONS, comment: "deterministic" };
  const first = await bytesOf(zip(entries(), options));
  const second = await bytesOf(zip(entries(), options));
  const third = await bytesOf(
    ReadableStream.from(entries()).pipeThrough(new ZipStream(options)),
  );
  assert.deepEqual(second, first);
  assert.deepEqual(third, first);
  await assertOpensEverywhere(first, [
    { name: "a.txt", data: text },
    { name: "b/", comment: "dir" },
    { name: "b/c.bin", data: text },
    { name: "d.txt", data: text },
    { name: "e.txt", data: text },
  ], { comment: "deterministic" });
});

Deno.test("in-memory data of every kind opens everywhere, including a view into a larger buffer", async () => {
  const backing = pseudoRandom(10_000, 17);
  const view = backing.subarray(1234, 5678);
  const buffer = backing.slice(100, 2100).buffer;
  await assertOpensEverywhere(
    zip([
      { name: "string.txt", data: "naïve café ✓" },
      { name: "view.bin", data: view },
      { name: "view-stored.bin", data: view, compression: "store" },
      { name: "buffer.bin", data: buffer },
      { name: "blob.bin", data: new Blob([view, "tail"]) },
    ], OPTIONS),
    [
      { name: "string.txt", data: "naïve café ✓" },
      { name: "view.bin", data: view },
      { name: "view-stored.bin", data: view },
      { name: "buffer.bin", data: backing.slice(100, 2100) },
      {
        name: "blob.bin",
        data: new Uint8Array([...view, ...encoder.encode("tail")]),
      },
    ],
  );
});

Deno.test("ZipStream fed from a stream of entries gives an archive every reader opens", async () => {
  async function* entries(): AsyncGenerator<ZipEntry> {
    for (let i = 0; i < 50; i++) {
      yield {
        name: `dir${i % 5}/file${i}.txt`,
        data: `file number ${i}\n`.repeat(i),
      };
    }
  }
  const archive = ReadableStream.from(entries()).pipeThrough(
    new ZipStream(OPTIONS),
  );
  await assertOpensEverywhere(
    archive,
    Array.from({ length: 50 }, (_, i) => ({
      name: `dir${i % 5}/file${i}.txt`,
      data: `file number ${i}\n`.repeat(i),
    })),
  );
});

Deno.test("every reader opens deflated streams of many megabytes, compressible or not", async () => {
  const random = pseudoRandom(8 * 1024 * 1024, 19);
  const text = prose(300_000);
  const mixed = new Uint8Array(random.length + text.length);
  mixed.set(text);
  mixed.set(random, text.length);
  await assertOpensEverywhere(
    zip([
      {
        name: "random.bin",
        data: ReadableStream.from(chunked(random, 65_536)),
        level: 1,
      },
      {
        name: "prose.txt",
        data: asyncChunks(chunked(text, 100_000)),
        level: 9,
      },
      { name: "mixed.bin", data: syncChunks(chunked(mixed, 1 << 20)) },
    ], OPTIONS),
    [
      { name: "random.bin", data: random },
      { name: "prose.txt", data: text },
      { name: "mixed.bin", data: mixed },
    ],
  );
});
