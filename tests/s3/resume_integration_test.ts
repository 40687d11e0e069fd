import assert from "node:assert/strict";
import { pseudoRandomBytes } from "../_pseudo_random.ts";
import { AbortMultipartUploadCommand } from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import { type WrittenEntry, zip, type ZipEntry } from "../../mod.ts";
import {
  checkpointOffset,
  S3UploadError,
  type UploadCheckpoint,
  uploadToS3,
} from "../../src/s3/mod.ts";
import { FaultProxy, isUploadPart } from "./_fault_proxy.ts";
import {
  localClient,
  objectSha256,
  pendingUploads,
  s3Endpoint,
  withBucket,
} from "./_local_s3.ts";

const MIB = 1024 * 1024;
const PART = 5 * MIB;
const ENTRY_SIZE = 3 * MIB + 777;
const ENTRY_COUNT = 9;
const FIXED_TIME = Date.UTC(2026, 0, 1);

function contentOf(index: number): Uint8Array {
  return pseudoRandomBytes(ENTRY_SIZE, index + 1);
}

/** Stored entries of known size; `reads` counts the bytes taken from each source. */
function entries(reads: number[] = Array(ENTRY_COUNT).fill(0)): ZipEntry[] {
  return Array.from({ length: ENTRY_COUNT }, (_, index) => {
    const bytes = contentOf(index);
    let offset = 0;
    return {
      name: `data/${index}.bin`,
      size: bytes.length,
      compression: "store",
      lastModified: FIXED_TIME,
      data: new ReadableStream<Uint8Array>({
        pull(controller) {
          if (offset >= bytes.length) return controller.close();
          const chunk = bytes.slice(offset, offset + 256 * 1024);
          offset += chunk.length;
          reads[index]! += chunk.length;
          controller.enqueue(chunk);
        },
      }, { highWaterMark: 0 }),
    };
  });
}

async function sha256Of(stream: ReadableStream<Uint8Array>): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of stream) hash.update(chunk);
  return hash.digest("hex");
}

/**
 * Uploads the archive through a proxy that refuses part 4 for good, keeping
 * the upload, and returns the last checkpoint and the entries' records.
 */
async function interruptedUpload(
  bucket: string,
  key: string,
): Promise<{ checkpoint: UploadCheckpoint; records: WrittenEntry[] }> {
  const proxy = FaultProxy.start(s3Endpoint());
  proxy.inject(isUploadPart(4), {
    kind: "status",
    status: 403,
    code: "AccessDenied",
  }, 10);
  const client = localClient({ endpoint: proxy.endpoint });
  const records: WrittenEntry[] = [];
  let checkpoint: UploadCheckpoint | undefined;
  try {
    const error = await uploadToS3(
      zip(entries(), { onEntry: (entry) => records.push(entry) }),
      {
        client,
        bucket,
        key,
        partSize: PART,
        concurrency: 1,
        abortOnFailure: false,
        onCheckpoint: (c) => {
          checkpoint = JSON.parse(JSON.stringify(c));
        },
        retry: { baseDelay: 0, maxDelay: 0 },
      },
    ).then(() => assert.fail("expected part 4 to fail"), (e: unknown) => e);
    assert.ok(error instanceof S3UploadError);
    assert.equal(error.uploadKept, true);
    assert.equal(error.partNumber, 4);
  } finally {
    client.destroy();
    await proxy.close();
  }
  return { checkpoint: checkpoint!, records };
}

Deno.test("uploadToS3() resumes a kept upload on the local server from the checkpoint's offset, reading and sending only what is missing", async () => {
  await withBucket(async (client, bucket) => {
    const { checkpoint, records } = await interruptedUpload(
      bucket,
      "resumed.zip",
    );
    assert.deepEqual(checkpoint.parts.map((p) => p.partNumber), [1, 2, 3]);
    const offset = checkpointOffset(checkpoint);
    assert.equal(offset, 3 * PART);

    const proxy = FaultProxy.start(s3Endpoint());
    const proxied = localClient({ endpoint: proxy.endpoint });
    const reads: number[] = Array(ENTRY_COUNT).fill(0);
    try {
      const result = await uploadToS3(
        zip(entries(reads), { resume: { offset, entries: records } }),
        {
          client: proxied,
          bucket,
          key: "resumed.zip",
          partSize: PART,
          resume: checkpoint,
          bodyOffset: offset,
        },
      );
      const full = await sha256Of(zip(entries()));
      assert.equal(await objectSha256(client, bucket, "resumed.zip"), full);
      const sent = proxy.log.filter((entry) =>
        entry.method === "PUT" && entry.query.includes("partNumber=")
      ).reduce((sum, entry) => sum + entry.bodyBytesForwarded, 0);
      assert.equal(sent, result.size - offset);
      assert.ok(!proxy.log.some((entry) => entry.query.includes("uploads")));
      // Entries 0 to 3 end before 15 MiB: their sources are not read.
      assert.deepEqual(reads.slice(0, 4), [0, 0, 0, 0]);
      assert.equal(reads[4], ENTRY_SIZE);
      assert.deepEqual(await pendingUploads(client, bucket, "resumed.zip"), []);
    } finally {
      proxied.destroy();
      await proxy.close();
    }
  });
});

Deno.test("uploadToS3() says the upload no longer exists when resuming an aborted one on the local server", async () => {
  await withBucket(async (client, bucket) => {
    const { checkpoint } = await interruptedUpload(bucket, "gone.zip");
    await client.send(
      new AbortMultipartUploadCommand({
        Bucket: bucket,
        Key: "gone.zip",
        UploadId: checkpoint.uploadId,
      }),
    );
    const error = await uploadToS3(zip(entries()), {
      client,
      bucket,
      key: "gone.zip",
      partSize: PART,
      resume: checkpoint,
    }).then(
      () => assert.fail("expected the resume to fail"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof S3UploadError);
    assert.equal(error.uploadKept, false);
    assert.match(
      error.message,
      new RegExp(
        `^Cannot upload to s3://${bucket}/gone\\.zip \\(upload ID [^)]+\\): cannot resume: upload ID \\S+ no longer exists \\(it was aborted or completed, or a lifecycle rule expired it\\); start a new upload without the checkpoint: ListParts failed after 1 attempt: NoSuchUpload`,
      ),
    );
    assert.deepEqual(await pendingUploads(client, bucket, "gone.zip"), []);
  });
});
