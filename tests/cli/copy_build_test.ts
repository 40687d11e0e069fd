/**
 * `zipstream -0 s3://bucket/prefix/ -o s3://bucket/key`: the archive built
 * inside S3 (`copyPlanToS3`) rather than streamed, and when it streams
 * instead; against the real local S3 server, through the fault proxy where
 * the server must refuse copies or hold one.
 */

import assert from "node:assert/strict";
import {
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { formatSummary } from "../../src/cli/_summary.ts";
import {
  assertOpensEverywhere,
  type ExpectedEntry,
  withTempDir,
} from "../_readers.ts";
import { pseudoRandom } from "../_data.ts";
import {
  type FaultAction,
  FaultProxy,
  isComplete,
  type ProxiedRequest,
} from "../s3/_fault_proxy.ts";
import {
  getObjectStream,
  LOCAL_S3_ENV,
  s3Endpoint,
  withBucket,
} from "../s3/_local_s3.ts";
import { cliCommand, runCli, waitUntil, withChild } from "./_cli.ts";
import { storedRecords } from "./_journal_files.ts";

const MIB = 1024 * 1024;

/** Objects under `src/`, in key order: two big enough to be copied, small ones, an empty one, a folder marker. */
const OBJECTS: [string, Uint8Array][] = [
  ["a.txt", pseudoRandom(1000, 1)],
  ["big one.bin", pseudoRandom(7 * MIB + 3, 2)],
  ["docs/", new Uint8Array(0)],
  ["docs/big two.bin", pseudoRandom(11 * MIB + 5, 3)],
  ["docs/readme.md", pseudoRandom(300, 4)],
  ["empty.bin", new Uint8Array(0)],
  ["logs/run.log", pseudoRandom(500, 5)],
  ["médias/é.bin", pseudoRandom(2 * MIB, 6)],
  ["z.bin", pseudoRandom(40_000, 7)],
  ["zz.log", pseudoRandom(10, 8)],
];

async function putObjects(
  client: S3Client,
  bucket: string,
  objects: readonly [string, Uint8Array][] = OBJECTS,
): Promise<void> {
  await Promise.all(objects.map(([name, data]) =>
    client.send(
      new PutObjectCommand({ Bucket: bucket, Key: `src/${name}`, Body: data }),
    )
  ));
}

/** What the archive of `src/` holds, with `except` left out. */
function expected(except: RegExp | undefined = undefined): ExpectedEntry[] {
  return OBJECTS.filter(([name]) => except === undefined || !except.test(name))
    .map(([name, data]) =>
      name.endsWith("/")
        ? { name: `src/${name}` }
        : { name: `src/${name}`, data }
    );
}

async function archiveBytes(
  client: S3Client,
  bucket: string,
  key: string,
): Promise<Uint8Array> {
  return await new Response(await getObjectStream(client, bucket, key))
    .bytes();
}

/** Keys in the bucket other than `src/`'s: the archives, and any seam left. */
async function otherKeys(client: S3Client, bucket: string): Promise<string[]> {
  const listing = await client.send(
    new ListObjectsV2Command({ Bucket: bucket }),
  );
  return (listing.Contents ?? []).map((object) => object.Key ?? "")
    .filter((key) => !key.startsWith("src/"));
}

const isCopy = (request: ProxiedRequest) =>
  request.method === "PUT" && request.headers.has("x-amz-copy-source");

/** `zipstream FIRST... s3://bucket/src/ -o s3://bucket/KEY` against `endpoint`, without the bar. */
function zipArgs(
  bucket: string,
  endpoint: string,
  first: readonly string[],
  key = "out.zip",
): string[] {
  return [
    ...first,
    `s3://${bucket}/src/`,
    "-o",
    `s3://${bucket}/${key}`,
    "--endpoint",
    endpoint,
    "--no-progress",
  ];
}

/**
 * Runs `body` with the objects under `src/` of a new bucket, behind a proxy
 * that answers every UploadPartCopy with `action`.
 */
async function withCopiesFaulted(
  action: FaultAction,
  body: (client: S3Client, bucket: string, proxy: FaultProxy) => Promise<void>,
  faulted: { match: (request: ProxiedRequest) => boolean; times: number } = {
    match: isCopy,
    times: Infinity,
  },
): Promise<void> {
  await withBucket(async (client, bucket) => {
    await putObjects(client, bucket);
    const proxy = FaultProxy.start(s3Endpoint());
    proxy.inject(faulted.match, action, faulted.times);
    try {
      await body(client, bucket, proxy);
    } finally {
      await proxy.close();
    }
  });
}

Deno.test("zipstream -0 s3://b/src/ -o s3://b/out.zip builds the archive server-side, with the same entries, times and comment as --no-copy streams", async () => {
  const endpoint = s3Endpoint();
  await withBucket(async (client, bucket) => {
    await putObjects(client, bucket);
    const args = (key: string) =>
      zipArgs(
        bucket,
        endpoint,
        ["-0", "-x", "*.log", "--comment", "nightly"],
        key,
      );
    const built = await runCli(args("out.zip"), { env: LOCAL_S3_ENV });
    assert.equal(built.code, 0, built.stderr);
    assert.match(
      built.stderr,
      new RegExp(
        `^zipstream: 8 entries, 20\\.0 MiB in, 20\\.0 MiB out \\(100\\.0%\\), built server-side: [\\d.]+ [KM]i?B sent, [\\d.]+ MiB copied, [\\d.]+ MiB read, [\\d.]+ m?s -> s3://${bucket}/out\\.zip \\([\\d,]+ bytes, ETag "[^"]+"\\)\\n$`,
      ),
    );
    // The 11 MiB object at least is copied; the 7 MiB one may be sent
    // whole, to make the archive's first part of 5 MiB or more.
    const copied = Number(/([\d.]+) MiB copied/.exec(built.stderr)?.[1]);
    assert.ok(copied >= 11, built.stderr);

    const streamed = await runCli([...args("streamed.zip"), "--no-copy"], {
      env: LOCAL_S3_ENV,
    });
    assert.equal(streamed.code, 0, streamed.stderr);
    assert.doesNotMatch(streamed.stderr, /server-side/);
    assert.match(streamed.stderr, /MiB\/s, /);
    assert.deepEqual(await otherKeys(client, bucket), [
      "out.zip",
      "streamed.zip",
    ]);

    const want = expected(/\.log$/);
    const [ofBuilt, ofStreamed] = await Promise.all([
      archiveBytes(client, bucket, "out.zip"),
      archiveBytes(client, bucket, "streamed.zip"),
    ]);
    const readers = await Promise.all(
      [ofBuilt, ofStreamed].map((archive) =>
        assertOpensEverywhere(archive, want, { comment: "nightly" })
      ),
    );
    // Not byte-identical: the stream knows no CRC before an object's end, so
    // its stored entries carry data descriptors (flag bit 3) that the
    // planned archive, whose CRCs come first, has no need of.
    const seen = readers.map(({ python }) =>
      python.entries.map((entry) => ({
        name: entry.name,
        dateTime: entry.dateTime,
        extra: entry.extra,
        mode: entry.mode,
        compressType: entry.compressType,
        crc32: entry.crc32,
      }))
    );
    assert.deepEqual(seen[0], seen[1]);
    assert.equal(readers[0]!.python.comment, readers[1]!.python.comment);
    const descriptors = readers.map(({ python }) =>
      python.entries.filter((entry) => (entry.flagBits & 8) !== 0).length
    );
    assert.deepEqual(descriptors, [0, 6]);
  });
});

Deno.test("zipstream s3://b/src/ FILE -o s3://b/out.zip copies the stored objects server-side and streams the compressed ones and the file after them", async () => {
  const endpoint = s3Endpoint();
  await withBucket(async (client, bucket) => {
    const text = new TextEncoder().encode("zipstream ".repeat(300_000));
    const objects: [string, Uint8Array][] = [
      ["a.txt", text.subarray(0, 5000)],
      ["photo.jpg", pseudoRandom(12 * MIB + 1, 11)],
      ["video.mp4", pseudoRandom(6 * MIB, 12)],
      ["logs/app.log", text],
    ];
    await putObjects(client, bucket, objects);
    await withTempDir(async (dir) => {
      const local = `${dir}/notes.txt`;
      await Deno.writeTextFile(local, "local notes\n".repeat(1000));
      const run = await runCli([
        `s3://${bucket}/src/`,
        local,
        "-j",
        "-o",
        `s3://${bucket}/mixed.zip`,
        "--endpoint",
        endpoint,
        "--no-progress",
      ], { env: LOCAL_S3_ENV });
      assert.equal(run.code, 0, run.stderr);
      assert.match(
        run.stderr,
        new RegExp(
          `^zipstream: 5 entries, .* out \\(\\d+\\.\\d%\\), built server-side: [\\d.]+ MiB sent, [\\d.]+ MiB copied, [\\d.]+ MiB read, 3 entries streamed after the copied ones, [\\d.]+ m?s -> s3://${bucket}/mixed\\.zip \\([\\d,]+ bytes, ETag "[^"]+"\\)\\n$`,
        ),
      );
      const copied = Number(/([\d.]+) MiB copied/.exec(run.stderr)?.[1]);
      assert.ok(copied >= 12, run.stderr);
      const archive = await archiveBytes(client, bucket, "mixed.zip");
      // The copied objects come first, then the rest in the given order.
      const { python } = await assertOpensEverywhere(archive, [
        { name: "photo.jpg", data: objects[1]![1] },
        { name: "video.mp4", data: objects[2]![1] },
        { name: "a.txt", data: objects[0]![1] },
        { name: "app.log", data: text },
        { name: "notes.txt", data: "local notes\n".repeat(1000) },
      ]);
      assert.deepEqual(
        python.entries.map((entry) => [entry.name, entry.compressType]),
        [
          ["photo.jpg", 0],
          ["video.mp4", 0],
          ["a.txt", 8],
          ["app.log", 8],
          ["notes.txt", 8],
        ],
      );
      assert.ok(archive.length < 18.1 * MIB + 100_000, `${archive.length}`);
    });
    assert.deepEqual(await otherKeys(client, bucket), ["mixed.zip"]);
  });
});

Deno.test("zipstream streams a deflated archive of s3:// paths, and a stored one whose options only a streamed upload honours, saying why", async () => {
  const endpoint = s3Endpoint();
  await withBucket(async (client, bucket) => {
    const small = OBJECTS.filter(([, data]) => data.length < MIB);
    await putObjects(client, bucket, small);
    const run = (first: string[]) =>
      runCli(zipArgs(bucket, endpoint, first), { env: LOCAL_S3_ENV });

    const deflated = await run([]);
    assert.equal(deflated.code, 0, deflated.stderr);
    assert.match(deflated.stderr, /^zipstream: 7 entries, .*iB\/s, /);
    assert.doesNotMatch(deflated.stderr, /server-side/);

    const parted = await run([
      "-0",
      "--part-size",
      "5MiB",
      "--metadata",
      "team=data",
    ]);
    assert.equal(parted.code, 0, parted.stderr);
    const lines = parted.stderr.trimEnd().split("\n");
    assert.equal(
      lines[0],
      "zipstream: --part-size, --metadata need a streamed upload; streaming instead of building server-side (--no-copy streams without this line)",
    );
    assert.match(lines[1] ?? "", /^zipstream: 7 entries, .*iB\/s, /);
    assert.equal(lines.length, 2);
  });
});

Deno.test("zipstream streams instead, saying so, when the server answers UploadPartCopy with 501 NotImplemented or with InvalidRequest (no ranged copies)", async () => {
  for (
    const [status, code] of [
      [501, "NotImplemented"],
      [400, "InvalidRequest"],
    ] as const
  ) {
    await withCopiesFaulted(
      { kind: "status", status, code },
      async (client, bucket, proxy) => {
        const result = await runCli(
          zipArgs(bucket, proxy.endpoint, ["-0"]),
          { env: LOCAL_S3_ENV },
        );
        assert.equal(result.code, 0, result.stderr);
        assert.match(
          result.stderr,
          new RegExp(
            `^zipstream: the server refused server-side copies \\(${code}: Injected by the fault proxy\\); streaming instead\nzipstream: 10 entries, .* MiB/s, [^\n]*\n$`,
          ),
        );
        assert.ok(proxy.log.some((entry) => entry.action === "status"));
        assert.deepEqual(await otherKeys(client, bucket), ["out.zip"]);
        await assertOpensEverywhere(
          await archiveBytes(client, bucket, "out.zip"),
          expected(),
        );
      },
    );
  }
});

Deno.test("zipstream streams instead when the server refuses to complete a build whose parts differ in size, as Cloudflare R2 does", async () => {
  const message = "All non-trailing parts must have the same length.";
  await withCopiesFaulted(
    { kind: "status", status: 400, code: "InvalidPart", message },
    async (client, bucket, proxy) => {
      const result = await runCli(
        zipArgs(bucket, proxy.endpoint, ["-0"]),
        { env: LOCAL_S3_ENV },
      );
      assert.equal(result.code, 0, result.stderr);
      assert.match(
        result.stderr,
        /^zipstream: the server refused server-side copies \(InvalidPart: All non-trailing parts must have the same length\); streaming instead\n/,
      );
      assert.deepEqual(await otherKeys(client, bucket), ["out.zip"]);
      await assertOpensEverywhere(
        await archiveBytes(client, bucket, "out.zip"),
        expected(),
      );
    },
    // The build's own completion, once (its seams' uploads end with their
    // one small part, which R2 allows); the streamed upload's equal parts
    // then pass.
    {
      match: (request) =>
        isComplete(request) && request.path.endsWith("/out.zip"),
      times: 1,
    },
  );
});

Deno.test("zipstream fails a server-side build whose copy is denied, saying nothing was stored, without streaming", async () => {
  await withCopiesFaulted(
    { kind: "status", status: 403, code: "AccessDenied" },
    async (client, bucket, proxy) => {
      const result = await runCli(
        zipArgs(bucket, proxy.endpoint, ["--store"]),
        { env: LOCAL_S3_ENV },
      );
      assert.equal(result.code, 1, result.stderr);
      const lines = result.stderr.trimEnd().split("\n");
      assert.match(
        lines[0] ?? "",
        new RegExp(
          `^zipstream: Cannot build s3://${bucket}/out\\.zip: .*AccessDenied.*; nothing was stored: its upload was aborted, its seam objects were removed$`,
        ),
      );
      assert.match(
        lines[1] ?? "",
        /^zipstream: nothing was stored; the upload was aborted \(upload ID .+\)$/,
      );
      assert.equal(lines.length, 2);
      assert.deepEqual(await otherKeys(client, bucket), []);
    },
  );
});

Deno.test("zipstream -0 interrupted by Ctrl-C during a server-side build, its upload in the journal meanwhile, aborts it and exits 130 saying nothing was stored", async () => {
  await withCopiesFaulted({ kind: "stall" }, async (client, bucket, proxy) => {
    const state = await Deno.makeTempDir();
    const child = new Deno.Command(Deno.execPath(), {
      args: cliCommand(zipArgs(bucket, proxy.endpoint, ["-0"])),
      env: { NO_COLOR: "1", ...LOCAL_S3_ENV, ZIPSTREAM_STATE_DIR: state },
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const { code, stderr } = await withChild(child, async () => {
      await waitUntil(
        "a copy is held",
        () => Promise.resolve(proxy.log.some((e) => e.action === "stall")),
      );
      // Recorded for `zipstream cleanup`, should the process be killed.
      const records = await storedRecords(state);
      assert.deepEqual(
        records.map((record) => [record.bucket, record.key]),
        [[bucket, "out.zip"]],
      );
      child.kill("SIGINT");
      const output = await child.output();
      return {
        code: output.code,
        stderr: new TextDecoder().decode(output.stderr),
      };
    });
    assert.equal(code, 130, stderr);
    const lines = stderr.trimEnd().split("\n");
    // The upload is recorded, so it is named, as a streamed upload's is.
    assert.match(
      lines[0] ?? "",
      new RegExp(
        `^zipstream: interrupted; aborting the upload to s3://${bucket}/out\\.zip \\(upload ID .+\\); press Ctrl-C again to leave it pending$`,
      ),
    );
    assert.match(
      lines[1] ?? "",
      /^zipstream: Interrupted by SIGINT; nothing was stored; the upload was aborted \(upload ID .+\)$/,
    );
    assert.equal(lines.length, 2);
    assert.deepEqual(await otherKeys(client, bucket), []);
    assert.deepEqual(
      await storedRecords(state),
      [],
      "the record of the aborted upload is removed",
    );
    await Deno.remove(state, { recursive: true });
  });
});

Deno.test("zipstream cleanup s3://bucket/prefix --older-than removes the seam and segment folders a killed build left, and --dry-run only lists them", async () => {
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      const seams = [
        "out.zip.zipstream-seams/0a1b2c3d/2",
        "out.zip.zipstream-seams/0a1b2c3d/5",
        "q.zip.zipstream-segments/b1d2/00003",
      ];
      const others = ["out.zip.zipstream-seams/notes.txt", "src/a.txt"];
      await Promise.all([...seams, ...others].map((key) =>
        client.send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: "x" }),
        )
      ));
      // S3 dates objects in whole seconds: 2 s later they are over 1 s old.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const args = [
        "cleanup",
        `s3://${bucket}/`,
        "--older-than",
        "1s",
        "--endpoint",
        s3Endpoint(),
      ];
      const env = { ...LOCAL_S3_ENV, ZIPSTREAM_STATE_DIR: `${dir}/state` };
      const time =
        `\\(last modified \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\\)`;
      const seamsWhat =
        `2 seam objects of a server-side build under s3://${bucket}/out\\.zip\\.zipstream-seams/0a1b2c3d/ ${time}`;
      const segmentWhat =
        `1 segment of a build on a queue under s3://${bucket}/q\\.zip\\.zipstream-segments/b1d2/ ${time}`;
      const none =
        `zipstream: no incomplete upload under s3://${bucket}/ was initiated before .* UTC`;

      const dry = await runCli([...args, "--dry-run"], { env });
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(
        dry.stderr,
        new RegExp(
          `^${none}\nzipstream: would remove ${seamsWhat}\nzipstream: would remove ${segmentWhat}\n$`,
        ),
      );
      assert.equal((await otherKeys(client, bucket)).length, 4);

      const cleanup = await runCli(args, { env });
      assert.equal(cleanup.code, 0, cleanup.stderr);
      assert.match(
        cleanup.stderr,
        new RegExp(
          `^${none}\nzipstream: removed ${seamsWhat}\nzipstream: removed ${segmentWhat}\n$`,
        ),
      );
      assert.deepEqual(await otherKeys(client, bucket), [others[0]]);
    });
  });
});

Deno.test("formatSummary() says what a server-side build sent, copied and read instead of a speed", () => {
  assert.equal(
    formatSummary({
      entries: 128,
      bytesIn: 8 * 1024 * MIB,
      bytesOut: 8 * 1024 * MIB + 9000,
      elapsedMs: 41_200,
      target: "s3://dst/out.zip",
      object: { size: 8 * 1024 * MIB + 9000, etag: '"e-2"' },
      built: {
        bytesSent: 5 * MIB,
        bytesCopied: 8 * 1024 * MIB,
        bytesRead: 5 * MIB,
      },
    }),
    'zipstream: 128 entries, 8.00 GiB in, 8.00 GiB out (100.0%), built server-side: 5.00 MiB sent, 8.00 GiB copied, 5.00 MiB read, 41.2 s -> s3://dst/out.zip (8,589,943,592 bytes, ETag "e-2")',
  );
});
