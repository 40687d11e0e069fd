import assert from "node:assert/strict";
import { predictLength, zip, type ZipEntry } from "../../mod.ts";
import { s3Entries, type S3EntriesOptions } from "../../src/s3/mod.ts";
import { assertOpensEverywhere } from "../_readers.ts";
import { RecordingS3 } from "./_recording_s3.ts";

const KIB = 1024;
const MIB = 1024 * KIB;

function bytesOf(length: number, seed: number): Uint8Array {
  return new Uint8Array(length).map((_, i) => (i * 31 + seed * 7) & 0xff);
}

function options(
  s3: RecordingS3,
  extra: Partial<S3EntriesOptions> = {},
): S3EntriesOptions {
  return {
    client: s3,
    bucket: "source",
    prefix: "data/",
    retry: { baseDelay: 0, maxDelay: 0, timeout: 200 },
    ...extra,
  };
}

async function bytesOfEntry(entry: ZipEntry): Promise<Uint8Array> {
  return await new Response(entry.data as ReadableStream<Uint8Array>).bytes();
}

/** Lets pending promise jobs and timers run, so read-ahead gets as far as it can. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

Deno.test("s3Entries() names entries by their key after the prefix, sized and dated from the listing", async () => {
  const s3 = new RecordingS3();
  s3.putObject("data/", new Uint8Array(0));
  s3.putObject("data/a.txt", bytesOf(10, 1), new Date(1_000_000));
  s3.putObject("data/sub/", new Uint8Array(0), new Date(2_000_000));
  s3.putObject("data/sub/ü b.bin", bytesOf(3, 2), new Date(3_000_000));
  s3.putObject("other/x.txt", bytesOf(5, 3));
  const entries = await Array.fromAsync(s3Entries(options(s3)));
  assert.deepEqual(
    entries.map(({ name, size, lastModified }) => ({
      name,
      size,
      lastModified,
    })),
    [
      { name: "a.txt", size: 10, lastModified: new Date(1_000_000) },
      { name: "sub/", size: undefined, lastModified: new Date(2_000_000) },
      { name: "sub/ü b.bin", size: 3, lastModified: new Date(3_000_000) },
    ],
  );
  assert.equal(entries[1]!.data, undefined);
  assert.deepEqual(s3.commands, ["ListObjectsV2"]);
});

Deno.test("s3Entries() names keys from the last / of a prefix that ends inside a name", async () => {
  const s3 = new RecordingS3();
  s3.putObject("logs/2024", bytesOf(1, 1));
  s3.putObject("logs/2024-01.txt", bytesOf(2, 2));
  s3.putObject("logs/2024/03.txt", bytesOf(3, 3));
  s3.putObject("logs/2025.txt", bytesOf(4, 4));
  const entries = await Array.fromAsync(
    s3Entries(options(s3, { prefix: "logs/2024" })),
  );
  assert.deepEqual(entries.map(({ name, size }) => [name, size]), [
    ["2024", 1],
    ["2024-01.txt", 2],
    ["2024/03.txt", 3],
  ]);
});

Deno.test("s3Entries() follows ListObjectsV2 pages to the end of the prefix", async () => {
  const s3 = new RecordingS3();
  for (let i = 0; i < 7; i++) s3.putObject(`data/${i}.txt`, bytesOf(i, i));
  const entries = await Array.fromAsync(
    s3Entries(options(s3, { pageSize: 3 })),
  );
  assert.deepEqual(entries.map((entry) => entry.name), [
    "0.txt",
    "1.txt",
    "2.txt",
    "3.txt",
    "4.txt",
    "5.txt",
    "6.txt",
  ]);
  assert.deepEqual(s3.calls.map((call) => call.input.ContinuationToken), [
    undefined,
    "3",
    "6",
  ]);
});

Deno.test("s3Entries() opens no object until the archive or read-ahead needs it", async () => {
  const s3 = new RecordingS3();
  for (let i = 0; i < 10; i++) s3.putObject(`data/${i}.bin`, bytesOf(100, i));
  const entries = await Array.fromAsync(
    s3Entries(options(s3, { readAhead: 3 })),
  );
  await settle();
  assert.equal(s3.commands.filter((c) => c === "GetObject").length, 0);
  assert.deepEqual(await bytesOfEntry(entries[0]!), bytesOf(100, 0));
  await settle();
  const opened = s3.calls.filter((c) => c.command === "GetObject").map((c) =>
    c.input.Key
  ).sort();
  assert.deepEqual(opened, [
    "data/0.bin",
    "data/1.bin",
    "data/2.bin",
    "data/3.bin",
  ]);
});

Deno.test("s3Entries() keeps objects fetched ahead within the byte budget", async () => {
  const s3 = new RecordingS3();
  for (let i = 0; i < 6; i++) {
    s3.putObject(`data/${i}.bin`, bytesOf(2 * MIB, i));
  }
  const entries = await Array.fromAsync(
    s3Entries(options(s3, { readAhead: 4, readAheadBytes: MIB })),
  );
  const first = (entries[0]!.data as ReadableStream<Uint8Array>).getReader();
  await first.read();
  await settle();
  // The first object's one chunk, plus at most the budget and one chunk per object ahead.
  const limit = 64 * KIB + MIB + 4 * 64 * KIB;
  assert.ok(
    s3.bodyBytesServed <= limit,
    `served ${s3.bodyBytesServed} > ${limit}`,
  );
  assert.ok(s3.bodyBytesServed >= MIB);
  await first.cancel();
  for (const entry of entries.slice(1)) {
    assert.equal((await bytesOfEntry(entry)).length, 2 * MIB);
  }
});

Deno.test("s3Entries() resumes a body that broke mid-object from the byte where it stopped", async () => {
  const s3 = new RecordingS3();
  const data = bytesOf(300 * KIB, 5);
  const etag = s3.putObject("data/big.bin", data);
  s3.bodyFault = (_, n) =>
    n === 1 ? { breakAfter: 100_000 } : n === 2 ? { breakAfter: 50_000 } : {};
  const [entry] = await Array.fromAsync(s3Entries(options(s3)));
  assert.deepEqual(await bytesOfEntry(entry!), data);
  const gets = s3.calls.filter((c) => c.command === "GetObject");
  assert.deepEqual(gets.map((c) => [c.input.Range, c.input.IfMatch]), [
    [undefined, etag],
    ["bytes=100000-", etag],
    ["bytes=150000-", etag],
  ]);
});

Deno.test("s3Entries() resumes a body that stalls, once no byte came within the timeout", async () => {
  const s3 = new RecordingS3();
  const data = bytesOf(200 * KIB, 6);
  s3.putObject("data/slow.bin", data);
  s3.bodyFault = (_, n) => n === 1 ? { stallAfter: 70_000 } : {};
  const [entry] = await Array.fromAsync(
    s3Entries(
      options(s3, { retry: { baseDelay: 0, maxDelay: 0, timeout: 50 } }),
    ),
  );
  assert.deepEqual(await bytesOfEntry(entry!), data);
  assert.equal(
    s3.calls.filter((c) => c.command === "GetObject").at(-1)!.input.Range,
    "bytes=70000-",
  );
  assert.equal(s3.bodiesCancelled, 1);
});

Deno.test("s3Entries() fails an object that changed after it was listed instead of mixing versions", async () => {
  const s3 = new RecordingS3();
  const etag = s3.putObject("data/live.log", bytesOf(200 * KIB, 1));
  s3.bodyFault = (_, n) => {
    if (n === 1) return { breakAfter: 70_000 };
    return {};
  };
  const [entry] = await Array.fromAsync(s3Entries(options(s3)));
  s3.onCall = (call) => {
    if (call.command === "GetObject" && call.input.Range !== undefined) {
      s3.putObject("data/live.log", bytesOf(200 * KIB, 2));
    }
  };
  await assert.rejects(bytesOfEntry(entry!), {
    name: "Error",
    message:
      `Cannot read s3://source/data/live.log: it changed after it was listed (its ETag is no longer ${etag})`,
  });
});

Deno.test("s3Entries() gives up on a body that keeps breaking without progress", async () => {
  const s3 = new RecordingS3();
  s3.putObject("data/bad.bin", bytesOf(100 * KIB, 1));
  s3.bodyFault = (call) =>
    call.input.Range === "bytes=65536-"
      ? { breakAfter: 0 }
      : { breakAfter: 64 * KIB };
  const [entry] = await Array.fromAsync(
    s3Entries(
      options(s3, { retry: { attempts: 3, baseDelay: 0, maxDelay: 0 } }),
    ),
  );
  await assert.rejects(bytesOfEntry(entry!), {
    message:
      "Cannot read s3://source/data/bad.bin at byte 65536 of 102400: socket hang up (after 3 attempts)",
  });
});

Deno.test("s3Entries() reports a missing bucket with the listing's error", async () => {
  const s3 = new RecordingS3();
  s3.fault = () =>
    Object.assign(new Error("The specified bucket does not exist"), {
      name: "NoSuchBucket",
      $metadata: { httpStatusCode: 404 },
    });
  await assert.rejects(Array.fromAsync(s3Entries(options(s3))), {
    message:
      "Cannot list s3://source/data/: ListObjectsV2 failed after 1 attempt: NoSuchBucket: The specified bucket does not exist",
  });
});

Deno.test("s3Entries() lets go of objects fetched ahead when the archive stops early", async () => {
  const s3 = new RecordingS3();
  for (let i = 0; i < 8; i++) {
    s3.putObject(`data/${i}.bin`, bytesOf(MIB, i));
  }
  const iterator = s3Entries(
    options(s3, { readAhead: 3, readAheadBytes: 200 * KIB }),
  )[Symbol.asyncIterator]();
  const first = await iterator.next();
  const reader = ((first.value as ZipEntry).data as ReadableStream<Uint8Array>)
    .getReader();
  await reader.read();
  await settle();
  assert.equal(s3.calls.filter((c) => c.command === "GetObject").length, 4);
  await reader.cancel();
  await iterator.return!();
  assert.equal(s3.bodiesCancelled, 4);
});

Deno.test("s3Entries() collected first still lets go of every open object when its signal aborts", async () => {
  const s3 = new RecordingS3();
  for (let i = 0; i < 8; i++) {
    s3.putObject(`data/${i}.bin`, bytesOf(MIB, i));
  }
  const controller = new AbortController();
  const entries = await Array.fromAsync(
    s3Entries(
      options(s3, {
        readAhead: 3,
        readAheadBytes: 200 * KIB,
        signal: controller.signal,
      }),
    ),
  );
  const reader = (entries[0]!.data as ReadableStream<Uint8Array>).getReader();
  await reader.read();
  await settle();
  assert.equal(s3.calls.filter((c) => c.command === "GetObject").length, 4);
  controller.abort(new Error("the archive failed"));
  await settle();
  assert.equal(s3.bodiesCancelled, 3, "the three fetched ahead");
  await assert.rejects(reader.read(), /^Error: the archive failed$/);
  assert.equal(s3.bodiesCancelled, 4, "and the one being read");
});

Deno.test("s3Entries() with stored entries makes an archive whose length predictLength() knows and every reader opens", async () => {
  const s3 = new RecordingS3();
  const contents = new Map<string, Uint8Array>();
  for (let i = 0; i < 30; i++) {
    const data = bytesOf((i * 7919) % (200 * KIB), i);
    const name = `${i % 3 === 0 ? "nested/deeper/" : ""}file-${i}-é.bin`;
    contents.set(name, data);
    s3.putObject(`data/${name}`, data);
  }
  const entries = await Array.fromAsync(
    s3Entries(options(s3, { compression: "store", readAhead: 5 })),
  );
  const length = predictLength(entries);
  const archive = await new Response(zip(entries)).bytes();
  assert.equal(archive.length, length);
  await assertOpensEverywhere(
    archive,
    [...contents.keys()].sort().map((name) => ({
      name,
      data: contents.get(name)!,
    })),
  );
});

Deno.test("s3Entries() rejects options it cannot use, naming the option and the value", () => {
  const s3 = new RecordingS3();
  assert.throws(() => s3Entries(options(s3, { readAhead: -1 })), {
    name: "RangeError",
    message:
      'Cannot list s3://source/data/: expected option "readAhead" to be an integer from 0 to 64 but got -1',
  });
  assert.throws(() => s3Entries(options(s3, { pageSize: 5000 })), {
    name: "RangeError",
    message:
      'Cannot list s3://source/data/: expected option "pageSize" to be an integer from 1 to 1000 but got 5000',
  });
  assert.throws(() => s3Entries({ client: s3, bucket: "" }), {
    name: "TypeError",
    message:
      'Cannot list s3:///: expected option "bucket" to be a non-empty string but got ""',
  });
});

Deno.test("s3Entries() does not ask again for a body that broke just after its last byte", async () => {
  const s3 = new RecordingS3();
  const data = bytesOf(100 * KIB, 3);
  s3.putObject("data/whole.bin", data);
  s3.bodyFault = () => ({ breakAfter: data.length });
  const [entry] = await Array.fromAsync(s3Entries(options(s3)));
  assert.deepEqual(await bytesOfEntry(entry!), data);
  assert.equal(s3.commands.filter((c) => c === "GetObject").length, 1);
});

Deno.test("s3Entries() stops a stalled read at once when its signal aborts", async () => {
  const s3 = new RecordingS3();
  s3.putObject("data/stuck.bin", bytesOf(100 * KIB, 4));
  s3.bodyFault = () => ({ stallAfter: 10 * KIB });
  const controller = new AbortController();
  const [entry] = await Array.fromAsync(
    s3Entries(
      options(s3, { signal: controller.signal, retry: { timeout: 60_000 } }),
    ),
  );
  const reader = (entry!.data as ReadableStream<Uint8Array>).getReader();
  await reader.read();
  const pending = reader.read();
  controller.abort(new Error("archive cancelled"));
  await assert.rejects(pending, { message: "archive cancelled" });
  assert.equal(s3.commands.filter((c) => c === "GetObject").length, 1);
});
