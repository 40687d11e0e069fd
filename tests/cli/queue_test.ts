/**
 * `zipstream --queue redis://… s3://b/src/ -o s3://b/out.zip` with four
 * `zipstream worker` processes on the local Redis and S3 servers, one of
 * them killed with SIGKILL while it writes a segment: BullMQ hands its job
 * to another, and the object is byte-identical to the single-process
 * build, opened by every reader, with nothing left under the build's
 * prefix and no upload pending.
 */

import assert from "node:assert/strict";
import {
  DeleteObjectCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { assertSameBytes, pseudoRandom } from "../_data.ts";
import { assertOpensEverywhere } from "../_readers.ts";
import {
  getObjectStream,
  LOCAL_S3_ENV,
  s3Endpoint,
  withBucket,
} from "../s3/_local_s3.ts";
import { QUEUE_NAME, queueConnection } from "../../src/cli/_queue.ts";
import { FaultProxy, isPutObject } from "../s3/_fault_proxy.ts";
import { runCli } from "./_cli.ts";
import { CliProcess, keysUnder, redisUrl, startWorker } from "./_queue_run.ts";

const MIB = 1024 * 1024;

function logText(length: number, seed: number): Uint8Array {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < length; i++) {
    const line = `2026-12-06T07:${
      String(i % 60).padStart(2, "0")
    } host=${seed} GET /item/${(i * 7919 + seed) % 50_021} ${
      (i * 31) % 997
    }ms\n`;
    parts.push(line);
    size += line.length;
  }
  return new TextEncoder().encode(parts.join("")).subarray(0, length);
}

/** 10 logs of 6 MiB to deflate and 2 photos to store: 72 MiB. */
function objects(): [string, Uint8Array][] {
  return [
    ...Array.from(
      { length: 10 },
      (_, i) => [`logs/${i}.log`, logText(6 * MIB, i)] as [string, Uint8Array],
    ),
    ["photos/a.jpg", pseudoRandom(5 * MIB, 1)],
    ["photos/b.jpg", pseudoRandom(7 * MIB, 2)],
  ];
}

Deno.test("zipstream --queue with 4 workers, one killed with SIGKILL mid-segment, stores the single-process build's bytes and leaves nothing", async () => {
  const endpoint = s3Endpoint();
  const queue = redisUrl();
  await withBucket(async (client, bucket) => {
    const data = objects();
    for (const [name, body] of data) {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `src/${name}`,
          Body: body,
        }),
      );
    }
    const workers = Array.from(
      { length: 4 },
      () => startWorker(queue, endpoint),
    );
    try {
      await Promise.all(
        workers.map((worker) => worker.waitFor(/waiting for segments on/)),
      );
      const build = runCli([
        "--queue",
        queue,
        "--segment-size",
        "12MiB",
        `s3://${bucket}/src/`,
        "-o",
        `s3://${bucket}/out.zip`,
        "--endpoint",
        endpoint,
      ], { env: LOCAL_S3_ENV });
      // The first worker to take a segment is killed while writing it.
      const victim = await Promise.any(
        workers.map(async (worker) => {
          await worker.waitFor(/writing segment \d+\/\d+ of build/);
          return worker;
        }),
      );
      const killed = await victim.stop("SIGKILL");
      assert.equal(killed.signal, "SIGKILL");
      const result = await build;
      assert.equal(result.code, 0, result.stderr);
      assert.match(
        result.stderr,
        /\d+ segments of build \w+ queued on redis:\/\//,
      );
      assert.match(
        result.stderr,
        /zipstream: 12 entries, 72\.0 MiB in, .* out \(\d+\.\d%\), \d+ segments written by workers, built server-side: .* -> s3:\/\/.*\/out\.zip \([\d,]+ bytes, ETag "[^"]+"\)\n$/,
      );
      const survivors = workers.filter((worker) => worker !== victim);
      const wrote = survivors.flatMap((worker) =>
        worker.lines.filter((line) => /wrote segment/.test(line))
      );
      const segments = Number(
        /(\d+) segments of build/.exec(result.stderr)![1],
      );
      assert.ok(segments >= 6, result.stderr);
      // Every segment was written by a survivor, the killed one's included.
      assert.equal(
        new Set(wrote.map((line) => /segment (\d+)\//.exec(line)![1])).size,
        segments,
        wrote.join("\n"),
      );

      const single = await runCli([
        `s3://${bucket}/src/`,
        "-o",
        `s3://${bucket}/single.zip`,
        "--endpoint",
        endpoint,
        "--no-progress",
        // Streamed in the given order, not built with copies.
        "--no-copy",
      ], { env: LOCAL_S3_ENV });
      assert.equal(single.code, 0, single.stderr);
      const read = async (key: string) =>
        new Uint8Array(
          await new Response(await getObjectStream(client, bucket, key))
            .arrayBuffer(),
        );
      const archive = await read("out.zip");
      assertSameBytes(archive, await read("single.zip"), "queued vs single");
      await assertOpensEverywhere(
        archive,
        data.map(([name, body]) => ({ name: `src/${name}`, data: body })),
      );
      assert.deepEqual(
        await keysUnder(client, bucket, "out.zip.zipstream-"),
        [],
        "nothing left under the build's prefix",
      );
      for (const worker of survivors) {
        const status = await worker.stop("SIGTERM");
        assert.equal(status.code, 143, worker.lines.join("\n"));
      }
    } finally {
      for (const worker of workers) worker.kill();
    }
  });
});

Deno.test("zipstream --queue fails when a segment fails for good (its object deleted), taking the jobs off the queue and removing the segments: nothing is left", async () => {
  const endpoint = s3Endpoint();
  const queue = redisUrl();
  await withBucket(async (client, bucket) => {
    for (let i = 0; i < 4; i++) {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `src/${i}.log`,
          Body: logText(3 * MIB, i),
        }),
      );
    }
    const build = new CliProcess([
      "--queue",
      queue,
      "--segment-size",
      "3MiB",
      `s3://${bucket}/src/`,
      "-o",
      `s3://${bucket}/gone.zip`,
      "--endpoint",
      endpoint,
    ]);
    let worker: CliProcess | undefined;
    try {
      await build.waitFor(/4 segments of build \w+ queued/);
      // Listed and queued, then deleted before any worker reads it.
      await client.send(
        new DeleteObjectCommand({ Bucket: bucket, Key: "src/2.log" }),
      );
      worker = startWorker(queue, endpoint);
      const status = await build.exited();
      assert.equal(status.code, 1, build.lines.join("\n"));
      const output = build.lines.join("\n");
      assert.match(
        output,
        /^zipstream: Cannot build s3:\/\/.*\/gone\.zip: segment 3\/4 failed after 3 attempts: .*src\/2\.log.*\nzipstream: nothing was stored: the segments' jobs were taken off the queue and the segments written were removed$/m,
      );
      assert.equal(
        worker.lines.filter((line) =>
          /segment 3\/4 .* failed \(attempt/.test(line)
        )
          .length,
        3,
        worker.lines.join("\n"),
      );
      assert.deepEqual(await keysUnder(client, bucket, "gone.zip"), []);
      assert.equal((await worker.stop("SIGTERM")).code, 143);
    } finally {
      build.kill();
      worker?.kill();
    }
  });
});

/** `zipstream --queue` of one 1 MiB log, put as `s3://BUCKET/src/a.log`, to `s3://BUCKET/KEY`. */
async function queueOneLog(
  client: S3Client,
  bucket: string,
  key: string,
  seed: number,
): Promise<CliProcess> {
  await client.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: "src/a.log",
      Body: logText(MIB, seed),
    }),
  );
  return new CliProcess([
    "--queue",
    redisUrl(),
    `s3://${bucket}/src/`,
    "-o",
    `s3://${bucket}/${key}`,
    "--endpoint",
    s3Endpoint(),
  ]);
}

Deno.test("zipstream --queue interrupted while it waits takes its jobs off the queue and says so", async () => {
  const queueUrl = redisUrl();
  await withBucket(async (client, bucket) => {
    const build = await queueOneLog(client, bucket, "stopped.zip", 1);
    const { Queue } = await import("bullmq");
    const queue = new Queue(QUEUE_NAME, {
      connection: queueConnection(queueUrl),
    });
    try {
      // No worker runs: the job waits on the queue.
      await build.waitFor(/1 segment of build \w+ queued/);
      const buildId = /segments? of build (\w+) queued/.exec(
        build.lines.join("\n"),
      )![1];
      assert.notEqual(await queue.getJob(`${buildId}-0`), undefined);
      const status = await build.stop("SIGINT");
      assert.equal(status.code, 130, build.lines.join("\n"));
      assert.deepEqual(build.lines.slice(-2), [
        "zipstream: interrupted; taking the build's jobs off the queue and removing its segments; press Ctrl-C again to exit at once",
        "zipstream: Interrupted by SIGINT; nothing was stored: the segments' jobs were taken off the queue and the segments written were removed",
      ]);
      assert.equal(await queue.getJob(`${buildId}-0`), undefined);
      assert.deepEqual(await keysUnder(client, bucket, "stopped.zip"), []);
    } finally {
      build.kill();
      await queue.close();
    }
  });
});

Deno.test("zipstream worker says, once, that it is retrying a request of its segment that keeps failing, and writes the segment", async () => {
  await withBucket(async (client, bucket) => {
    const proxy = FaultProxy.start(s3Endpoint());
    // Enough refusals for two of the worker's attempts to fail, even when
    // the SDK makes three tries of its own inside each.
    proxy.inject(
      isPutObject,
      { kind: "status", status: 503, code: "SlowDown" },
      6,
    );
    const worker = startWorker(redisUrl(), proxy.endpoint);
    const build = await queueOneLog(client, bucket, "retried.zip", 3);
    try {
      const status = await build.exited();
      assert.equal(status.code, 0, build.lines.join("\n"));
      const retried = worker.lines.filter((line) => line.includes("retrying"));
      assert.equal(retried.length, 1, worker.lines.join("\n"));
      assert.match(
        retried[0]!,
        /^zipstream worker: segment 1\/1 of build \w+ \(1 entry\): retrying PutObject \(attempt \d+ of 20\): SlowDown/,
      );
      assert.equal((await worker.stop("SIGTERM")).code, 143);
    } finally {
      build.kill();
      worker.kill();
      await proxy.close();
    }
  });
});
