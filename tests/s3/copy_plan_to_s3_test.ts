/**
 * copyPlanToS3 on the local Swift server (its s3api copies ranges into
 * parts and enforces the 5 MiB minimum), behind a proxy that counts what
 * the client sends and asks for: the archive is byte-identical to the
 * plan's bytes and opens in every reader, the client sends only glue, and
 * nothing temporary is left.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { crc32, planZip } from "../../mod.ts";
import {
  copyPlanToS3,
  s3PlanEntries,
  S3UploadError,
} from "../../src/s3/mod.ts";
import { pseudoRandom } from "../_data.ts";
import { assertOpensEverywhere, withTempDir } from "../_readers.ts";
import { assertNothingTemporaryLeft } from "./_copy_leftovers.ts";
import { FaultProxy } from "./_fault_proxy.ts";
import { withMotoBucket } from "./_local_moto.ts";
import {
  downloadObject,
  localClient,
  s3Endpoint,
  withBucket,
} from "./_local_s3.ts";

const MIB = 1024 * 1024;
const LAST_MODIFIED = Date.UTC(2026, 11, 6);

/** 120 sizes from 0 B to 40 MiB, the 5 MiB and 10 MiB boundaries among them. */
function objectSizes(): number[] {
  const sizes = [
    0,
    1,
    5 * MIB - 1,
    5 * MIB,
    5 * MIB + 1,
    10 * MIB - 1,
    10 * MIB,
    10 * MIB + 1,
    40 * MIB,
    7 * MIB,
    0,
    6 * MIB,
    40 * MIB - 3,
    5 * MIB,
  ];
  for (let i = 0; sizes.length < 120; i++) {
    sizes.push((i * 7919) % (300 * 1024));
  }
  return sizes;
}

async function putObjects(
  client: S3Client,
  bucket: string,
  sizes: readonly number[],
): Promise<Map<string, Uint8Array>> {
  const objects = new Map<string, Uint8Array>();
  sizes.forEach((size, i) =>
    objects.set(`src/${String(i).padStart(3, "0")}.bin`, pseudoRandom(size, i))
  );
  const keys = [...objects.keys()];
  let next = 0;
  const put = async () => {
    while (next < keys.length) {
      const key = keys[next++]!;
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: objects.get(key),
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: 8 }, put));
  return objects;
}

Deno.test("copyPlanToS3 builds 120 objects of 0 B to 40 MiB into an archive byte-identical to the plan, sending only the glue", async () => {
  await withBucket(async (client, bucket) => {
    const objects = await putObjects(client, bucket, objectSizes());
    const proxy = FaultProxy.start(s3Endpoint());
    const proxied = localClient({ endpoint: proxy.endpoint });
    try {
      const entries = await s3PlanEntries(proxied, { bucket, prefix: "src/" });
      const plan = await planZip(entries, { lastModified: LAST_MODIFIED });
      proxy.log.length = 0;
      const key = "out/archive.zip";
      const result = await copyPlanToS3(plan, { client: proxied, bucket, key });
      const build = [...proxy.log];

      const head = await client.send(
        new HeadObjectCommand({ Bucket: bucket, Key: key }),
      );
      assert.equal(head.ContentLength, plan.size);
      assert.equal(result.size, plan.size);
      await withTempDir(async (dir) => {
        const path = `${dir}/archive.zip`;
        await downloadObject(client, bucket, key, path);
        const stored = await Deno.readFile(path);
        const planned = new Uint8Array(
          await new Response(plan.slice(0)).arrayBuffer(),
        );
        assert.ok(
          stored.length === planned.length &&
            stored.every((byte, i) => byte === planned[i]),
          "the archive is the plan's bytes",
        );
        await assertOpensEverywhere(
          path,
          [...objects].map(([objectKey, data]) => ({
            name: objectKey.slice("src/".length),
            digest: { size: data.length, crc32: crc32(data) },
          })),
        );
      });

      // What the client sent: the glue, counted by the proxy. Parts are
      // PUT; POSTs (creating and completing uploads) carry a few hundred
      // bytes of XML each.
      const sent = build.filter((entry) => entry.method === "PUT").reduce(
        (sum, entry) => sum + entry.bodyBytesForwarded,
        0,
      );
      assert.equal(
        sent,
        result.bytesSent,
        "the proxy counted the parts' bytes the result says were sent",
      );
      const read = build.filter((entry) =>
        entry.method === "GET" && entry.range !== undefined
      )
        .reduce((sum, entry) => {
          const [first, last] = entry.range!.slice("bytes=".length).split("-")
            .map(Number);
          return sum + last! - first! + 1;
        }, 0);
      assert.equal(
        read,
        result.bytesRead,
        "the ranged GETs are what the result says was read",
      );
      const big = [...objects.values()].filter((data) =>
        data.length >= 5 * MIB
      );
      const glue = plan.size - big.reduce((sum, data) => sum + data.length, 0);
      assert.ok(
        result.bytesSent <= glue + 5 * MIB,
        `sent ${result.bytesSent}: at most the glue (${glue}: headers, small objects, the central directory) and one 5 MiB start`,
      );
      // The parts the result counts are those the archive's upload got:
      // copies carry no body, sent parts do.
      const archiveParts = build.filter((entry) =>
        entry.method === "PUT" && entry.path.endsWith(`/${key}`) &&
        new URLSearchParams(entry.query).has("partNumber")
      );
      assert.equal(archiveParts.length, result.parts);
      assert.equal(
        archiveParts.filter((entry) => entry.bodyBytesForwarded > 0).length,
        result.parts - result.copiedParts - result.seams,
      );
      assert.ok(
        result.seams > 0 &&
          result.bytesCopied >
            big.reduce((sum, data) => sum + data.length, 0) - 10 * MIB,
      );
      await assertNothingTemporaryLeft(client, bucket, key);
    } finally {
      proxied.destroy();
      await proxy.close();
    }
  });
});

Deno.test("copyPlanToS3 fails naming the change when an object changes after planning, and leaves nothing: no archive, no upload, no seam", async () => {
  await withBucket(async (client, bucket) => {
    const objects = await putObjects(client, bucket, [
      6 * MIB,
      100,
      8 * MIB,
      7 * MIB,
      300,
    ]);
    const entries = await s3PlanEntries(client, { bucket, prefix: "src/" });
    const plan = await planZip(entries, { lastModified: LAST_MODIFIED });
    const changed = [...objects.keys()][2]!;
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: changed,
        Body: pseudoRandom(8 * MIB, 99),
      }),
    );
    const key = "out/changed.zip";
    const error = await copyPlanToS3(plan, {
      client,
      bucket,
      key,
      concurrency: 1,
    }).then(
      () => assert.fail("the build of a changed object succeeded"),
      (error: unknown) => error,
    );
    assert.ok(error instanceof S3UploadError, String(error));
    assert.equal(error.outcome, "nothing-left");
    assert.match(
      error.message,
      /Cannot build s3:\/\/.*\/out\/changed\.zip: .*nothing was stored: its upload was aborted, its seam objects were removed/,
    );
    await assert.rejects(
      client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })),
      (e: Error) => e.name === "NotFound",
    );
    await assertNothingTemporaryLeft(client, bucket, key);
  });
});

Deno.test("copyPlanToS3 on moto, whose objects carry CRC32 checksums: planning reads nothing, and the build reads only what is too small to copy", async () => {
  await withMotoBucket(async (client, bucket) => {
    const sizes = [6 * MIB, 100, 12 * MIB, 0, 5 * MIB + 3];
    const objects = new Map<string, Uint8Array>();
    for (const [i, size] of sizes.entries()) {
      const key = `src/${i}.bin`;
      objects.set(key, pseudoRandom(size, 40 + i));
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: objects.get(key),
          ChecksumAlgorithm: "CRC32",
        }),
      );
    }
    const gets: string[] = [];
    client.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === "GetObjectCommand") {
          gets.push(String((args.input as { Range?: string }).Range));
        }
        return next(args);
      },
      { step: "initialize", name: "countGets" },
    );
    const plan = await planZip(
      await s3PlanEntries(client, { bucket, prefix: "src/" }),
      { lastModified: LAST_MODIFIED },
    );
    assert.equal(gets.length, 0, "the CRCs come from the checksums");
    const key = "out/moto.zip";
    const result = await copyPlanToS3(plan, { client, bucket, key });
    assert.equal(
      result.bytesRead,
      gets.reduce((sum, range) => {
        const [first, last] = range.slice("bytes=".length).split("-").map(
          Number,
        );
        return sum + last! - first! + 1;
      }, 0),
    );
    // The first object cannot lend the archive's first part the 5 MiB it
    // lacks and keep 5 MiB to copy, so it is sent with the 100-byte one; the
    // 12 MiB and 5 MiB objects are copied, unread.
    assert.equal(result.bytesRead, 6 * MIB + 100);
    client.middlewareStack.remove("countGets");
    await withTempDir(async (dir) => {
      const path = `${dir}/moto.zip`;
      const stored = await client.send(
        new GetObjectCommand({ Bucket: bucket, Key: key }),
      );
      await Deno.writeFile(path, await stored.Body!.transformToByteArray());
      const planned = new Uint8Array(
        await new Response(plan.slice(0)).arrayBuffer(),
      );
      assert.ok(
        Buffer.from(await Deno.readFile(path)).equals(planned),
        "the archive is the plan's bytes",
      );
      await assertOpensEverywhere(
        path,
        [...objects].map(([objectKey, data]) => ({
          name: objectKey.slice("src/".length),
          data,
        })),
      );
    });
    await assertNothingTemporaryLeft(client, bucket, key);
  });
});
