import assert from "node:assert/strict";
import {
  predictLength,
  type WrittenEntry,
  zip,
  type ZipEntry,
  type ZipOptions,
} from "../../mod.ts";

const FIXED_TIME = Date.UTC(2026, 0, 1);
const text = new TextEncoder().encode(
  Array.from({ length: 30_000 }, (_, i) => `event ${i} at ${i * 13 % 997}\n`)
    .join(""),
);

function* chunks(bytes: Uint8Array, size: number): Generator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) {
    yield bytes.subarray(i, i + size);
  }
}

/** Entries of every kind; `reads` counts the chunks taken from their sources. */
function entries(reads: Map<string, number> = new Map()): ZipEntry[] {
  function* counted(name: string, bytes: Uint8Array): Generator<Uint8Array> {
    for (const chunk of chunks(bytes, 10_000)) {
      reads.set(name, (reads.get(name) ?? 0) + 1);
      yield chunk;
    }
  }
  return [
    { name: "in-memory.txt", data: text.subarray(0, 50_000) },
    {
      name: "stored.bin",
      data: counted("stored.bin", text),
      size: text.length,
      compression: "store",
    },
    { name: "deflated.log", data: counted("deflated.log", text) },
    { name: "folder/" },
    {
      name: "last.txt",
      data: counted("last.txt", text.subarray(0, 5000)),
      compression: "store",
    },
  ];
}

async function archive(options: ZipOptions = {}, reads?: Map<string, number>) {
  return new Uint8Array(
    await new Response(
      zip(entries(reads), { lastModified: FIXED_TIME, ...options }),
    )
      .arrayBuffer(),
  );
}

Deno.test("onEntry reports each entry's offset, end, CRC and sizes as Python's zipfile reads them", async () => {
  const written: WrittenEntry[] = [];
  const bytes = await archive({ onEntry: (entry) => written.push(entry) });
  const path = await Deno.makeTempFile({ suffix: ".zip" });
  try {
    await Deno.writeFile(path, bytes);
    const script = `import json, sys, zipfile
print(json.dumps([[i.filename, i.header_offset, i.CRC, i.file_size, i.compress_size]
  for i in zipfile.ZipFile(sys.argv[1]).infolist()]))`;
    const output = await new Deno.Command("python3", {
      args: ["-c", script, path],
    }).output();
    assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
    const python = JSON.parse(new TextDecoder().decode(output.stdout));
    assert.deepEqual(
      written.map((e) => [e.name, e.offset, e.crc32, e.size, e.compressedSize]),
      python,
    );
    for (let i = 1; i < written.length; i++) {
      assert.equal(written[i]!.offset, written[i - 1]!.end);
    }
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("a resumed archive gives exactly the bytes of a full run from the offset on", async () => {
  const written: WrittenEntry[] = [];
  const full = await archive({ onEntry: (entry) => written.push(entry) });
  const boundaries = written.flatMap((entry) => [entry.offset, entry.end]);
  const offsets = [
    0,
    1,
    29,
    ...boundaries,
    written[2]!.offset + 100,
    full.length - 22,
    full.length - 1,
    full.length,
  ];
  for (const offset of offsets) {
    for (const known of [[], written]) {
      const resumed = await archive({ resume: { offset, entries: known } });
      assert.deepEqual(
        resumed,
        full.subarray(offset),
        `offset ${offset}, ${known.length} records`,
      );
    }
  }
});

Deno.test("a resumed archive does not read entries recorded as written before the offset", async () => {
  const written: WrittenEntry[] = [];
  await archive({ onEntry: (entry) => written.push(entry) });
  const reads = new Map<string, number>();
  const resumedRecords: WrittenEntry[] = [];
  await archive({
    resume: { offset: written[3]!.end, entries: written },
    onEntry: (entry) => resumedRecords.push(entry),
  }, reads);
  assert.deepEqual([...reads.keys()], ["last.txt"]);
  assert.deepEqual(resumedRecords, written);
});

Deno.test("resuming with records that no longer match the entries fails, naming the entry", async () => {
  const written: WrittenEntry[] = [];
  await archive({ onEntry: (entry) => written.push(entry) });
  const moved = written.map((entry) =>
    entry.name === "deflated.log"
      ? { ...entry, compressedSize: entry.compressedSize + 1 }
      : entry
  );
  const stored = written.find((entry) => entry.name === "stored.bin")!;
  await assert.rejects(
    archive({ resume: { offset: written[3]!.end + 1, entries: moved } }),
    new Error(
      `Cannot resume the archive at "deflated.log": expected it at bytes ${
        written[2]!.offset
      }-${written[2]!.end + 1} as recorded at ${written[2]!.offset}-${
        written[2]!.end
      }, with the recorded size and CRC; the entries or options have changed`,
    ),
  );
  const wrongSize = written.map((entry) =>
    entry === stored ? { ...entry, size: 1 } : entry
  );
  await assert.rejects(
    archive({ resume: { offset: stored.end, entries: wrongSize } }),
    (error: Error) =>
      error.message.startsWith('Cannot resume the archive at "stored.bin"'),
  );
});

Deno.test("resuming past the end of the archive is a RangeError", async () => {
  const full = await archive();
  await assert.rejects(
    archive({ resume: { offset: full.length + 1 } }),
    new RangeError(
      `Cannot resume the archive: expected resume.offset within its ${full.length} bytes but received ${
        full.length + 1
      }`,
    ),
  );
  assert.throws(
    () => zip([], { resume: { offset: -1 } }),
    new RangeError(
      "Cannot create the archive: invalid option resume.offset: expected a non-negative safe integer but received number -1",
    ),
  );
});

Deno.test("predictLength() with resume gives the length of what zip() emits from resume.offset", async () => {
  const entries = () => [
    { name: "a.txt", data: "first entry\n".repeat(100) },
    { name: "b.bin", data: new Uint8Array(5000).fill(7) },
  ];
  const options = { compression: "store" as const };
  const full = predictLength(entries(), options);
  for (const offset of [0, 1, 1300, full]) {
    const resumed = { ...options, resume: { offset } };
    const emitted = new Uint8Array(
      await new Response(zip(entries(), resumed)).arrayBuffer(),
    );
    assert.equal(predictLength(entries(), resumed), emitted.length);
    assert.equal(emitted.length, full - offset);
  }
  assert.throws(
    () =>
      predictLength(entries(), { ...options, resume: { offset: full + 1 } }),
    new RangeError(
      `Cannot predict the archive's length: expected resume.offset within its ${full} bytes but received ${
        full + 1
      }`,
    ),
  );
});
