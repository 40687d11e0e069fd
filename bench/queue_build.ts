/**
 * Issue 17's bench: deflate (level 6) of 2 GiB of logs from S3 into S3,
 * three ways in one run, each by the command itself: one process deflating
 * in its own thread (`--workers 0`), one process with its default deflate
 * threads, and `--queue` with two `zipstream worker` processes (each
 * `--workers 0`) on the local Redis. Reports wall times and their ratios,
 * and each worker's throughput for the paper model in bench/README.md.
 *
 * The logs are read from S3 (`--from s3`), from local files at the same path
 * for every process (`--from local`: the S3 server, which shares this
 * machine's cores, then only takes the archive's writes), or both in turn.
 *
 *     TMPDIR=/var/tmp bash scripts/with_s3_server.sh deno run -A bench/queue_build.ts \
 *       [--objects 64] [--object-mib 32] [--segment-mib 128] [--from both|s3|local]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import {
  createBucket,
  deleteBucket,
  localClient,
  putObjects,
} from "./_s3_target.ts";

const MIB = 1024 * 1024;
const CLI = new URL("../src/cli/mod.ts", import.meta.url).pathname;
const CONFIG = new URL("../deno.json", import.meta.url).pathname;

const { values } = parseArgs({
  options: {
    objects: { type: "string", default: "64" },
    "object-mib": { type: "string", default: "32" },
    "segment-mib": { type: "string", default: "128" },
    from: { type: "string", default: "both" },
  },
});
const count = Number(values.objects);
const objectSize = Number(values["object-mib"]) * MIB;
const endpoint = Deno.env.get("ZIPSTREAM_S3_ENDPOINT")!;
const queue = Deno.env.get("ZIPSTREAM_REDIS_URL");
if (queue === undefined) {
  throw new Error(
    "ZIPSTREAM_REDIS_URL is not set: run under scripts/with_s3_server.sh, which starts Redis",
  );
}
const client = localClient();
const bucket = await createBucket();

/** Web-server log lines: they deflate to about a sixth, as real ones do. */
function logs(size: number): Uint8Array {
  const lines: string[] = [];
  let length = 0;
  for (let i = 0; length < size; i++) {
    const line = `10.0.${i % 251}.${(i * 7) % 253} - - [06/Dec/2026:06:${
      String(i % 60).padStart(2, "0")
    }:${String((i * 13) % 60).padStart(2, "0")} +0000] "GET /items/${
      (i * 7919) % 100_003
    }?page=${i % 17} HTTP/1.1" ${i % 50 === 0 ? 404 : 200} ${
      (i * 104_729) % 65_536
    } "-" "zipstream-bench/${i % 5}"\n`;
    lines.push(line);
    length += line.length;
  }
  return new TextEncoder().encode(lines.join("")).subarray(0, size);
}

function run(
  args: string[],
  stderr: "piped" | "inherit" = "piped",
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", CONFIG, CLI, ...args],
    stdin: "null",
    stdout: "null",
    stderr,
  }).spawn();
}

async function timed(
  args: string[],
): Promise<{ seconds: number; line: string }> {
  const started = performance.now();
  const child = run(args);
  const { code, stderr } = await child.output();
  const text = new TextDecoder().decode(stderr);
  if (code !== 0) {
    throw new Error(`zipstream ${args.join(" ")} failed:\n${text}`);
  }
  return {
    seconds: (performance.now() - started) / 1000,
    line: text.trimEnd().split("\n").at(-1) ?? "",
  };
}

async function sizeOf(key: string): Promise<number> {
  const head = await client.send(
    new HeadObjectCommand({ Bucket: bucket, Key: key }),
  );
  return head.ContentLength ?? 0;
}

/** The three builds of the logs at `source`, and their report. */
async function compare(source: string, label: string): Promise<void> {
  const common = ["--endpoint", endpoint, "--no-copy", "--no-progress"];
  const name = (build: string) => `s3://${bucket}/${label}-${build}.zip`;
  const oneThread = await timed([
    source,
    "-o",
    name("one-thread"),
    "--workers",
    "0",
    ...common,
  ]);
  const oneProcess = await timed([
    source,
    "-o",
    name("one-process"),
    ...common,
  ]);
  const queued = await timed([
    "--queue",
    queue!,
    "--segment-size",
    `${values["segment-mib"]}MiB`,
    source,
    "-o",
    name("queued"),
    "--endpoint",
    endpoint,
  ]);
  const sizes = await Promise.all(
    ["one-thread", "one-process", "queued"].map((build) =>
      sizeOf(`${label}-${build}.zip`)
    ),
  );
  const input = count * objectSize;
  console.log(
    `\nFrom ${label}: ${count} logs of ${values["object-mib"]} MiB (${
      (input / 2 ** 30).toFixed(2)
    } GiB), deflate level 6; archives of ${sizes.join(", ")} bytes`,
  );
  console.log("| build | wall | input MiB/s | speed-up |");
  console.log("|---|---|---|---|");
  for (
    const [build, result] of [
      ["one process, deflating in its own thread (--workers 0)", oneThread],
      ["one process, default deflate threads", oneProcess],
      ["--queue, 2 zipstream worker processes (--workers 0 each)", queued],
    ] as const
  ) {
    console.log(
      `| ${build} | ${result.seconds.toFixed(1)} s | ${
        (input / MIB / result.seconds).toFixed(1)
      } | ${(oneThread.seconds / result.seconds).toFixed(2)}× |`,
    );
  }
  console.log(`queued summary: ${queued.line}`);
}

const from = values.from;
if (!["both", "s3", "local"].includes(from)) {
  throw new Error(`--from ${from}: expected both, s3 or local`);
}
const workers: Deno.ChildProcess[] = [];
const localDir = await Deno.makeTempDir({ prefix: "zipstream-queue-bench-" });
try {
  const body = logs(objectSize);
  const logName = (index: number) =>
    `logs/${String(index).padStart(4, "0")}.log`;
  if (from !== "local") {
    await putObjects(client, bucket, count, logName, () => body);
  }
  if (from !== "s3") {
    await Deno.mkdir(`${localDir}/logs`);
    for (let index = 0; index < count; index++) {
      await Deno.writeFile(`${localDir}/${logName(index)}`, body);
    }
  }
  for (let i = 0; i < 2; i++) {
    workers.push(run([
      "worker",
      "--queue",
      queue,
      "--endpoint",
      endpoint,
      "--workers",
      "0",
      "-q",
    ], "inherit"));
  }
  // The workers are up once they have connected: 3 s is plenty.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  if (from !== "local") await compare(`s3://${bucket}/logs/`, "s3");
  if (from !== "s3") await compare(`${localDir}/logs`, "local");
} finally {
  for (const worker of workers) {
    worker.kill("SIGTERM");
    await worker.status;
  }
  await Deno.remove(localDir, { recursive: true });
  await deleteBucket(bucket);
  client.destroy();
}
