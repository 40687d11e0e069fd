/**
 * Archives written in segments: planSegments' jobs are plain JSON,
 * buildSegment writes each as a temporary object on the local Swift server
 * (in any order, or twice), finishSegments joins them server-side, and the
 * object is byte-identical to zip() of the same entries, opened by every
 * reader, with nothing left under the build's prefix.
 */

import assert from "node:assert/strict";
import {
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { crc32, zip, type ZipEntry } from "../../mod.ts";
import {
  buildSegment,
  discardSegments,
  finishSegments,
  planSegments,
  type SegmentEntry,
  type SegmentPlan,
} from "../../src/segments/mod.ts";
import { assertSameBytes, bytesOf, pseudoRandom } from "../_data.ts";
import { assertOpensEverywhere, withTempDir } from "../_readers.ts";
import { assertNothingTemporaryLeft } from "../s3/_copy_leftovers.ts";
import {
  downloadObject,
  getObjectStream,
  withBucket,
} from "../s3/_local_s3.ts";

const MIB = 1024 * 1024;
const LAST_MODIFIED = Date.UTC(2026, 11, 6, 6);

function logLines(length: number, seed: number): Uint8Array {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < length; i++) {
    const line = `2026-12-06 06:${
      String(i % 60).padStart(2, "0")
    } worker=${seed} job=${(i * 7919) % 10_007} ok ${(i * 31) % 977}ms\n`;
    parts.push(line);
    size += line.length;
  }
  return new TextEncoder().encode(parts.join("")).subarray(0, length);
}

/** The objects the entries read, by key. */
const OBJECTS = new Map<string, Uint8Array>([
  ["src/raw-1.bin", pseudoRandom(6 * MIB + 7, 1)],
  ["src/app-1.log", logLines(9 * MIB, 1)],
  ["src/raw-2.bin", pseudoRandom(300_000, 2)],
  ["src/app-2.log", logLines(3 * MIB + 5, 2)],
  ["src/raw-3.bin", pseudoRandom(8 * MIB, 3)],
  ["src/empty.bin", new Uint8Array(0)],
]);

function entries(bucket: string): SegmentEntry[] {
  const s3 = (key: string) => ({ s3: { bucket, key } });
  return [
    { name: "raw/1.bin", source: s3("src/raw-1.bin"), compression: "store" },
    { name: "logs/1.log", source: s3("src/app-1.log"), size: 9 * MIB },
    { name: "docs/", lastModified: Date.UTC(2025, 0, 1) },
    { name: "docs/readme.txt", source: { text: "Segments of 2026.\n" } },
    { name: "raw/2.bin", source: s3("src/raw-2.bin"), level: 1 },
    { name: "logs/2.log", source: s3("src/app-2.log"), comment: "second" },
    {
      name: "raw/3.bin",
      source: s3("src/raw-3.bin"),
      compression: "store",
      size: 8 * MIB,
      mode: 0o100600,
    },
    { name: "empty.bin", source: s3("src/empty.bin") },
    { name: "docs/latest", source: { text: "readme.txt" }, mode: 0o120777 },
  ];
}

/** What zip() writes for the same entries, their data given as streams. */
async function expected(plan: SegmentPlan): Promise<Uint8Array> {
  const stream = (bytes: Uint8Array) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        if (bytes.length > 0) controller.enqueue(bytes);
        controller.close();
      },
    });
  const all: ZipEntry[] = plan.jobs.flatMap((job) => job.entries).map(
    ({ source, ...fields }) => {
      if (source === undefined) return fields;
      const given = source as { text?: string; s3?: { key: string } };
      // A link's target is given whole, as zip() checks it.
      if (fields.mode === 0o120777) return { ...fields, data: given.text };
      const bytes = given.text !== undefined
        ? new TextEncoder().encode(given.text)
        : OBJECTS.get(given.s3!.key)!;
      return { ...fields, data: stream(bytes) };
    },
  );
  return await bytesOf(zip(all, plan.jobs[0]!.options));
}

async function withObjects(
  fn: (client: S3Client, bucket: string) => Promise<void>,
): Promise<void> {
  await withBucket(async (client, bucket) => {
    for (const [key, body] of OBJECTS) {
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }),
      );
    }
    await fn(client, bucket);
  });
}

const roundTrip = <T>(value: T): T => JSON.parse(JSON.stringify(value));

Deno.test("planSegments cuts entries into segments of whole entries by bytes and by count, as plain JSON", () => {
  const sized = (n: number, size: number) =>
    Array.from({ length: n }, (_, i) => ({
      name: `f${i}`,
      source: { text: "x" },
      size,
    }));
  const byBytes = planSegments(sized(7, 400), {
    bucket: "b",
    key: "k.zip",
    segmentBytes: 1000,
    build: "b1",
    lastModified: LAST_MODIFIED,
  });
  assert.deepEqual(byBytes.jobs.map((job) => job.entries.length), [3, 3, 1]);
  assert.deepEqual(byBytes.jobs.map((job) => job.segmentKey), [
    "k.zip.zipstream-segments/b1/00000",
    "k.zip.zipstream-segments/b1/00001",
    "k.zip.zipstream-segments/b1/00002",
  ]);
  assert.deepEqual(roundTrip(byBytes), byBytes);
  const byCount = planSegments(sized(5, 0), {
    bucket: "b",
    key: "k.zip",
    segmentEntries: 2,
  });
  assert.deepEqual(byCount.jobs.map((job) => job.entries.length), [2, 2, 1]);
  assert.ok(byCount.jobs.every((job) => job.count === 3));
  assert.throws(
    () =>
      planSegments([{ name: "a" }, { name: "a" }], { bucket: "b", key: "k" }),
    /expected each name once but "a" is given twice/,
  );
  assert.throws(
    () => planSegments([], { bucket: "b", key: "k", segmentBytes: 0 }),
    /expected option "segmentBytes" to be a positive integer but got number 0/,
  );
});

Deno.test("buildSegment writes each segment and finishSegments joins them server-side: zip()'s bytes, opened by every reader, nothing left", async () => {
  await withObjects(async (client, bucket) => {
    const plan = roundTrip(
      planSegments(entries(bucket), {
        bucket,
        key: "out/segmented.zip",
        segmentBytes: 8 * MIB,
        lastModified: LAST_MODIFIED,
        comment: "four workers",
      }),
    );
    assert.equal(plan.jobs.length, 3);
    // Jobs run in any order, results travel as JSON; one job runs twice,
    // as a retried job does, and writes the same bytes.
    const results = await Promise.all(
      [...plan.jobs].reverse().map(async (job) =>
        roundTrip(await buildSegment(roundTrip(job), { client }))
      ),
    );
    const again = await buildSegment(plan.jobs[1]!, { client });
    assert.deepEqual(again, results.find((result) => result.index === 1));
    const result = await finishSegments(plan, results, { client });
    const want = await expected(plan);
    assert.equal(result.size, want.length);
    assert.equal(result.segments, 3);
    assert.equal(result.entries, 9);
    assert.ok(result.copiedParts >= 1, "a segment of 5 MiB or more is copied");
    await withTempDir(async (dir) => {
      const path = `${dir}/segmented.zip`;
      await downloadObject(client, bucket, plan.key, path);
      assertSameBytes(await Deno.readFile(path), want, "the archive");
      const dataOf = (key: string) => OBJECTS.get(key)!;
      await assertOpensEverywhere(path, [
        { name: "raw/1.bin", data: dataOf("src/raw-1.bin") },
        {
          name: "logs/1.log",
          digest: {
            size: 9 * MIB,
            crc32: crc32(dataOf("src/app-1.log")),
          },
        },
        { name: "docs/" },
        { name: "docs/readme.txt", data: "Segments of 2026.\n" },
        { name: "raw/2.bin", data: dataOf("src/raw-2.bin") },
        {
          name: "logs/2.log",
          data: dataOf("src/app-2.log"),
          comment: "second",
        },
        { name: "raw/3.bin", data: dataOf("src/raw-3.bin") },
        { name: "empty.bin", data: "" },
        { name: "docs/latest", data: "readme.txt", mode: 0o120777 },
      ], { comment: "four workers" });
    });
    await assertNothingTemporaryLeft(client, bucket, plan.key);
    await assertNothingUnder(client, bucket, plan.segmentPrefix);
  });
});

Deno.test("finishSegments removes the upload a killed worker left under the build's prefix, and refuses results that are not the plan's", async () => {
  await withObjects(async (client, bucket) => {
    const plan = planSegments(entries(bucket).slice(2, 5), {
      bucket,
      key: "out/killed.zip",
      segmentEntries: 2,
      lastModified: LAST_MODIFIED,
    });
    // A worker killed while writing its segment leaves its upload pending.
    await client.send(
      new CreateMultipartUploadCommand({
        Bucket: bucket,
        Key: plan.jobs[0]!.segmentKey,
      }),
    );
    const results = [];
    for (const job of plan.jobs) {
      results.push(await buildSegment(job, { client }));
    }
    await assert.rejects(
      finishSegments(plan, results.slice(1), { client }),
      /expected the results to be one per job \(2\) but got number 1/,
    );
    await assert.rejects(
      finishSegments(plan, [results[0]!, { ...results[1]!, length: 5 }], {
        client,
      }),
      /expected segment 1's result to be the record of its 1 entries/,
    );
    const result = await finishSegments(plan, results, { client });
    const head = await client.send(
      new HeadObjectCommand({ Bucket: bucket, Key: plan.key }),
    );
    assert.equal(head.ContentLength, result.size);
    assertSameBytes(
      await bytesOf(await getObjectStream(client, bucket, plan.key)),
      await expected(plan),
    );
    await assertNothingUnder(client, bucket, plan.segmentPrefix);
  });
});

Deno.test("finishSegments fails when a segment's object is not the one its job wrote, keeps the segments, and discardSegments removes them", async () => {
  await withObjects(async (client, bucket) => {
    const plan = planSegments(entries(bucket).slice(0, 4), {
      bucket,
      key: "out/changed.zip",
      segmentEntries: 2,
      lastModified: LAST_MODIFIED,
    });
    const results = await Promise.all(
      plan.jobs.map((job) => buildSegment(job, { client })),
    );
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: plan.jobs[1]!.segmentKey,
        Body: new Uint8Array(results[1]!.length),
      }),
    );
    await assert.rejects(
      finishSegments(plan, results, { client }),
      /expected segment 1 to be \d+ bytes with ETag .* as its job wrote it, but .* is \d+ bytes with ETag/,
    );
    await assert.rejects(
      client.send(new HeadObjectCommand({ Bucket: bucket, Key: plan.key })),
      (error: Error) => error.name === "NotFound",
    );
    await assertNothingTemporaryLeft(client, bucket, plan.key);
    await discardSegments(plan, { client });
    await assertNothingUnder(client, bucket, plan.segmentPrefix);
  });
});

async function assertNothingUnder(
  client: S3Client,
  bucket: string,
  prefix: string,
): Promise<void> {
  const objects = await client.send(
    new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }),
  );
  assert.deepEqual(objects.Contents ?? [], [], "no segment object is left");
  const uploads = await client.send(
    new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }),
  );
  assert.deepEqual(uploads.Uploads ?? [], [], "no segment upload is left");
}
