/**
 * `zipstream s3://bucket/prefix/ ...`: S3 objects as the archive's source,
 * against the real local S3 server (and the fault proxy in front of it where
 * the source must be another endpoint or must fail).
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { crc32 as nativeCrc32 } from "node:zlib";
import {
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { predictLength } from "../../mod.ts";
import { s3Entries } from "../../src/s3/mod.ts";
import {
  assertOpensEverywhere,
  type ExpectedEntry,
  withTempDir,
} from "../_readers.ts";
import { pseudoRandom } from "../_data.ts";
import { FaultProxy } from "../s3/_fault_proxy.ts";
import {
  getObjectStream,
  LOCAL_S3_ENV,
  pendingUploads,
  s3Endpoint,
  uniqueBucketName,
  withBucket,
} from "../s3/_local_s3.ts";
import { makeTree, runCli } from "./_cli.ts";

const KIB = 1024;
const MIB = 1024 * KIB;

/** Puts `objects` (key -> bytes), sixteen at a time. */
async function putAll(
  client: S3Client,
  bucket: string,
  objects: Map<string, Uint8Array>,
): Promise<void> {
  const keys = [...objects.keys()];
  for (let start = 0; start < keys.length; start += 16) {
    await Promise.all(
      keys.slice(start, start + 16).map((key) =>
        client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: objects.get(key)!,
          }),
        )
      ),
    );
  }
}

/**
 * `count` objects under `prefix`: empty ones, a few of 1 to 3 MiB, the rest
 * up to 40 KiB, in nested "folders" with accented, CJK and emoji names, plus
 * a folder marker. Returns relative name -> bytes.
 */
function objectsUnder(count: number): Map<string, Uint8Array> {
  const folders = [
    "",
    "docs/",
    "docs/2024/",
    "médias/",
    "深い/フォルダ/",
    "emoji 🎉/",
  ];
  const objects = new Map<string, Uint8Array>();
  for (let i = 0; i < count; i++) {
    const size = i % 10 === 0
      ? 0
      : i % 100 === 7
      ? (1 + (i % 3)) * MIB + i
      : (i * 7919) % (40 * KIB);
    objects.set(
      `${folders[i % folders.length]}file ${i} ü.bin`,
      pseudoRandom(size, i + 1),
    );
  }
  objects.set("empty folder/", new Uint8Array(0));
  return objects;
}

/** Keys in the order ListObjectsV2 gives them: by their UTF-8 bytes. */
function listingOrder(names: Iterable<string>): string[] {
  return [...names].sort((a, b) =>
    Buffer.compare(Buffer.from(a), Buffer.from(b))
  );
}

function prefixed(
  objects: Map<string, Uint8Array>,
  prefix: string,
): Map<string, Uint8Array> {
  return new Map([...objects].map(([name, data]) => [prefix + name, data]));
}

function expectedEntries(
  objects: Map<string, Uint8Array>,
  top: string,
): ExpectedEntry[] {
  return listingOrder(objects.keys()).map((name) =>
    name.endsWith("/")
      ? { name: top + name }
      : { name: top + name, data: objects.get(name)! }
  );
}

function crc32(data: Uint8Array): number {
  return nativeCrc32(data) >>> 0;
}

Deno.test("zipstream zips an s3:// prefix of 300 objects into another key of the same server, entry for entry", async () => {
  const endpoint = s3Endpoint();
  await withBucket(async (client, bucket) => {
    const objects = objectsUnder(300);
    await putAll(client, bucket, prefixed(objects, "exports/data/"));
    // Keys that share the prefix's text but are outside its folder.
    await putAll(
      client,
      bucket,
      new Map([["exports/data-old/x.txt", pseudoRandom(10, 1)]]),
    );
    const key = "archives/data.zip";
    const result = await runCli(
      [
        `s3://${bucket}/exports/data/`,
        "-o",
        `s3://${bucket}/${key}`,
        "--endpoint",
        endpoint,
        "--no-progress",
      ],
      { env: LOCAL_S3_ENV },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /^zipstream: 301 entries, [\d.]+ MiB in, /);
    const expected = expectedEntries(objects, "data/");
    const { python } = await assertOpensEverywhere(
      await getObjectStream(client, bucket, key),
      expected,
    );
    assert.deepEqual(
      python.entries.map(({ name, size, contentCrc32 }) => ({
        name,
        size,
        contentCrc32,
      })),
      expected.map(({ name, data }) => ({
        name,
        size: data === undefined ? 0 : (data as Uint8Array).length,
        contentCrc32: crc32(
          data === undefined ? new Uint8Array(0) : data as Uint8Array,
        ),
      })),
    );
    assert.deepEqual(await pendingUploads(client, bucket, key), []);
  });
});

Deno.test("zipstream -0 --no-copy uploads an s3:// prefix with its exact length, the predictLength() of the listing", async () => {
  const endpoint = s3Endpoint();
  await withBucket(async (client, bucket) => {
    const objects = objectsUnder(60);
    await putAll(client, bucket, prefixed(objects, "in/"));
    // Streamed: a build inside S3 (the default here) has no data
    // descriptors, so the listing's predicted length is the stream's.
    const result = await runCli(
      [
        "-0",
        "--no-copy",
        `s3://${bucket}/in/`,
        "-o",
        `s3://${bucket}/out.zip`,
        "--endpoint",
        endpoint,
        "--quiet",
      ],
      { env: LOCAL_S3_ENV },
    );
    assert.equal(result.code, 0, result.stderr);
    const listed = await Array.fromAsync(
      s3Entries({ client, bucket, prefix: "in/" }),
      (entry) => ({ ...entry, name: `in/${entry.name}` }),
    );
    const head = await client.send(
      new HeadObjectCommand({ Bucket: bucket, Key: "out.zip" }),
    );
    assert.equal(
      head.ContentLength,
      predictLength(listed, { compression: "store" }),
    );
    await assertOpensEverywhere(
      await getObjectStream(client, bucket, "out.zip"),
      expectedEntries(objects, "in/"),
    );
  });
});

Deno.test("zipstream reads s3:// paths from --source-endpoint and uploads to --endpoint, resuming a GET cut mid-object", async () => {
  const endpoint = s3Endpoint();
  await withBucket(async (client, bucket) => {
    const objects = new Map([
      ["big.bin", pseudoRandom(3 * MIB, 5)],
      ["small.txt", pseudoRandom(100, 6)],
    ]);
    await putAll(client, bucket, prefixed(objects, "src/"));
    const proxy = FaultProxy.start(endpoint);
    try {
      proxy.inject(
        (request) =>
          request.method === "GET" && request.path.endsWith("/big.bin"),
        { kind: "cut-answer", bytes: MIB },
      );
      const result = await runCli(
        [
          `s3://${bucket}/src/`,
          "-o",
          `s3://${bucket}/copy.zip`,
          "--endpoint",
          endpoint,
          "--source-endpoint",
          proxy.endpoint,
          "--quiet",
        ],
        { env: LOCAL_S3_ENV },
      );
      assert.equal(result.code, 0, result.stderr);
      const methods = new Set(proxy.log.map((entry) => entry.method));
      assert.deepEqual([...methods], ["GET"], "only reads go to the source");
      const bigGets = proxy.log.filter((e) => e.path.endsWith("/big.bin"));
      assert.deepEqual(bigGets.map((e) => e.action), ["cut-answer", "pass"]);
      assert.match(bigGets[1]!.range ?? "", /^bytes=[1-9]\d*-$/);
    } finally {
      await proxy.close();
    }
    await assertOpensEverywhere(
      await getObjectStream(client, bucket, "copy.zip"),
      expectedEntries(objects, "src/"),
    );
  });
});

Deno.test("zipstream mixes local paths, an s3:// folder and an s3:// object in one archive, --exclude applying to objects", async () => {
  const endpoint = s3Endpoint();
  await withBucket(async (client, bucket) => {
    await putAll(
      client,
      bucket,
      new Map([
        ["web/assets/app.css", pseudoRandom(2000, 1)],
        ["web/assets/build.log", pseudoRandom(10, 2)],
        ["web/assets/vendor/lib.js", pseudoRandom(300, 3)],
        ["web/assets/fonts/a.woff", pseudoRandom(0, 4)],
        ["misc/notes.txt", pseudoRandom(50, 5)],
        ["misc/notes.txt.bak", pseudoRandom(5, 6)],
      ]),
    );
    await withTempDir(async (dir) => {
      await makeTree(dir, [
        { kind: "dir", path: "site" },
        { kind: "file", path: "site/index.html", data: "<h1>Hi</h1>\n" },
        { kind: "file", path: "site/debug.log", data: "noise\n" },
      ]);
      const result = await runCli(
        [
          "site",
          `s3://${bucket}/web/assets`,
          `s3://${bucket}/misc/notes.txt`,
          "--exclude",
          "*.log",
          "--exclude",
          "vendor",
          "-o",
          "out.zip",
          "--endpoint",
          endpoint,
          "--quiet",
        ],
        { cwd: dir, env: LOCAL_S3_ENV },
      );
      assert.equal(result.code, 0, result.stderr);
      await assertOpensEverywhere(`${dir}/out.zip`, [
        { name: "site/" },
        { name: "site/index.html", data: "<h1>Hi</h1>\n" },
        { name: "assets/app.css", data: pseudoRandom(2000, 1) },
        { name: "assets/fonts/a.woff", data: new Uint8Array(0) },
        { name: "notes.txt", data: pseudoRandom(50, 5) },
      ]);
    });
  });
});

/** Runs the CLI expecting it to fail, and returns its exit code and standard error. */
async function failure(
  args: string[],
  env: Record<string, string> = LOCAL_S3_ENV,
): Promise<[number, string]> {
  const result = await runCli([...args, "--no-progress"], { env });
  return [result.code, result.stderr];
}

Deno.test("zipstream names the s3:// path and the reason when a bucket is missing, a prefix empty or a key absent", async () => {
  const endpoint = s3Endpoint();
  await withBucket(async (client, bucket) => {
    await putAll(client, bucket, new Map([["p/a.txt", pseudoRandom(3, 1)]]));
    await withTempDir(async (dir) => {
      const out = ["-o", `${dir}/out.zip`, "--endpoint", endpoint];
      const missing = uniqueBucketName();
      assert.deepEqual(await failure([`s3://${missing}/p/`, ...out]), [
        1,
        `zipstream: Cannot add "s3://${missing}/p/": no bucket named "${missing}" (NoSuchBucket)\n`,
      ]);
      assert.deepEqual(await failure([`s3://${bucket}/nothing/`, ...out]), [
        1,
        `zipstream: Cannot add "s3://${bucket}/nothing/": no objects under that prefix\n`,
      ]);
      assert.deepEqual(await failure([`s3://${bucket}/p/b.txt`, ...out]), [
        1,
        `zipstream: Cannot add "s3://${bucket}/p/b.txt": no object with that key and no objects under "p/b.txt/"\n`,
      ]);
      const wrongSecret = { ...LOCAL_S3_ENV, AWS_SECRET_ACCESS_KEY: "wrong" };
      assert.deepEqual(
        await failure([`s3://${bucket}/p/`, ...out], wrongSecret),
        [
          1,
          `zipstream: Cannot add "s3://${bucket}/p/": the server refused the secret key (SignatureDoesNotMatch)\n`,
        ],
      );
      await assert.rejects(Deno.stat(`${dir}/out.zip`), Deno.errors.NotFound);
    });
  });
});

Deno.test("zipstream says access denied when the source refuses the listing, and names the object a failed read was reading", async () => {
  const endpoint = s3Endpoint();
  await withBucket(async (client, bucket) => {
    await putAll(
      client,
      bucket,
      new Map([
        ["p/a.txt", pseudoRandom(3, 1)],
        ["p/b.txt", pseudoRandom(4, 2)],
      ]),
    );
    const proxy = FaultProxy.start(endpoint);
    try {
      const args = [
        `s3://${bucket}/p/`,
        "-o",
        `s3://${bucket}/out.zip`,
        "--endpoint",
        endpoint,
        "--source-endpoint",
        proxy.endpoint,
      ];
      proxy.inject(
        (request) => request.query.has("list-type"),
        { kind: "status", status: 403, code: "AccessDenied" },
      );
      assert.deepEqual(await failure(args), [
        1,
        `zipstream: Cannot add "s3://${bucket}/p/": access denied (AccessDenied)\n`,
      ]);
      // Every time: a read ahead that fails is tried again when its turn comes.
      proxy.inject(
        (request) => request.path.endsWith("/p/b.txt"),
        { kind: "status", status: 403, code: "AccessDenied" },
        Infinity,
      );
      const [code, stderr] = await failure(args);
      assert.equal(code, 1);
      assert.equal(
        stderr,
        `zipstream: Cannot read s3://${bucket}/p/b.txt at byte 0 of 4: GetObject failed after 1 attempt: AccessDenied: Injected by the fault proxy\n` +
          // Small enough for one PutObject: no multipart upload was made.
          "zipstream: nothing was stored\n",
      );
    } finally {
      await proxy.close();
    }
    assert.deepEqual(await pendingUploads(client, bucket, "out.zip"), []);
  });
});

Deno.test("zipstream refuses a name that a local path and an s3:// object both give", async () => {
  const endpoint = s3Endpoint();
  await withBucket(async (client, bucket) => {
    await putAll(client, bucket, new Map([["x/a.txt", pseudoRandom(3, 1)]]));
    await withTempDir(async (dir) => {
      await Deno.writeTextFile(`${dir}/a.txt`, "local");
      const result = await runCli(
        [
          "a.txt",
          `s3://${bucket}/x/a.txt`,
          "-o",
          "out.zip",
          "--endpoint",
          endpoint,
        ],
        { cwd: dir, env: LOCAL_S3_ENV },
      );
      assert.equal(result.code, 1);
      assert.equal(
        result.stderr,
        `zipstream: Cannot add "s3://${bucket}/x/a.txt" as "a.txt": "a.txt" already has that name in the archive\n`,
      );
    });
  });
});

Deno.test("zipstream rejects a malformed s3:// path and source options without one as usage errors", async () => {
  const usage = "\nTry 'zipstream --help' for more information\n";
  assert.deepEqual(await failure(["s3://", "-o", "out.zip"]), [
    2,
    `zipstream: Invalid S3 path "s3://": expected s3://bucket/prefix/ or s3://bucket/key, such as s3://photos/2024/${usage}`,
  ]);
  assert.deepEqual(
    await failure([
      "a.txt",
      "-o",
      "out.zip",
      "--source-endpoint",
      "http://127.0.0.1:1",
    ]),
    [
      2,
      `zipstream: Option --source-endpoint applies to s3:// paths only, but no path is one${usage}`,
    ],
  );
  assert.deepEqual(
    await failure(["s3://b/p/", "-o", "out.zip", "--source-endpoint", "nope"]),
    [
      2,
      `zipstream: Invalid --source-endpoint "nope": expected a URL such as http://127.0.0.1:8080${usage}`,
    ],
  );
  assert.deepEqual(
    await failure(["s3://b/p/", "-o", "out.zip", "--part-size", "8MiB"]),
    [
      2,
      `zipstream: Option --part-size applies to s3:// targets only, but the output is out.zip${usage}`,
    ],
  );
});
