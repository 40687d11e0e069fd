/**
 * Peak memory of zipping S3 objects into S3 with `s3Entries`: N objects of
 * M MiB are put on the local server, then a child process lists them, zips
 * them (stored, so `predictLength` sizes the upload) and uploads the archive
 * to the same server, and reports its own peak RSS (`VmHWM`). Memory should
 * stay flat as N grows: read-ahead holds at most its byte budget, the upload
 * at most (concurrency + 1) parts. Two more columns for scale: the same
 * archive zipped from generated streams instead of S3 objects (the upload's
 * own share), and the `zipstream` command doing the S3-to-S3 job (its peak
 * RSS polled from `/proc`).
 *
 * ```sh
 * bash scripts/with_s3_server.sh deno run -A bench/s3_entries_memory.ts          # 8 and 32 × 64 MiB
 * bash scripts/with_s3_server.sh deno run -A bench/s3_entries_memory.ts --size 16 4 64
 * ```
 *
 * @module
 */

import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { predictLength, zip, type ZipEntry } from "../mod.ts";
import { s3Entries, uploadToS3 } from "../src/s3/mod.ts";

const MIB = 1024 * 1024;

/** What the child reports. */
interface Measurement {
  objects: number;
  archiveBytes: number;
  seconds: number;
  peakRssBytes: number;
}

function client(): S3Client {
  const endpoint = Deno.env.get("ZIPSTREAM_S3_ENDPOINT");
  if (!endpoint || new URL(endpoint).hostname !== "127.0.0.1") {
    throw new Error(
      `Cannot measure: expected ZIPSTREAM_S3_ENDPOINT to be a 127.0.0.1 URL (run under scripts/with_s3_server.sh), received ${endpoint}`,
    );
  }
  return new S3Client({
    endpoint,
    region: Deno.env.get("AWS_REGION") ?? "us-east-1",
    forcePathStyle: true,
  });
}

/** Entries with the listing's names and sizes whose bytes are generated, not read from S3. */
function generatedEntries(listed: readonly ZipEntry[]): ZipEntry[] {
  const chunk = new Uint8Array(256 * 1024).fill(7);
  return listed.map((entry) => {
    let left = entry.size ?? 0;
    return {
      ...entry,
      data: new ReadableStream<Uint8Array>({
        pull(controller) {
          if (left === 0) {
            controller.close();
            return;
          }
          const part = chunk.subarray(0, Math.min(left, chunk.length));
          left -= part.length;
          controller.enqueue(part);
        },
      }, { highWaterMark: 0 }),
    };
  });
}

/**
 * The child: zips `s3://bucket/prefix` (or, with `generated`, streams of the
 * same sizes) into `s3://bucket/key` and prints a Measurement.
 */
async function child(
  bucket: string,
  prefix: string,
  key: string,
  generated: boolean,
) {
  const s3 = client();
  const started = performance.now();
  const listed = await Array.fromAsync(
    s3Entries({ client: s3, bucket, prefix, compression: "store" }),
  );
  const entries = generated ? generatedEntries(listed) : listed;
  const result = await uploadToS3(zip(entries), {
    client: s3,
    bucket,
    key,
    contentLength: predictLength(entries),
  });
  const seconds = (performance.now() - started) / 1000;
  s3.destroy();
  const status = await Deno.readTextFile("/proc/self/status");
  const peakKib = Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1]);
  const measurement: Measurement = {
    objects: entries.length,
    archiveBytes: result.size,
    seconds,
    peakRssBytes: peakKib * 1024,
  };
  console.log(JSON.stringify(measurement));
}

async function measure(
  bucket: string,
  prefix: string,
  key: string,
  generated: boolean,
): Promise<Measurement> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      new URL("../deno.json", import.meta.url).pathname,
      import.meta.filename!,
      generated ? "--child-generated" : "--child",
      bucket,
      prefix,
      key,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!output.success) {
    throw new Error(`The measuring child failed with exit code ${output.code}`);
  }
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

/** Peak RSS of `zipstream --store s3://bucket/prefix -o s3://bucket/key`, polled from /proc. */
async function measureCli(
  bucket: string,
  prefix: string,
  key: string,
): Promise<number> {
  const cli = new URL("../src/cli/mod.ts", import.meta.url).pathname;
  const process = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      new URL("../deno.json", import.meta.url).pathname,
      cli,
      "--store",
      "--quiet",
      `s3://${bucket}/${prefix}`,
      "-o",
      `s3://${bucket}/${key}`,
      "--endpoint",
      Deno.env.get("ZIPSTREAM_S3_ENDPOINT")!,
    ],
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  let peakKib = 0;
  let exited = false;
  const status = process.status.finally(() => exited = true);
  while (!exited) {
    try {
      const text = await Deno.readTextFile(`/proc/${process.pid}/status`);
      peakKib = Math.max(
        peakKib,
        Number(/^VmHWM:\s+(\d+) kB$/m.exec(text)?.[1] ?? 0),
      );
    } catch {
      // It exited between the check and the read.
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (!(await status).success) {
    throw new Error("The zipstream command failed");
  }
  return peakKib * 1024;
}

async function putObjects(
  s3: S3Client,
  bucket: string,
  counts: readonly number[],
  sizeMib: number,
): Promise<void> {
  // One incompressible body for every object: what is measured is the
  // zipping, and stored entries do not care that the bytes repeat.
  const body = new Uint8Array(sizeMib * MIB);
  let state = 0x9e3779b9;
  const words = new Uint32Array(body.buffer);
  for (let i = 0; i < words.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    words[i] = state >>> 0;
  }
  // Set k holds counts[k] objects under its own prefix.
  for (const count of counts) {
    for (let i = 0; i < count; i++) {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `set-${count}/object-${String(i).padStart(4, "0")}.bin`,
          Body: body,
        }),
      );
    }
  }
}

async function emptyAndDelete(s3: S3Client, bucket: string): Promise<void> {
  for (;;) {
    const listing = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    const objects = listing.Contents ?? [];
    if (objects.length === 0) break;
    for (const object of objects) {
      await s3.send(
        new DeleteObjectCommand({ Bucket: bucket, Key: object.Key }),
      );
    }
  }
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
}

function parseArguments(args: readonly string[]): {
  sizeMib: number;
  counts: number[];
} {
  let sizeMib = 64;
  const counts: number[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--size") {
      sizeMib = Number(args[++i]);
    } else {
      counts.push(Number(args[i]));
    }
  }
  if (counts.length === 0) counts.push(8, 32);
  for (const value of [sizeMib, ...counts]) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(
        `Cannot measure: expected whole numbers of objects and MiB but got ${value}`,
      );
    }
  }
  return { sizeMib, counts };
}

async function parent(args: readonly string[]): Promise<void> {
  const { sizeMib, counts } = parseArguments(args);
  const s3 = client();
  const bucket = `zipstream-memory-${crypto.randomUUID().slice(0, 8)}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  try {
    console.log(`putting ${counts.join(" + ")} objects of ${sizeMib} MiB ...`);
    await putObjects(s3, bucket, counts, sizeMib);
    console.log(
      "| objects × size | archive | time | MB/s | peak RSS | generated streams instead | zipstream command |\n|---|---|---|---|---|---|---|",
    );
    const mib = (bytes: number) => `${(bytes / MIB).toFixed(0)} MiB`;
    for (const count of counts) {
      const prefix = `set-${count}/`;
      const m = await measure(bucket, prefix, `out/${count}.zip`, false);
      if (m.objects !== count) {
        throw new Error(`Expected ${count} entries but zipped ${m.objects}`);
      }
      const base = await measure(bucket, prefix, `out/${count}-g.zip`, true);
      const cli = await measureCli(bucket, prefix, `out/${count}-cli.zip`);
      console.log(
        `| ${count} × ${sizeMib} MiB | ${mib(m.archiveBytes)} | ${
          m.seconds.toFixed(1)
        } s | ${(m.archiveBytes / 1e6 / m.seconds).toFixed(0)} | ${
          mib(m.peakRssBytes)
        } | ${mib(base.peakRssBytes)} | ${mib(cli)} |`,
      );
    }
  } finally {
    await emptyAndDelete(s3, bucket);
    s3.destroy();
  }
}

if (import.meta.main) {
  const [first, ...rest] = Deno.args;
  if (first === "--child" || first === "--child-generated") {
    const [bucket, prefix, key] = rest as [string, string, string];
    await child(bucket, prefix, key, first === "--child-generated");
  } else {
    await parent(Deno.args);
  }
}
