import assert from "node:assert/strict";
import {
  GetObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { assertOpensEverywhere, withTempDir } from "../_readers.ts";
import { FaultProxy, isUploadPartAfter } from "../s3/_fault_proxy.ts";
import {
  getObjectStream,
  LOCAL_S3_ENV,
  pendingUploads,
  s3Endpoint,
  withBucket,
} from "../s3/_local_s3.ts";
import {
  cliCommand,
  makeTree,
  noCredentialsEnv,
  randomDataTree,
  runCli,
  signalAndWait,
  type TreeNode,
  waitUntil,
  withChild,
} from "./_cli.ts";
import { assertSameAsSingleRun } from "./_same_object.ts";

const MIB = 1024 * 1024;
/** Ten files of a little over 4 MiB: 5 MiB parts end inside files. */
const FILES = 10;
const FILE_SIZE = 4 * MIB + 4321;

function tree(): TreeNode[] {
  return randomDataTree(FILES, FILE_SIZE, 7);
}

/** Every file's bytes, as the readers should find them. */
function expected(): { name: string; data?: Uint8Array }[] {
  return tree().map((node) =>
    node.kind === "file"
      ? { name: node.path, data: node.data as Uint8Array }
      : { name: `${node.path}/` }
  );
}

function zipArgs(
  endpoint: string,
  bucket: string,
  key: string,
  extra: readonly string[] = [],
): string[] {
  return [
    "--store",
    "data",
    "-o",
    `s3://${bucket}/${key}`,
    "--endpoint",
    endpoint,
    "--part-size",
    "5MiB",
    "--no-progress",
    ...extra,
  ];
}

async function keysUnder(
  client: S3Client,
  bucket: string,
  prefix: string,
): Promise<string[]> {
  const listing = await client.send(
    new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }),
  );
  return (listing.Contents ?? []).map((object) => object.Key!);
}

interface SavedCheckpoint {
  upload: { uploadId: string; parts: { partNumber: number }[] };
  records: { generation: string; chunks: number };
}

async function readCheckpoint(
  client: S3Client,
  bucket: string,
  key: string,
): Promise<SavedCheckpoint | undefined> {
  try {
    const object = await client.send(
      new GetObjectCommand({ Bucket: bucket, Key: key }),
    );
    return JSON.parse(await object.Body!.transformToString());
  } catch {
    return undefined;
  }
}

async function serverParts(
  client: S3Client,
  bucket: string,
  key: string,
  uploadId: string,
): Promise<number[]> {
  const listed = await client.send(
    new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId }),
  );
  return (listed.Parts ?? []).map((part) => part.PartNumber!);
}

/** What each test runs against: the tree in `dir`, a bucket, the CLI's env. */
interface Setting {
  client: S3Client;
  bucket: string;
  dir: string;
  endpoint: string;
  env: Record<string, string>;
}

/** Runs `test` with {@linkcode tree} written to a fresh folder and a fresh bucket. */
async function withSetting(test: (setting: Setting) => Promise<void>) {
  const endpoint = s3Endpoint();
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      await makeTree(dir, tree());
      const env = { ...LOCAL_S3_ENV, ZIPSTREAM_STATE_DIR: `${dir}/state` };
      await test({ client, bucket, dir, endpoint, env });
    });
  });
}

Deno.test("zipstream --resume s3://… --max-time keeps the checkpoint and its entry records in S3 between runs, a sweep leaves its upload alone, and the last run removes them", async () => {
  await withSetting(async ({ client, bucket, dir, endpoint, env }) => {
    const checkpoint = `s3://${bucket}/state/out.zip.resume`;
    const args = zipArgs(endpoint, bucket, "out.zip", [
      "--resume",
      checkpoint,
      "--max-time",
      "0.001",
    ]);
    let runs = 0;
    let last = await runCli(args, { cwd: dir, env });
    while (last.code === 75) {
      runs++;
      assert.match(
        last.stderr,
        new RegExp(`kept for --resume ${checkpoint}; run the same command`),
      );
      const saved = await readCheckpoint(
        client,
        bucket,
        "state/out.zip.resume",
      );
      assert.ok(saved !== undefined, `run ${runs}: no checkpoint object`);
      assert.deepEqual(
        await serverParts(client, bucket, "out.zip", saved.upload.uploadId),
        saved.upload.parts.map((part) => part.partNumber),
        `run ${runs}`,
      );
      // Only the chunks the checkpoint names: the run's own generation.
      const chunks = await keysUnder(
        client,
        bucket,
        "state/out.zip.resume.entries/",
      );
      assert.deepEqual(
        chunks,
        Array.from(
          { length: saved.records.chunks },
          (_, i) =>
            `state/out.zip.resume.entries/${saved.records.generation}/${
              String(i).padStart(6, "0")
            }`,
        ),
        `run ${runs}`,
      );
      assert.equal(
        [...Deno.readDirSync(dir)].some((e) => e.name.includes("resume")),
        false,
        "nothing of the checkpoint is written locally",
      );
      if (runs === 1) {
        // A sweep by another run finds the checkpoint object and keeps the upload.
        const sweep = await runCli(["cleanup"], { cwd: dir, env });
        assert.equal(sweep.code, 0, sweep.stderr);
        assert.match(
          sweep.stderr,
          new RegExp(`pending: it is kept for --resume ${checkpoint}`),
        );
        assert.deepEqual(await pendingUploads(client, bucket, "out.zip"), [
          saved.upload.uploadId,
        ]);
      }
      last = await runCli(args, { cwd: dir, env });
    }
    assert.equal(last.code, 0, last.stderr);
    assert.ok(runs >= 5, `paused ${runs} times`);
    assert.deepEqual(await keysUnder(client, bucket, "state/"), []);
    assert.deepEqual(await pendingUploads(client, bucket, "out.zip"), []);

    await assertSameAsSingleRun(client, bucket, "out.zip", {
      args: zipArgs(endpoint, bucket, "single.zip"),
      key: "single.zip",
      run: { cwd: dir, env },
    });
    await assertOpensEverywhere(
      await getObjectStream(client, bucket, "out.zip"),
      expected(),
    );
  });
});

Deno.test("zipstream --resume s3://… killed with SIGKILL after parts its held-back checkpoint does not name resumes to the same object", async () => {
  await withSetting(async ({ client, bucket, dir, endpoint, env }) => {
    const checkpoint = `s3://${bucket}/out.zip.resume`;
    const proxy = FaultProxy.start(endpoint);
    let uploadId: string;
    try {
      // Parts 1 to 4 go through, then everything stalls: the first
      // checkpoint is saved at once, the later ones are held back.
      proxy.inject(
        isUploadPartAfter(4),
        { kind: "stall" },
        1000,
      );
      const child = new Deno.Command(Deno.execPath(), {
        args: cliCommand(
          zipArgs(proxy.endpoint, bucket, "out.zip", [
            "--resume",
            checkpoint,
            "--concurrency",
            "4",
          ]),
        ),
        cwd: dir,
        env,
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
      uploadId = await withChild(child, async () => {
        let id = "";
        await waitUntil("the server holds 4 parts", async () => {
          const saved = await readCheckpoint(
            client,
            bucket,
            "out.zip.resume",
          );
          if (saved === undefined) return false;
          id = saved.upload.uploadId;
          return (await serverParts(client, bucket, "out.zip", id))
            .length === 4;
        });
        await signalAndWait(child, "SIGKILL");
        return id;
      });
    } finally {
      await proxy.close();
    }
    const saved = await readCheckpoint(client, bucket, "out.zip.resume");
    assert.ok(saved !== undefined);
    assert.ok(
      saved.upload.parts.length < 4,
      `the checkpoint names ${saved.upload.parts.length} parts, fewer than the server holds`,
    );
    const resumed = await runCli(
      zipArgs(endpoint, bucket, "out.zip", ["--resume", checkpoint]),
      { cwd: dir, env },
    );
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepEqual(await pendingUploads(client, bucket, "out.zip"), []);
    assert.equal(uploadId.length > 0, true);
    assert.deepEqual(await keysUnder(client, bucket, "out.zip.resume"), []);
    await assertSameAsSingleRun(client, bucket, "out.zip", {
      args: zipArgs(endpoint, bucket, "single.zip"),
      key: "single.zip",
      run: { cwd: dir, env },
    });
  });
});

Deno.test("zipstream --abort-resume s3://… aborts the upload the checkpoint object records and removes the checkpoint's objects", async () => {
  await withSetting(async ({ client, bucket, dir, endpoint, env }) => {
    const checkpoint = `s3://${bucket}/out.zip.resume`;
    const paused = await runCli(
      zipArgs(endpoint, bucket, "out.zip", [
        "--resume",
        checkpoint,
        "--max-time",
        "0.001",
      ]),
      { cwd: dir, env },
    );
    assert.equal(paused.code, 75, paused.stderr);
    const [uploadId] = await pendingUploads(client, bucket, "out.zip");
    assert.ok(uploadId !== undefined);
    const aborted = await runCli(
      ["--abort-resume", checkpoint, "--endpoint", endpoint],
      { cwd: dir, env },
    );
    assert.equal(aborted.code, 0, aborted.stderr);
    assert.match(
      aborted.stderr,
      new RegExp(
        `aborted upload ID ${uploadId} .* and removed ${checkpoint}`,
      ),
    );
    assert.deepEqual(await pendingUploads(client, bucket, "out.zip"), []);
    assert.deepEqual(await keysUnder(client, bucket, "out.zip"), []);
    // The journal forgot it: a sweep has nothing to say.
    const sweep = await runCli(["cleanup"], { cwd: dir, env });
    assert.equal(sweep.code, 0, sweep.stderr);
    assert.doesNotMatch(sweep.stderr, new RegExp(uploadId));
  });
});

Deno.test("zipstream --resume s3://… is refused as the target itself, as a bucket or folder, and inside an archived s3:// path", async () => {
  for (
    const [resume, inputs, message] of [
      [
        "s3://b/k.zip",
        ["a"],
        /Cannot keep the checkpoint in s3:\/\/b\/k\.zip, the archive's own object/,
      ],
      [
        "s3://b/",
        ["a"],
        /Invalid --resume "s3:\/\/b\/": expected s3:\/\/bucket\/key/,
      ],
      ["s3://b/dir/", ["a"], /Invalid --resume "s3:\/\/b\/dir\/"/],
    ] as const
  ) {
    const result = await runCli([
      ...inputs,
      "-o",
      "s3://b/k.zip",
      "--resume",
      resume,
    ]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, message);
  }
  const inside = await runCli(
    ["s3://src/logs", "-o", "s3://b/k.zip", "--resume", "s3://src/logs/r"],
    { env: { ...LOCAL_S3_ENV, ZIPSTREAM_STATE_DIR: "/nonexistent" } },
  );
  assert.equal(inside.code, 2, inside.stderr);
  assert.match(
    inside.stderr,
    /Cannot keep the checkpoint s3:\/\/src\/logs\/r inside s3:\/\/src\/logs, which is being archived/,
  );
});

Deno.test("zipstream --resume s3://… and --abort-resume s3://… without credentials say so before any request", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/a.txt`, "a");
    // Nothing listens on the discard port: a request sent would fail with
    // a connection error, not with the credentials' message.
    const endpoint = "http://127.0.0.1:9";
    const env = {
      ...noCredentialsEnv(dir),
      ZIPSTREAM_STATE_DIR: `${dir}/state`,
    };
    for (
      const args of [
        ["a.txt", "-o", "s3://b/k.zip", "--resume", "s3://b/k.resume"],
        ["--abort-resume", "s3://b/k.resume"],
      ]
    ) {
      const result = await runCli([...args, "--endpoint", endpoint], {
        cwd: dir,
        env,
      });
      assert.equal(result.code, 1, result.stderr);
      assert.match(
        result.stderr,
        /^zipstream: No AWS credentials for s3:\/\/b\/k\.resume: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name a profile/,
      );
    }
  });
});
