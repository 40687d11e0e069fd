/**
 * copyPlanToS3 with appended entries on the local Swift server, behind a
 * proxy that counts what the client sends and reads: the stored objects
 * are copied server-side and the compressed entries streamed after them,
 * and the object is byte-identical to `zip()` of the same entries, opened
 * by every reader; a failing appended entry leaves nothing, or with
 * `abortOnFailure: false` a build that resumes to the same bytes.
 */

import assert from "node:assert/strict";
import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { crc32, planZip, zip, type ZipEntry, type ZipPlan } from "../../mod.ts";
import {
  type CopyCheckpoint,
  copyPlanToS3,
  s3PlanEntries,
  S3UploadError,
} from "../../src/s3/mod.ts";
import { assertSameBytes, bytesOf, pseudoRandom } from "../_data.ts";
import { assertOpensEverywhere, withTempDir } from "../_readers.ts";
import { assertNothingTemporaryLeft } from "./_copy_leftovers.ts";
import { FaultProxy } from "./_fault_proxy.ts";
import {
  downloadObject,
  localClient,
  s3Endpoint,
  withBucket,
} from "./_local_s3.ts";

const MIB = 1024 * 1024;
const LAST_MODIFIED = Date.UTC(2026, 11, 6);
const SIZES = [6 * MIB, 300, 9 * MIB, 7 * MIB, 1000];

function logText(length: number): Uint8Array {
  const line = (i: number) =>
    `2026-12-06T06:${String(i % 60).padStart(2, "0")} GET /item/${
      (i * 7919) % 100_000
    } 200 ${(i * 31) % 9000}\n`;
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < length; i++) {
    const text = line(i);
    parts.push(text);
    size += text.length;
  }
  return new TextEncoder().encode(parts.join("")).subarray(0, length);
}

/** Compressed entries, one stored, one streamed of unknown size: 26 MiB in all. */
function appended(failAfter?: number): ZipEntry[] {
  const log = logText(4 * MIB);
  const noise = pseudoRandom(20 * MIB, 7);
  const streamed = logText(2 * MIB);
  return [
    { name: "logs/app.log", data: log },
    { name: "raw/noise.bin", data: noise, compression: "store" },
    {
      name: "logs/streamed.log",
      data: new ReadableStream({
        start(controller) {
          for (let at = 0; at < streamed.length; at += 64 * 1024) {
            if (failAfter !== undefined && at >= failAfter) {
              controller.error(new Error("the log source broke"));
              return;
            }
            controller.enqueue(streamed.slice(at, at + 64 * 1024));
          }
          controller.close();
        },
      }),
    },
  ];
}

/** What the appended entries hold, for the readers. */
function appendedContents(): { name: string; data: Uint8Array }[] {
  return [
    { name: "logs/app.log", data: logText(4 * MIB) },
    { name: "raw/noise.bin", data: pseudoRandom(20 * MIB, 7) },
    { name: "logs/streamed.log", data: logText(2 * MIB) },
  ];
}

async function withObjects(
  fn: (context: {
    client: ReturnType<typeof localClient>;
    bucket: string;
    objects: Map<string, Uint8Array>;
  }) => Promise<void>,
): Promise<void> {
  await withBucket(async (client, bucket) => {
    const objects = new Map<string, Uint8Array>();
    for (const [i, size] of SIZES.entries()) {
      const key = `src/${i}.bin`;
      objects.set(key, pseudoRandom(size, 60 + i));
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: objects.get(key),
        }),
      );
    }
    await fn({ client, bucket, objects });
  });
}

/** zip() of the plan's entries (stored, with CRCs) and the appended ones. */
async function expectedArchive(
  plan: ZipPlan,
  objects: Map<string, Uint8Array>,
): Promise<Uint8Array> {
  const planned: ZipEntry[] = plan.entries.map((entry) => ({
    name: entry.name,
    data: objects.get(`src/${entry.name}`)!,
    crc32: entry.crc32,
    lastModified: entry.lastModified,
    compression: "store",
  }));
  return await bytesOf(
    zip([...planned, ...appended()], { lastModified: LAST_MODIFIED }),
  );
}

Deno.test("copyPlanToS3 with appended entries copies the objects and streams the compressed entries after them: zip()'s bytes, opened by every reader, the large objects copied", async () => {
  await withObjects(async ({ client, bucket, objects }) => {
    const proxy = FaultProxy.start(s3Endpoint());
    const proxied = localClient({ endpoint: proxy.endpoint });
    try {
      const plan = await planZip(
        await s3PlanEntries(proxied, { bucket, prefix: "src/" }),
        { lastModified: LAST_MODIFIED },
      );
      const expected = await expectedArchive(plan, objects);
      proxy.log.length = 0;
      const key = "out/mixed.zip";
      const result = await copyPlanToS3(plan, {
        client: proxied,
        bucket,
        key,
        append: { entries: appended() },
      });
      const build = [...proxy.log];
      assert.equal(result.size, expected.length);
      const head = await client.send(
        new HeadObjectCommand({ Bucket: bucket, Key: key }),
      );
      assert.equal(head.ContentLength, expected.length);
      await withTempDir(async (dir) => {
        const path = `${dir}/mixed.zip`;
        await downloadObject(client, bucket, key, path);
        assertSameBytes(await Deno.readFile(path), expected);
        await assertOpensEverywhere(path, [
          ...[...objects].map(([objectKey, data]) => ({
            name: objectKey.slice("src/".length),
            digest: { size: data.length, crc32: crc32(data) },
          })),
          ...appendedContents().map(({ name, data }) => ({
            name,
            digest: { size: data.length, crc32: crc32(data) },
          })),
        ]);
      });
      // The client sent the appended entries, the glue and the start, and
      // read only what it sent of the objects.
      const sent = build.filter((entry) => entry.method === "PUT").reduce(
        (sum, entry) => sum + entry.bodyBytesForwarded,
        0,
      );
      assert.equal(sent, result.bytesSent);
      const read = build.filter((entry) =>
        entry.method === "GET" && entry.range !== undefined
      ).reduce((sum, entry) => {
        const [first, last] = entry.range!.slice("bytes=".length).split("-")
          .map(Number);
        return sum + last! - first! + 1;
      }, 0);
      assert.equal(read, result.bytesRead);
      // The first object, under 10 MiB, cannot both lend the archive's
      // first part 5 MiB and be copied: it is sent whole, as are the small
      // ones. The others are copied.
      assert.equal(read, SIZES[0]! + 300 + 1000);
      const big = SIZES.filter((size) => size >= 5 * MIB)
        .reduce((sum, size) => sum + size, 0);
      assert.ok(
        result.bytesSent <= expected.length - big + SIZES[0]!,
        `sent ${result.bytesSent} of ${expected.length}`,
      );
      assert.ok(result.bytesCopied >= big - SIZES[0]!);
      const archiveParts = build.filter((entry) =>
        entry.method === "PUT" && entry.path.endsWith(`/${key}`) &&
        new URLSearchParams(entry.query).has("partNumber")
      );
      assert.equal(archiveParts.length, result.parts);
      // The appended 26 MiB go as parts of 16 MiB after the copies.
      assert.ok(result.parts - result.copiedParts - result.seams >= 3);
      await assertNothingTemporaryLeft(client, bucket, key);
    } finally {
      proxied.destroy();
      await proxy.close();
    }
  });
});

Deno.test("copyPlanToS3 fails naming the appended entry whose source broke, and leaves nothing", async () => {
  await withObjects(async ({ client, bucket }) => {
    const plan = await planZip(
      await s3PlanEntries(client, { bucket, prefix: "src/" }),
      { lastModified: LAST_MODIFIED },
    );
    const key = "out/broken.zip";
    const error = await copyPlanToS3(plan, {
      client,
      bucket,
      key,
      append: { entries: appended(MIB) },
    }).then(
      () => assert.fail("a build with a broken source succeeded"),
      (error: unknown) => error,
    );
    assert.ok(error instanceof S3UploadError, String(error));
    assert.equal(error.outcome, "nothing-left");
    assert.match(error.message, /logs\/streamed\.log/);
    assert.match(error.message, /the log source broke/);
    assert.match(error.message, /nothing was stored/);
    await assert.rejects(
      client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })),
      (e: Error) => e.name === "NotFound",
    );
    await assertNothingTemporaryLeft(client, bucket, key);
  });
});

Deno.test("copyPlanToS3 with appended entries, kept after a failure, resumes from its checkpoint to zip()'s bytes: the copies kept, the appended entries streamed again", async () => {
  await withObjects(async ({ client, bucket, objects }) => {
    const plan = await planZip(
      await s3PlanEntries(client, { bucket, prefix: "src/" }),
      { lastModified: LAST_MODIFIED },
    );
    const key = "out/resumed.zip";
    let checkpoint: CopyCheckpoint | undefined;
    const error = await copyPlanToS3(plan, {
      client,
      bucket,
      key,
      abortOnFailure: false,
      onCheckpoint: (next) => {
        checkpoint = structuredClone(next);
      },
      append: { entries: appended(MIB) },
    }).then(
      () => assert.fail("a build with a broken source succeeded"),
      (error: unknown) => error,
    );
    assert.ok(error instanceof S3UploadError, String(error));
    assert.equal(error.uploadKept, true);
    assert.ok(checkpoint !== undefined && checkpoint.parts.length > 0);
    const result = await copyPlanToS3(plan, {
      client,
      bucket,
      key,
      resume: checkpoint,
      append: { entries: appended() },
    });
    const expected = await expectedArchive(plan, objects);
    assert.equal(result.size, expected.length);
    await withTempDir(async (dir) => {
      const path = `${dir}/resumed.zip`;
      await downloadObject(client, bucket, key, path);
      assertSameBytes(await Deno.readFile(path), expected);
    });
    await assertNothingTemporaryLeft(client, bucket, key);
  });
});
