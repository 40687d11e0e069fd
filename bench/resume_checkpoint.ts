/**
 * What `--resume` costs, by where the checkpoint is kept: the same stored
 * archive of local files uploaded by the command three ways in one run (no
 * checkpoint, `--resume FILE`, `--resume s3://…`), each through a logging
 * proxy (the tests' fault proxy, with no faults) in front of the local
 * server, so that the requests of each kind are counted on the wire.
 *
 *     TMPDIR=/var/tmp bash scripts/with_s3_server.sh deno run -A bench/resume_checkpoint.ts \
 *       [--files 64] [--file-mib 16] [--part-mib 8]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { FaultProxy, type ProxyLogEntry } from "../tests/s3/_fault_proxy.ts";
import { createBucket, deleteBucket } from "./_s3_target.ts";

const MIB = 1024 * 1024;
const CLI = new URL("../src/cli/mod.ts", import.meta.url).pathname;
const CONFIG = new URL("../deno.json", import.meta.url).pathname;

const { values } = parseArgs({
  options: {
    files: { type: "string", default: "64" },
    "file-mib": { type: "string", default: "16" },
    "part-mib": { type: "string", default: "8" },
  },
});
const files = Number(values.files);
const fileSize = Number(values["file-mib"]) * MIB;
const endpoint = Deno.env.get("ZIPSTREAM_S3_ENDPOINT")!;

/** Requests of one build, by kind. */
interface Counts {
  parts: number;
  otherPuts: number;
  gets: number;
  other: number;
}

function countsOf(log: readonly ProxyLogEntry[]): Counts {
  const counts = { parts: 0, otherPuts: 0, gets: 0, other: 0 };
  for (const entry of log) {
    if (entry.method === "PUT" && /partNumber=/.test(entry.query)) {
      counts.parts++;
    } else if (entry.method === "PUT") counts.otherPuts++;
    else if (entry.method === "GET") counts.gets++;
    else counts.other++;
  }
  return counts;
}

async function build(
  dir: string,
  bucket: string,
  name: string,
  extra: string[],
): Promise<{ seconds: number; counts: Counts }> {
  const proxy = FaultProxy.start(endpoint);
  try {
    const started = performance.now();
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--config",
        CONFIG,
        CLI,
        "--store",
        "data",
        "-o",
        `s3://${bucket}/${name}.zip`,
        "--endpoint",
        proxy.endpoint,
        "--part-size",
        `${values["part-mib"]}MiB`,
        "--no-progress",
        ...extra,
      ],
      cwd: dir,
      env: { ZIPSTREAM_STATE_DIR: `${dir}/state` },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    const seconds = (performance.now() - started) / 1000;
    if (code !== 0) {
      throw new Error(
        `zipstream ${name} failed: ${new TextDecoder().decode(stderr)}`,
      );
    }
    return { seconds, counts: countsOf(proxy.log) };
  } finally {
    await proxy.close();
  }
}

const bucket = await createBucket();
const dir = await Deno.makeTempDir({ prefix: "zipstream-resume-bench-" });
try {
  await Deno.mkdir(`${dir}/data`);
  const chunk = new Uint8Array(MIB);
  for (let i = 0; i < files; i++) {
    using file = await Deno.open(`${dir}/data/${i}.bin`, {
      write: true,
      createNew: true,
    });
    for (let written = 0; written < fileSize; written += MIB) {
      for (let at = 0; at < MIB; at += 65_536) {
        crypto.getRandomValues(chunk.subarray(at, at + 65_536));
      }
      for (let at = 0; at < MIB;) at += await file.write(chunk.subarray(at));
    }
  }
  const runs = [
    ["no checkpoint", await build(dir, bucket, "plain", [])],
    [
      "--resume FILE",
      await build(dir, bucket, "file", ["--resume", `${dir}/up.resume`]),
    ],
    [
      "--resume s3://…",
      await build(dir, bucket, "s3", [
        "--resume",
        `s3://${bucket}/checkpoints/s3.zip.resume`,
      ]),
    ],
  ] as const;
  console.log(
    `${files} files of ${values["file-mib"]} MiB stored, ${
      values["part-mib"]
    } MiB parts`,
  );
  console.log(
    "| checkpoint | wall | UploadPart | other PUTs | GETs | other requests |",
  );
  console.log("|---|---|---|---|---|---|");
  for (const [name, { seconds, counts }] of runs) {
    console.log(
      `| ${name} | ${
        seconds.toFixed(1)
      } s | ${counts.parts} | ${counts.otherPuts} | ${counts.gets} | ${counts.other} |`,
    );
  }
} finally {
  await Deno.remove(dir, { recursive: true });
  await deleteBucket(bucket);
}
