/**
 * W6: S3 objects zipped into the same server, stored, two ways in one run:
 * streamed (`s3Entries` → `zip` → `uploadToS3`: every byte down and up
 * again) and built server-side (`s3PlanEntries` → `planZip` →
 * `copyPlanToS3`: the objects copied by the server, the glue sent). Reports
 * wall times, their ratio, and the bytes sent, read and copied.
 *
 *     bash scripts/with_s3_server.sh deno run -A bench/copy_build.ts \
 *       [--objects 128] [--object-mib 64] [--concurrency 4]
 *
 * The server's data lives in `$TMPDIR`: W6 at full size writes about 32
 * GB there (the objects, both archives and the seams).
 *
 * @module
 */

import { cpuUsage } from "node:process";
import { parseArgs } from "node:util";
import { planZip, zip } from "../mod.ts";
import {
  copyPlanToS3,
  s3Entries,
  s3PlanEntries,
  uploadToS3,
} from "../src/s3/mod.ts";
import {
  createBucket,
  deleteBucket,
  localClient,
  putObjects,
} from "./_s3_target.ts";

const MIB = 1024 * 1024;

const { values } = parseArgs({
  options: {
    objects: { type: "string", default: "128" },
    "object-mib": { type: "string", default: "64" },
    concurrency: { type: "string", default: "4" },
  },
});
const count = Number(values.objects);
const objectSize = Number(values["object-mib"]) * MIB;
const client = localClient();
const bucket = await createBucket();

/** One MiB that does not compress, stamped with the object's number. */
function objectBody(index: number): Uint8Array {
  const block = new Uint8Array(MIB);
  let state = 20261206 + index;
  for (let i = 0; i < block.length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    block[i] = state >>> 24;
  }
  const body = new Uint8Array(objectSize);
  for (let at = 0; at < objectSize; at += MIB) {
    body.set(block.subarray(0, Math.min(MIB, objectSize - at)), at);
  }
  return body;
}

function seconds(since: number): number {
  return (performance.now() - since) / 1000;
}

/** This process's CPU time (user and system) since `since`, in seconds. */
function cpuSeconds(since: NodeJS.CpuUsage): number {
  const { user, system } = cpuUsage(since);
  return (user + system) / 1e6;
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

function mib(bytes: number): string {
  return `${(bytes / MIB).toFixed(1)} MiB`;
}

try {
  await putObjects(
    client,
    bucket,
    count,
    (index) => `w6/${String(index).padStart(4, "0")}.bin`,
    objectBody,
  );

  let streamedBytes = 0;
  const streamStart = performance.now();
  const streamCpu = cpuUsage();
  const streamed = await uploadToS3(
    zip(s3Entries({ client, bucket, prefix: "w6/", compression: "store" }))
      .pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            streamedBytes += chunk.length;
            controller.enqueue(chunk);
          },
        }),
      ),
    { client, bucket, key: "out/streamed.zip" },
  );
  const streamSeconds = seconds(streamStart);
  const streamCpuSeconds = cpuSeconds(streamCpu);

  const crcCache = new Map<string, number>();
  const planStart = performance.now();
  await planZip(await s3PlanEntries(client, { bucket, prefix: "w6/" }), {
    crcCache,
  });
  const planReadSeconds = seconds(planStart);
  const cachedStart = performance.now();
  const plan = await planZip(
    await s3PlanEntries(client, { bucket, prefix: "w6/" }),
    { crcCache },
  );
  const planCachedSeconds = seconds(cachedStart);
  const buildStart = performance.now();
  const buildCpu = cpuUsage();
  const built = await copyPlanToS3(plan, {
    client,
    bucket,
    key: "out/copied.zip",
    concurrency: Number(values.concurrency),
  });
  const buildSeconds = seconds(buildStart);
  const buildCpuSeconds = cpuSeconds(buildCpu);

  console.log(
    `W6: ${count} objects of ${mib(objectSize)}, stored: ${
      gib(plan.size)
    } archive`,
  );
  console.log(
    "| build | wall | speed-up | client CPU | bytes sent by the client | sent ÷ archive | bytes read by the client | bytes copied by the server |",
  );
  console.log("|---|---|---|---|---|---|---|---|");
  console.log(
    `| streamed (s3Entries → zip → uploadToS3) | ${
      streamSeconds.toFixed(1)
    } s | 1.0× | ${streamCpuSeconds.toFixed(1)} s | ${
      gib(streamedBytes)
    } | 1.000 | ${gib(streamed.size)} | 0 |`,
  );
  console.log(
    `| server-side (copyPlanToS3), CRCs known | ${
      buildSeconds.toFixed(1)
    } s | ${(streamSeconds / buildSeconds).toFixed(1)}× | ${
      buildCpuSeconds.toFixed(1)
    } s | ${mib(built.bytesSent)} | ${
      (built.bytesSent / built.size).toFixed(4)
    } | ${mib(built.bytesRead)} | ${gib(built.bytesCopied)} |`,
  );
  console.log(
    `| server-side, CRCs read first (planZip) | ${
      (planReadSeconds + buildSeconds).toFixed(1)
    } s | ${
      (streamSeconds / (planReadSeconds + buildSeconds)).toFixed(1)
    }× | – | ${mib(built.bytesSent)} | ${
      (built.bytesSent / built.size).toFixed(4)
    } | ${gib(built.bytesRead + plan.size)} | ${gib(built.bytesCopied)} |`,
  );
  console.log(
    `planning: ${planReadSeconds.toFixed(1)} s reading every CRC, ${
      planCachedSeconds.toFixed(2)
    } s with them cached (as S3's CRC32 checksums give them); ${built.parts} parts, ${built.copiedParts} copies, ${built.seams} seams`,
  );
} finally {
  await deleteBucket(bucket);
  client.destroy();
}
