/**
 * copyPlanToS3 under faults, on the local Swift server behind the fault
 * proxy: copy parts answered with 500 and SlowDown are retried and the
 * archive is still the plan's bytes; a source object deleted in the middle
 * of the build fails it, and nothing is left (no archive, no upload, no
 * seam); a build killed mid-way resumes from its checkpoint — each checked
 * on the server as well as in what was reported.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  DeleteObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { planZip, type ZipPlan } from "../../mod.ts";
import {
  type CopyCheckpoint,
  copyPlanToS3,
  s3PlanEntries,
  S3UploadError,
} from "../../src/s3/mod.ts";
import { waitUntil } from "../cli/_cli.ts";
import { BUILD_TIME } from "./_copy_build_child.ts";
import { pseudoRandom } from "../_data.ts";
import { withTempDir } from "../_readers.ts";
import { assertNothingTemporaryLeft } from "./_copy_leftovers.ts";
import { FaultProxy, type ProxiedRequest } from "./_fault_proxy.ts";
import {
  downloadObject,
  LOCAL_S3_ENV,
  localClient,
  s3Endpoint,
  withBucket,
} from "./_local_s3.ts";

const MIB = 1024 * 1024;
const SIZES = [7 * MIB, 300, 9 * MIB, 6 * MIB, 1000];

function isUploadPartCopy(request: ProxiedRequest): boolean {
  return request.method === "PUT" && request.query.has("uploadId") &&
    request.headers.has("x-amz-copy-source");
}

async function withPlannedObjects(
  fn: (context: {
    client: S3Client;
    proxied: S3Client;
    proxy: FaultProxy;
    bucket: string;
    plan: ZipPlan;
  }) => Promise<void>,
): Promise<void> {
  await withBucket(async (client, bucket) => {
    for (const [i, size] of SIZES.entries()) {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `src/${i}.bin`,
          Body: pseudoRandom(size, 70 + i),
        }),
      );
    }
    const proxy = FaultProxy.start(s3Endpoint());
    // The SDK's own retries are off (localClient): the build's are tested.
    const proxied = localClient({ endpoint: proxy.endpoint });
    try {
      const plan = await planZip(
        await s3PlanEntries(proxied, { bucket, prefix: "src/" }),
        { lastModified: Date.UTC(2026, 11, 6) },
      );
      await fn({ client, proxied, proxy, bucket, plan });
    } finally {
      proxied.destroy();
      await proxy.close();
    }
  });
}

async function assertNothingLeft(
  client: S3Client,
  bucket: string,
  key: string,
): Promise<void> {
  await assert.rejects(
    client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })),
    (error: Error) => error.name === "NotFound",
    "no archive was stored",
  );
  await assertNothingTemporaryLeft(client, bucket, key);
}

Deno.test("copyPlanToS3 retries copy parts answered 500 and SlowDown, and stores the plan's bytes", async () => {
  await withPlannedObjects(async ({ client, proxied, proxy, bucket, plan }) => {
    proxy.inject(isUploadPartCopy, {
      kind: "status",
      status: 500,
      code: "InternalError",
    }, 2);
    proxy.inject(isUploadPartCopy, {
      kind: "status",
      status: 503,
      code: "SlowDown",
    }, 2);
    const key = "out/retried.zip";
    const result = await copyPlanToS3(plan, {
      client: proxied,
      bucket,
      key,
      retry: { baseDelay: 10 },
    });
    const faulted = proxy.log.filter((entry) => entry.action === "status");
    assert.equal(faulted.length, 4, "four copies were answered with an error");
    assert.equal(result.size, plan.size);
    await withTempDir(async (dir) => {
      await downloadObject(client, bucket, key, `${dir}/a.zip`);
      const planned = new Uint8Array(
        await new Response(plan.slice(0)).arrayBuffer(),
      );
      assert.ok(
        Buffer.from(await Deno.readFile(`${dir}/a.zip`)).equals(planned),
      );
    });
    await assertNothingTemporaryLeft(client, bucket, key);
  });
});

Deno.test("copyPlanToS3 fails when a source object is deleted in the middle of the build, and leaves nothing", async () => {
  await withPlannedObjects(async ({ client, proxied, bucket, plan }) => {
    // Deleted as the first copy is sent: the next copy of it finds nothing.
    let deleted = false;
    proxied.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "UploadPartCopyCommand" && !deleted) {
          deleted = true;
          await client.send(
            new DeleteObjectCommand({ Bucket: bucket, Key: "src/3.bin" }),
          );
        }
        return next(args);
      },
      { step: "initialize", name: "deleteSource" },
    );
    const key = "out/deleted.zip";
    const error = await copyPlanToS3(plan, {
      client: proxied,
      bucket,
      key,
      concurrency: 1,
    })
      .then(() => undefined, (error: unknown) => error);
    assert.ok(deleted, "the object was deleted during the build");
    assert.ok(
      error instanceof S3UploadError,
      `expected an S3UploadError but got ${error}`,
    );
    assert.equal(error.outcome, "nothing-left");
    assert.match(
      error.message,
      /: part \d+, a (copy|seam) of s3:\/\/[^/]+\/src\/3\.bin bytes \d+-\d+.*: .*(NoSuchKey|Not Found|404|changed)/,
    );
    assert.match(
      error.message,
      /nothing was stored: its upload was aborted, its seam objects were removed/,
    );
    await assertNothingLeft(client, bucket, key);
  });
});

Deno.test("copyPlanToS3 killed with SIGKILL mid-build resumes from its last checkpoint: the parts made are kept, the archive is the plan's bytes, nothing is left", async () => {
  await withBucket(async (client, bucket) => {
    for (let i = 0; i < 6; i++) {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `src/${i}.bin`,
          Body: pseudoRandom(i % 2 === 0 ? 6 * MIB : 500, 90 + i),
        }),
      );
    }
    const proxy = FaultProxy.start(s3Endpoint());
    const proxied = localClient({ endpoint: proxy.endpoint });
    try {
      // The third copy never gets an answer: the child is killed waiting.
      let copies = 0;
      proxy.inject((request) => isUploadPartCopy(request) && ++copies >= 3, {
        kind: "stall",
      }, 1);
      await withTempDir(async (dir) => {
        const checkpointFile = `${dir}/checkpoint.json`;
        const key = "out/resumed.zip";
        const child = new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "-A",
            new URL("./_copy_build_child.ts", import.meta.url).pathname,
            proxy.endpoint,
            bucket,
            key,
            checkpointFile,
          ],
          env: LOCAL_S3_ENV,
          stdout: "null",
          stderr: "piped",
        }).spawn();
        await waitUntil("the child has made two parts", async () => {
          try {
            return JSON.parse(await Deno.readTextFile(checkpointFile)).parts
              .length >= 2;
          } catch {
            return false;
          }
        });
        await waitUntil(
          "the third copy is stalled",
          () => Promise.resolve(copies >= 3),
        );
        child.kill("SIGKILL");
        const status = await child.status;
        assert.equal(status.signal, "SIGKILL");
        proxy.rules.length = 0;

        const checkpoint: CopyCheckpoint = JSON.parse(
          await Deno.readTextFile(checkpointFile),
        );
        assert.equal(checkpoint.parts.length, 2);
        const plan = await planZip(
          await s3PlanEntries(proxied, { bucket, prefix: "src/" }),
          { lastModified: BUILD_TIME },
        );
        proxy.log.length = 0;
        const result = await copyPlanToS3(plan, {
          client: proxied,
          bucket,
          key,
          resume: checkpoint,
        });
        assert.equal(result.size, plan.size);
        const remade = proxy.log.filter((entry) => {
          const query = new URLSearchParams(entry.query);
          return entry.method === "PUT" &&
            query.get("uploadId") === checkpoint.uploadId &&
            checkpoint.parts.some((part) =>
              String(part.partNumber) === query.get("partNumber")
            );
        });
        assert.deepEqual(
          remade,
          [],
          "the parts the checkpoint lists are not made again",
        );
        await downloadObject(client, bucket, key, `${dir}/resumed.zip`);
        const planned = new Uint8Array(
          await new Response(plan.slice(0)).arrayBuffer(),
        );
        assert.ok(
          Buffer.from(await Deno.readFile(`${dir}/resumed.zip`)).equals(
            planned,
          ),
        );
        // The killed build's seams, and the stalled seam's upload, included.
        await assertNothingTemporaryLeft(client, bucket, key);
      });
    } finally {
      proxied.destroy();
      await proxy.close();
    }
  });
});
