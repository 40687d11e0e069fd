/**
 * Planning an archive of many S3 objects: `s3PlanEntries` then `planZip`,
 * on moto (which keeps CRC32 checksums, so no object's data is read) and on
 * the Swift server (no checksums: each CRC is read once, then cached).
 * Reports requests per object by kind, and wall time.
 *
 *     bash scripts/with_s3_server.sh deno run -A bench/plan_s3.ts \
 *       [--objects 10000] [--swift-objects 2000] [--size 4096]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { planZip } from "../mod.ts";
import { s3PlanEntries } from "../src/s3/mod.ts";
import { withMotoBucket } from "../tests/s3/_local_moto.ts";
import { withBucket } from "../tests/s3/_local_s3.ts";

const UPLOAD_CONCURRENCY = 32;

/** Counts the requests a client sends, by command. */
function countRequests(client: S3Client): Map<string, number> {
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => (args) => {
      const name = String(context.commandName).replace(/Command$/, "");
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: "initialize", name: "countPlanRequests" },
  );
  return counts;
}

async function putObjects(
  client: S3Client,
  bucket: string,
  count: number,
  size: number,
  checksum: boolean,
): Promise<void> {
  let next = 0;
  const put = async () => {
    while (next < count) {
      const index = next++;
      const body = new Uint8Array(size).fill(index % 251);
      new DataView(body.buffer).setUint32(0, index);
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `objects/${String(index).padStart(6, "0")}.bin`,
          Body: body,
          ...(checksum ? { ChecksumAlgorithm: "CRC32" as const } : {}),
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: UPLOAD_CONCURRENCY }, put));
}

interface PlanFigures {
  server: string;
  objects: number;
  label: string;
  ms: number;
  counts: Map<string, number>;
  size: number;
}

async function timePlan(
  client: S3Client,
  bucket: string,
  label: string,
  cache: Map<string, number> | undefined,
): Promise<Omit<PlanFigures, "server" | "objects">> {
  const counts = countRequests(client);
  const began = performance.now();
  const entries = await s3PlanEntries(client, { bucket, prefix: "objects/" });
  const plan = await planZip(entries, {
    lastModified: 0,
    ...(cache === undefined ? {} : { crcCache: cache }),
    crcReadConcurrency: 16,
  });
  const ms = performance.now() - began;
  client.middlewareStack.remove("countPlanRequests");
  return { label, ms, counts, size: plan.size };
}

const { values } = parseArgs({
  options: {
    objects: { type: "string", default: "10000" },
    "swift-objects": { type: "string", default: "2000" },
    size: { type: "string", default: "4096" },
  },
});
const size = Number(values.size);
const figures: PlanFigures[] = [];

const motoObjects = Number(values.objects);
await withMotoBucket(async (client, bucket) => {
  await putObjects(client, bucket, motoObjects, size, true);
  const planned = await timePlan(client, bucket, "CRC32 checksums", undefined);
  figures.push({ server: "moto", objects: motoObjects, ...planned });
});

const swiftObjects = Number(values["swift-objects"]);
await withBucket(async (client, bucket) => {
  await putObjects(client, bucket, swiftObjects, size, false);
  const cache = new Map<string, number>();
  const first = await timePlan(
    client,
    bucket,
    "no checksums, CRCs read",
    cache,
  );
  figures.push({ server: "Swift", objects: swiftObjects, ...first });
  const second = await timePlan(
    client,
    bucket,
    "no checksums, CRCs cached",
    cache,
  );
  figures.push({ server: "Swift", objects: swiftObjects, ...second });
});

console.log(
  "| server | objects | CRCs from | HeadObject / object | GetObject / object | other requests | wall | wall per object |",
);
console.log("|---|---|---|---|---|---|---|---|");
for (const f of figures) {
  const head = f.counts.get("HeadObject") ?? 0;
  const get = f.counts.get("GetObject") ?? 0;
  const other = [...f.counts].filter(([name]) =>
    name !== "HeadObject" && name !== "GetObject"
  ).map(([name, count]) =>
    `${name} ${count}`
  ).join(", ") || "none";
  console.log(
    `| ${f.server} | ${f.objects} | ${f.label} | ${
      (head / f.objects).toFixed(2)
    } | ${(get / f.objects).toFixed(2)} | ${other} | ${
      (f.ms / 1000).toFixed(2)
    } s | ${(f.ms / f.objects).toFixed(0)} ms |`,
  );
}
