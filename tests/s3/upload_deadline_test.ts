/**
 * uploadToS3's `deadline` on the local Swift server: a run whose deadline
 * has come sends no new part, keeps the upload and resolves with its
 * checkpoint; runs resumed from it one after another store the body byte
 * for byte, and nothing is left pending. Checked on the server: the paused
 * upload is listed with the parts the checkpoint names.
 */

import assert from "node:assert/strict";
import { ListPartsCommand } from "@aws-sdk/client-s3";
import {
  checkpointOffset,
  type PausedUpload,
  S3UploadStream,
  type UploadCheckpoint,
  uploadToS3,
} from "../../src/s3/mod.ts";
import { assertSameBytes, bytesOf, pseudoRandom } from "../_data.ts";
import { FaultProxy, isUploadPart } from "./_fault_proxy.ts";
import {
  getObjectStream,
  localClient,
  pendingUploads,
  s3Endpoint,
  withBucket,
} from "./_local_s3.ts";

const MIB = 1024 * 1024;

/** The body from `offset` on, in chunks of 256 KiB. */
function bodyFrom(
  body: Uint8Array,
  offset: number,
): ReadableStream<Uint8Array> {
  let at = offset;
  return new ReadableStream({
    pull(controller) {
      if (at >= body.length) return controller.close();
      controller.enqueue(body.slice(at, at + 256 * 1024));
      at += 256 * 1024;
    },
  });
}

Deno.test("uploadToS3 with a deadline already past sends one part a run, keeps the upload between runs, and the resumed runs store the body", async () => {
  await withBucket(async (client, bucket) => {
    const key = "paused.bin";
    const body = pseudoRandom(40 * MIB, 17);
    let saved: UploadCheckpoint | undefined;
    let runs = 0;
    const paused: PausedUpload[] = [];
    for (;;) {
      runs++;
      assert.ok(runs <= 10, "the runs end");
      const result = await uploadToS3(
        bodyFrom(body, saved === undefined ? 0 : checkpointOffset(saved)),
        {
          client,
          bucket,
          key,
          partSize: 5 * MIB,
          concurrency: 2,
          contentLength: body.length,
          onCheckpoint: (checkpoint) => {
            saved = structuredClone(checkpoint);
          },
          deadline: 0,
          ...(saved === undefined
            ? {}
            : { resume: saved, bodyOffset: checkpointOffset(saved) }),
        },
      );
      if (result.outcome !== "paused") break;
      paused.push(result);
      saved = result.checkpoint;
      // On the server: the upload is pending with the checkpoint's parts.
      const listed = await client.send(
        new ListPartsCommand({
          Bucket: bucket,
          Key: key,
          UploadId: result.uploadId,
        }),
      );
      assert.deepEqual(
        (listed.Parts ?? []).map((part) => [part.PartNumber, part.ETag]),
        result.checkpoint.parts.map((part) => [part.partNumber, part.etag]),
      );
      assert.equal(result.parts, runs, "one new part a run");
      assert.equal(result.bytesUploaded, runs * 5 * MIB);
    }
    // 8 parts: 6 runs paused after one part each; the 7th sent part 7,
    // then the last, which is always sent (the end is worth reaching).
    assert.equal(runs, 7);
    assert.equal(paused.length, 6);
    assert.ok(paused.every((p) => p.uploadId === paused[0]!.uploadId));
    assertSameBytes(
      await bytesOf(await getObjectStream(client, bucket, key)),
      body,
      "the stored object",
    );
    assert.deepEqual(await pendingUploads(client, bucket, key), []);
  });
});

Deno.test("uploadToS3 with a deadline far off stores the body in one run, and a deadline needs onCheckpoint", async () => {
  await withBucket(async (client, bucket) => {
    const body = pseudoRandom(12 * MIB, 3);
    const result = await uploadToS3(bodyFrom(body, 0), {
      client,
      bucket,
      key: "whole.bin",
      partSize: 5 * MIB,
      onCheckpoint: () => {},
      deadline: new Date(Date.now() + 3_600_000),
    });
    assert.equal(result.outcome, "stored");
    await assert.rejects(
      uploadToS3(bodyFrom(body, 0), {
        client,
        bucket,
        key: "refused.bin",
        deadline: 0,
      }),
      /expected option "onCheckpoint" to be a function with deadline/,
    );
    assert.throws(
      () =>
        new S3UploadStream({
          client,
          bucket,
          key: "stream.bin",
          deadline: 0,
        }),
      /expected no deadline \(uploadToS3 takes one/,
    );
    for (const key of ["whole.bin", "refused.bin"]) {
      assert.deepEqual(await pendingUploads(client, bucket, key), []);
    }
  });
});

Deno.test("uploadToS3 starts no part that its parts' times say would be answered after the deadline", async () => {
  await withBucket(async (client, bucket) => {
    const proxy = FaultProxy.start(s3Endpoint());
    const proxied = localClient({ endpoint: proxy.endpoint });
    try {
      // Every part is answered 2 s after S3 took it; the deadline is 3 s
      // off. Part 1 goes at once. Once it is answered (at 2 s or later),
      // part 2 would be answered at 4 s or later: the run pauses instead
      // of ending a part or two past its deadline.
      proxy.inject(isUploadPart(), { kind: "delay-answer", ms: 2000 }, 100);
      const body = pseudoRandom(30 * MIB, 29);
      let saved: UploadCheckpoint | undefined;
      const result = await uploadToS3(bodyFrom(body, 0), {
        client: proxied,
        bucket,
        key: "timed.bin",
        partSize: 5 * MIB,
        concurrency: 1,
        onCheckpoint: (checkpoint) => {
          saved = structuredClone(checkpoint);
        },
        deadline: Date.now() + 3000,
      });
      assert.equal(result.outcome, "paused");
      assert.equal(result.parts, 1);
      assert.equal(saved?.parts.length, 1);
      const sent = proxy.log.filter((entry) =>
        entry.method === "PUT" && /partNumber=/.test(entry.query)
      );
      assert.equal(sent.length, 1, "part 2 was never sent");
    } finally {
      proxied.destroy();
      await proxy.close();
    }
    // On the server: the upload is pending with the one part.
    const [uploadId] = await pendingUploads(client, bucket, "timed.bin");
    assert.ok(uploadId !== undefined);
    const listed = await client.send(
      new ListPartsCommand({
        Bucket: bucket,
        Key: "timed.bin",
        UploadId: uploadId,
      }),
    );
    assert.deepEqual(listed.Parts?.map((part) => part.PartNumber), [1]);
  });
});
