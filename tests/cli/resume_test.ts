import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { formatBytes, formatCount } from "../../src/cli/_format.ts";
import { ResumeFile, type S3Server } from "../../src/cli/_resume_file.ts";
import {
  parseUploadCheckpoint,
  resumePointOf,
  S3UploadError,
  type UploadCheckpoint,
  uploadToS3,
} from "../../src/s3/mod.ts";
import { decodeWrittenEntry } from "../../src/zip/mod.ts";
import { assertOpensEverywhere, withTempDir } from "../_readers.ts";
import {
  FaultProxy,
  isUploadPartAfter,
  type ProxiedRequest,
} from "../s3/_fault_proxy.ts";
import {
  getObjectStream,
  LOCAL_S3_ENV,
  objectSha256,
  pendingUploads,
  randomStream,
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
  TREE_MTIME,
  type TreeNode,
  waitUntil,
  withChild,
} from "./_cli.ts";
import { drawnFrames, frameFields, runOnTerminal } from "./_terminal.ts";

const MIB = 1024 * 1024;
const PART = 5 * MIB;
/** Parts the interrupted run completes: the proxy stalls every later one. */
const DONE_PARTS = 4;
/** Eight files of a little over 6 MiB: part boundaries fall inside files. */
const FILE_SIZE = 6 * MIB + 12_345;
const FILES = 8;

function tree(): TreeNode[] {
  return randomDataTree(FILES, FILE_SIZE, 1);
}

interface StoredResume {
  upload: { uploadId: string; parts: { partNumber: number }[] };
}

async function readCheckpoint(path: string): Promise<StoredResume | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch {
    return undefined;
  }
}

/**
 * A CLI run's environment: the local server's credentials, and a journal of
 * uploads in `dir`, so that uploads the tests kill stay out of other runs'.
 */
function cliEnv(dir: string): Record<string, string> {
  return { ...LOCAL_S3_ENV, ZIPSTREAM_STATE_DIR: `${dir}/state` };
}

function zipArgs(
  bucket: string,
  key: string,
  endpoint: string,
  checkpoint?: string,
  compression: readonly string[] = ["--store"],
): string[] {
  return [
    ...compression,
    "data",
    "-o",
    `s3://${bucket}/${key}`,
    "--endpoint",
    endpoint,
    "--part-size",
    "5MiB",
    "--concurrency",
    `${DONE_PARTS}`,
    "--no-progress",
    ...(checkpoint === undefined ? [] : ["--resume", checkpoint]),
  ];
}

/**
 * Starts the CLI through a proxy that lets parts 1 to DONE_PARTS through and
 * stalls the rest, waits until the checkpoint file shows those parts, and
 * sends `signal`: SIGKILL is a crash, with no chance to clean up.
 */
async function crashMidUpload(
  proxy: FaultProxy,
  dir: string,
  bucket: string,
  key: string,
  checkpoint: string,
  signal: Deno.Signal = "SIGKILL",
  compression?: readonly string[],
): Promise<{ status: Deno.CommandStatus; stderr: string }> {
  proxy.inject(
    isUploadPartAfter(DONE_PARTS),
    { kind: "stall" },
    1000,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: cliCommand(
      zipArgs(bucket, key, proxy.endpoint, checkpoint, compression),
    ),
    cwd: dir,
    env: cliEnv(dir),
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const result = await withChild(child, async () => {
    const stderr = new Response(child.stderr).text();
    await waitUntil(
      `the checkpoint shows ${DONE_PARTS} parts`,
      async () =>
        (await readCheckpoint(`${dir}/${checkpoint}`))?.upload.parts.length ===
          DONE_PARTS,
    );
    const status = await signalAndWait(child, signal);
    return { status, stderr: await stderr };
  });
  proxy.rules.length = 0;
  return result;
}

/** Fails unless the checkpoint file and its entries file are gone. */
async function assertCheckpointRemoved(path: string): Promise<void> {
  for (const file of [path, `${path}.entries`]) {
    await assert.rejects(Deno.stat(file), Deno.errors.NotFound, file);
  }
}

function partBytesSent(proxy: FaultProxy, from: number): number {
  return proxy.log.slice(from)
    .filter((entry) =>
      entry.method === "PUT" && /partNumber=/.test(entry.query)
    )
    .reduce((sum, entry) => sum + entry.bodyBytesForwarded, 0);
}

/** Crashes an upload through a fault proxy of its own, closed afterwards. */
async function crashThroughOwnProxy(
  endpoint: string,
  dir: string,
  bucket: string,
  key: string,
): Promise<void> {
  const proxy = FaultProxy.start(endpoint);
  try {
    await crashMidUpload(proxy, dir, bucket, key, "up.resume");
  } finally {
    await proxy.close();
  }
}

Deno.test("zipstream --resume continues an upload killed with SIGKILL, sends only the missing parts, and stores the same bytes", async () => {
  const endpoint = s3Endpoint();
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      await makeTree(dir, tree());
      const proxy = FaultProxy.start(endpoint);
      try {
        const started = Date.now();
        const { status } = await crashMidUpload(
          proxy,
          dir,
          bucket,
          "crashed.zip",
          "up.resume",
        );
        assert.equal(status.signal, "SIGKILL");
        const crashed = Date.now();
        const { upload } = (await readCheckpoint(`${dir}/up.resume`))!;
        assert.deepEqual(await pendingUploads(client, bucket, "crashed.zip"), [
          upload.uploadId,
        ]);

        const logged = proxy.log.length;
        const resumed = await runCli(
          zipArgs(bucket, "crashed.zip", proxy.endpoint, "up.resume"),
          { cwd: dir, env: cliEnv(dir) },
        );
        assert.equal(resumed.code, 0, resumed.stderr);
        const finished = Date.now();
        const sent = partBytesSent(proxy, logged);
        assert.ok(
          !proxy.log.slice(logged).some((entry) =>
            entry.method === "POST" && entry.query.includes("uploads")
          ),
          "the resumed run creates no new upload",
        );

        const referenceStarted = Date.now();
        const reference = await runCli(
          zipArgs(bucket, "reference.zip", endpoint),
          { cwd: dir, env: cliEnv(dir) },
        );
        assert.equal(reference.code, 0, reference.stderr);
        const referenceTook = Date.now() - referenceStarted;
        assert.equal(
          await objectSha256(client, bucket, "crashed.zip"),
          await objectSha256(client, bucket, "reference.zip"),
        );
        await assertOpensEverywhere(
          await getObjectStream(client, bucket, "crashed.zip"),
          tree().map((node) =>
            node.kind === "file"
              ? { name: node.path, data: node.data }
              : { name: `${node.path}/` }
          ),
        );
        const head = await client.send(
          new HeadObjectCommand({ Bucket: bucket, Key: "crashed.zip" }),
        );
        const total = head.ContentLength!;
        const missing = total - DONE_PARTS * PART;
        console.log(
          `archive ${total} bytes; the crashed run completed ${
            DONE_PARTS * PART
          } (${DONE_PARTS} parts) in ${
            crashed - started
          } ms; the resumed run sent ${sent} bytes of parts (missing: ${missing}) in ${
            finished - crashed
          } ms, an uninterrupted upload in ${referenceTook} ms; ${resumed.stderr.trim()}`,
        );
        assert.ok(sent <= missing + PART, `sent ${sent}`);
        assert.ok(sent >= missing, `sent ${sent}`);
        // Files wholly before the last part boundary ahead of the first
        // unfinished file are not read again: files 0 and 1 end before
        // 15 MiB, file 2 runs past it and file 3 past the completed 20 MiB.
        const readAgain = /: ([\d.]+) MiB read and /.exec(resumed.stderr);
        assert.ok(readAgain, resumed.stderr);
        assert.ok(
          Math.abs(Number(readAgain[1]) * MIB - (FILES - 2) * FILE_SIZE) <
            0.1 * MIB,
          resumed.stderr,
        );
        assert.deepEqual(
          await pendingUploads(client, bucket, "crashed.zip"),
          [],
        );
        await assertCheckpointRemoved(`${dir}/up.resume`);
      } finally {
        await proxy.close();
      }
    });
  });
});

Deno.test("zipstream --resume starts the bar where the killed run stopped, and sums up the whole object", async () => {
  const endpoint = s3Endpoint();
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      await makeTree(dir, tree());
      await crashThroughOwnProxy(endpoint, dir, bucket, "bar.zip");
      const { archive: point } = resumePointOf(
        parseUploadCheckpoint(
          JSON.parse(await Deno.readTextFile(`${dir}/up.resume`)).upload,
        ),
        (await Deno.readTextFile(`${dir}/up.resume.entries`)).trimEnd()
          .split("\n").map((line) => decodeWrittenEntry(line)),
      );
      // The files wholly in the completed parts are not read again.
      const resumedIn = point.entries.reduce(
        (sum, entry) => sum + entry.size,
        0,
      );
      assert.ok(resumedIn >= FILE_SIZE, `${resumedIn} bytes resumed`);

      const { code, screen } = await runOnTerminal(
        zipArgs(bucket, "bar.zip", endpoint, "up.resume")
          .filter((arg) => arg !== "--no-progress"),
        { cwd: dir, columns: 100, env: cliEnv(dir) },
      );
      assert.equal(code, 0, screen);
      const frames = drawnFrames(screen);
      const summary = frames.pop()!;
      const total = FILES * FILE_SIZE;
      const first = new Map(frameFields(frames[0]!));
      assert.equal(
        first.get("percent"),
        `${Math.floor((resumedIn / total) * 100)}%`,
        frames[0]!,
      );
      assert.equal(
        first.get("bytes"),
        `${formatBytes(resumedIn)} of ${formatBytes(total)}`,
      );
      assert.equal(first.get("sent"), `${formatBytes(point.offset)} sent`);
      assert.equal(first.get("entries"), `${point.entries.length}/9 entries`);
      const last = new Map(frameFields(frames.at(-1)!));
      assert.equal(last.get("percent"), "100%");

      const size = (await client.send(
        new HeadObjectCommand({ Bucket: bucket, Key: "bar.zip" }),
      )).ContentLength!;
      const expected = `zipstream: 9 entries, ${formatBytes(total)} in, ${
        formatBytes(size)
      } out (${((size / total) * 100).toFixed(1)}%), resumed after ${
        formatBytes(point.offset)
      }: `;
      assert.equal(summary.slice(0, expected.length), expected, summary);
      assert.match(
        summary.slice(expected.length),
        new RegExp(
          `^[\\d.]+ MiB read and ${
            formatBytes(size - point.offset)
          } sent by this run, .* -> s3://${bucket}/bar\\.zip \\(${
            formatCount(size)
          } bytes, ETag "[^"]+"\\)$`,
        ),
      );
    });
  });
});

Deno.test("zipstream --resume stops, naming the part, when an input changed without its size or time, and --abort-resume leaves nothing", async () => {
  const endpoint = s3Endpoint();
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      await makeTree(dir, tree());
      await crashThroughOwnProxy(endpoint, dir, bucket, "changed.zip");
      // The entry that runs past the completed parts is read again from its
      // start, and its bytes in those parts are compared with the checkpoint.
      const done = DONE_PARTS * PART;
      const records = (await Deno.readTextFile(`${dir}/up.resume.entries`))
        .trimEnd().split("\n").map((line) => JSON.parse(line));
      // Records are appended as checkpoints are written, so the straddling
      // entry may not be recorded yet: it then starts where the last
      // recorded one ends, and is the next file of the tree.
      const last = records.at(-1) as [string, number, number];
      const names = tree().map((node) =>
        node.kind === "file" ? node.path : `${node.path}/`
      );
      const [name, offset] = records.find(([, offset, end]) =>
        offset < done && end > done
      ) ?? [names[names.indexOf(last[0]) + 1]!, last[2]];
      assert.ok(
        offset < done && offset + FILE_SIZE > done,
        `${name} at ${offset} runs past the completed parts`,
      );
      // Local header and name take less than 700 bytes.
      const expectedPart = Math.floor((offset + 700) / PART) + 1;
      assert.equal(Math.floor((offset + 1400) / PART) + 1, expectedPart);
      const path = `${dir}/${name}`;
      const bytes = await Deno.readFile(path);
      bytes[700] = bytes[700]! ^ 0xff;
      await Deno.writeFile(path, bytes);
      await Deno.utime(path, TREE_MTIME, TREE_MTIME);

      const result = await runCli(
        zipArgs(bucket, "changed.zip", endpoint, "up.resume"),
        { cwd: dir, env: cliEnv(dir) },
      );
      assert.equal(result.code, 1, result.stderr);
      const lines = result.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 2, result.stderr);
      assert.match(
        lines[0]!,
        new RegExp(
          `^zipstream: Cannot upload to s3://${bucket}/changed\\.zip \\(upload ID [^)]+\\): cannot resume: part ${expectedPart} \\(body bytes \\d+ to \\d+\\) differs from the checkpoint: .* so the inputs have changed since the earlier run; the multipart upload was left as it was`,
        ),
      );
      assert.match(
        lines[1]!,
        new RegExp(
          `^zipstream: upload ID \\S+ of s3://${bucket}/changed\\.zip is pending, kept for --resume up\\.resume: run the same command again to resume it, or discard it with zipstream --abort-resume up\\.resume$`,
        ),
      );
      assert.equal(
        (await pendingUploads(client, bucket, "changed.zip")).length,
        1,
      );

      const aborted = await runCli(
        ["--abort-resume", "up.resume", "--endpoint", endpoint],
        { cwd: dir, env: cliEnv(dir) },
      );
      assert.equal(aborted.code, 0, aborted.stderr);
      assert.match(
        aborted.stderr,
        new RegExp(
          `^zipstream: aborted upload ID \\S+ of s3://${bucket}/changed\\.zip and removed up\\.resume\n$`,
        ),
      );
      assert.deepEqual(await pendingUploads(client, bucket, "changed.zip"), []);
      await assert.rejects(Deno.stat(`${dir}/up.resume`), Deno.errors.NotFound);
    });
  });
});

Deno.test("zipstream --resume refuses a checkpoint written for other inputs, standard input, and a checkpoint among the inputs", async () => {
  const endpoint = s3Endpoint();
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      await makeTree(dir, tree());
      await crashThroughOwnProxy(endpoint, dir, bucket, "other.zip");
      await Deno.writeFile(`${dir}/data/new.txt`, new Uint8Array(10));
      const result = await runCli(
        zipArgs(bucket, "other.zip", endpoint, "up.resume"),
        { cwd: dir, env: cliEnv(dir) },
      );
      assert.equal(result.code, 1, result.stderr);
      assert.equal(
        result.stderr,
        `zipstream: Cannot resume from up.resume: it records an upload of other inputs or options (${
          FILES + 1
        } entries, now ${
          FILES + 2
        }); run the command that wrote it, or discard its upload with zipstream --abort-resume up.resume\n`,
      );
      assert.equal(
        (await pendingUploads(client, bucket, "other.zip")).length,
        1,
      );
      const usage = await runCli(
        ["-", "-o", `s3://${bucket}/x.zip`, "--resume", "x.resume"],
        { cwd: dir, env: cliEnv(dir), stdin: new Uint8Array(1) },
      );
      assert.equal(usage.code, 2);
      assert.match(
        usage.stderr,
        /^zipstream: Cannot resume an archive of standard input: - cannot be read again; give files instead\n/,
      );
      const inside = await runCli(
        ["data", "-o", `s3://${bucket}/x.zip`, "--resume", "data/x.resume"],
        { cwd: dir, env: cliEnv(dir) },
      );
      assert.equal(inside.code, 2);
      assert.match(
        inside.stderr,
        /^zipstream: Cannot keep the checkpoint data\/x\.resume inside data, which is being archived: give a --resume FILE outside the paths\n/,
      );
    });
  });
});

Deno.test("zipstream --resume keeps the upload on SIGINT and says how to resume or discard it", async () => {
  const endpoint = s3Endpoint();
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      await makeTree(dir, tree());
      const proxy = FaultProxy.start(endpoint);
      try {
        const { status, stderr } = await crashMidUpload(
          proxy,
          dir,
          bucket,
          "interrupted.zip",
          "up.resume",
          "SIGINT",
        );
        assert.equal(status.code, 130, stderr);
        const [uploadId] = await pendingUploads(
          client,
          bucket,
          "interrupted.zip",
        );
        const upload =
          `upload ID ${uploadId} of s3://${bucket}/interrupted.zip`;
        assert.equal(
          stderr,
          `zipstream: interrupted; keeping the upload to s3://${bucket}/interrupted.zip (upload ID ${uploadId}) for --resume up.resume; press Ctrl-C again to exit at once\n` +
            `zipstream: Interrupted by SIGINT; ${upload} is pending, kept for --resume up.resume: run the same command again to resume it, or discard it with zipstream --abort-resume up.resume\n`,
        );
        const resumed = await runCli(
          zipArgs(bucket, "interrupted.zip", proxy.endpoint, "up.resume"),
          { cwd: dir, env: cliEnv(dir) },
        );
        assert.equal(resumed.code, 0, resumed.stderr);
        assert.deepEqual(
          await pendingUploads(client, bucket, "interrupted.zip"),
          [],
        );
      } finally {
        await proxy.close();
      }
    });
  });
});

Deno.test("zipstream --resume sends no part when the run it resumes completed the upload but died before removing its checkpoint", async () => {
  const endpoint = s3Endpoint();
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      await makeTree(dir, tree());
      const key = "completed.zip";
      const proxy = FaultProxy.start(endpoint);
      try {
        // The server completes the upload but the answer is lost, and every
        // check that follows hangs: the run is killed in between.
        const isComplete = (request: ProxiedRequest) =>
          request.method === "POST" && request.query.has("uploadId");
        proxy.inject(isComplete, { kind: "lose-answer" }, 1);
        proxy.inject(
          (request) => isComplete(request) || request.method === "HEAD",
          { kind: "stall" },
          1000,
        );
        const child = new Deno.Command(Deno.execPath(), {
          args: cliCommand(zipArgs(bucket, key, proxy.endpoint, "up.resume")),
          cwd: dir,
          env: cliEnv(dir),
          stdin: "null",
          stdout: "null",
          stderr: "null",
        }).spawn();
        const status = await withChild(child, async () => {
          await waitUntil("the upload is completed", async () => {
            try {
              await client.send(
                new HeadObjectCommand({ Bucket: bucket, Key: key }),
              );
              return true;
            } catch {
              return false;
            }
          });
          return await signalAndWait(child, "SIGKILL");
        });
        assert.equal(status.signal, "SIGKILL");
        proxy.rules.length = 0;
        await Deno.stat(`${dir}/up.resume`);
        const stored = await objectSha256(client, bucket, key);
        const head = await client.send(
          new HeadObjectCommand({ Bucket: bucket, Key: key }),
        );

        await Deno.copyFile(`${dir}/up.resume`, `${dir}/kept.resume`);
        await Deno.copyFile(
          `${dir}/up.resume.entries`,
          `${dir}/kept.resume.entries`,
        );

        // Swift still lists the parts of a completed upload and completes it
        // again: nothing is sent but the Complete.
        let logged = proxy.log.length;
        const again = await runCli(
          zipArgs(bucket, key, proxy.endpoint, "up.resume"),
          { cwd: dir, env: cliEnv(dir) },
        );
        assert.equal(again.code, 0, again.stderr);
        assert.equal(partBytesSent(proxy, logged), 0);
        assert.equal(await objectSha256(client, bucket, key), stored);

        // S3 answers NoSuchUpload for a completed upload: the object is
        // recognised by its ETag and size instead.
        await Deno.rename(`${dir}/kept.resume`, `${dir}/up.resume`);
        await Deno.rename(
          `${dir}/kept.resume.entries`,
          `${dir}/up.resume.entries`,
        );
        proxy.inject(
          (request) =>
            request.method === "GET" && request.query.has("uploadId"),
          { kind: "status", status: 404, code: "NoSuchUpload" },
          1000,
        );
        logged = proxy.log.length;
        const resumed = await runCli(
          zipArgs(bucket, key, proxy.endpoint, "up.resume"),
          { cwd: dir, env: cliEnv(dir) },
        );
        assert.equal(resumed.code, 0, resumed.stderr);
        assert.equal(
          resumed.stderr,
          `zipstream: nothing to send: the upload up.resume records was completed by an earlier run -> s3://${bucket}/${key} (${
            head.ContentLength!.toLocaleString("en-US")
          } bytes, ETag ${head.ETag})\n`,
        );
        // ListParts (no such upload), then HeadObject: no part, no Complete.
        assert.deepEqual(
          proxy.log.slice(logged).map((entry) => entry.method),
          ["GET", "HEAD"],
        );
        assert.equal(await objectSha256(client, bucket, key), stored);
        assert.deepEqual(await pendingUploads(client, bucket, key), []);
        await assertCheckpointRemoved(`${dir}/up.resume`);
      } finally {
        await proxy.close();
      }
    });
  });
});

Deno.test("zipstream refuses --resume for a file target, --abort-resume with paths, and names a missing or unreadable checkpoint", async () => {
  await withTempDir(async (dir) => {
    const fileTarget = await runCli(
      ["a.txt", "-o", "a.zip", "--resume", "a.resume"],
      { cwd: dir },
    );
    assert.equal(fileTarget.code, 2);
    assert.equal(
      fileTarget.stderr,
      "zipstream: Option --resume applies to s3:// targets only, but the output is a.zip\nTry 'zipstream --help' for more information\n",
    );
    const withPaths = await runCli(
      ["--abort-resume", "a.resume", "a.txt"],
      { cwd: dir },
    );
    assert.equal(withPaths.code, 2);
    assert.match(
      withPaths.stderr,
      /^zipstream: Option --abort-resume FILE takes no paths, -o, --resume or --max-time: it only aborts the upload FILE records\n/,
    );
    const missing = await runCli(["--abort-resume", "a.resume"], {
      cwd: dir,
      env: cliEnv(dir),
    });
    assert.equal(missing.code, 1);
    assert.equal(
      missing.stderr,
      "zipstream: Cannot abort the upload recorded in a.resume: the file does not exist\n",
    );
    await Deno.writeTextFile(`${dir}/a.txt`, "a");
    await Deno.writeTextFile(`${dir}/bad.resume`, "{}");
    const corrupt = await runCli(
      ["a.txt", "-o", "s3://b/a.zip", "--resume", "bad.resume"],
      { cwd: dir, env: cliEnv(dir) },
    );
    assert.equal(corrupt.code, 1);
    assert.equal(
      corrupt.stderr,
      'zipstream: Cannot resume from bad.resume: it is not a checkpoint zipstream wrote (expected a zipstream resume file of version 1, but it is not marked "zipstream": "resume", "version": 1); give another --resume FILE, or delete it to start over\n',
    );
    await Deno.writeTextFile(
      `${dir}/bad.resume`,
      JSON.stringify({
        zipstream: "resume",
        version: 1,
        target: "s3://b/a.zip",
        archive: { compression: "store", level: 0 },
        upload: {},
      }),
    );
    const partial = await runCli(
      ["a.txt", "-o", "s3://b/a.zip", "--resume", "bad.resume"],
      { cwd: dir, env: cliEnv(dir) },
    );
    assert.equal(partial.code, 1);
    assert.match(
      partial.stderr,
      /^zipstream: Cannot resume from bad\.resume: it is not a checkpoint zipstream wrote \(expected a zipstream resume file of version 1, but its archive record is malformed\); /,
    );
  });
});

/**
 * Writes `path` as a `--resume` run with `server` would, recording
 * `checkpoint`, and closes it as a failed run that kept its upload does.
 */
async function writeResumeFile(
  path: string,
  checkpoint: UploadCheckpoint,
  server: S3Server,
): Promise<void> {
  const { bucket, key, uploadId } = checkpoint;
  const file = await ResumeFile.open(
    path,
    `s3://${bucket}/${key}`,
    { compression: "store", level: 0, comment: null, entries: 0, inputs: "" },
    undefined,
    server,
  );
  await file.save(checkpoint);
  await file.afterFailure(
    new S3UploadError("kept", { bucket, key, uploadId, uploadKept: true }),
  );
}

Deno.test("zipstream --abort-resume reaches the server FILE records, unless --endpoint names another", async () => {
  const endpoint = s3Endpoint();
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      const key = "pending.zip";
      const { UploadId: uploadId } = await client.send(
        new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }),
      );
      assert.ok(uploadId !== undefined);
      const bytes = new Uint8Array(PART);
      const { ETag: etag } = await client.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: 1,
          Body: bytes,
        }),
      );
      const checkpoint: UploadCheckpoint = {
        version: 1,
        bucket,
        key,
        uploadId,
        partSize: PART,
        parts: [{
          partNumber: 1,
          offset: 0,
          size: PART,
          etag: etag!,
          md5: createHash("md5").update(bytes).digest("hex"),
          prefixCrc32: 0,
        }],
      };
      // Nothing listens on port 9: only --endpoint reaches the server.
      await writeResumeFile(`${dir}/elsewhere.resume`, checkpoint, {
        endpoint: "http://127.0.0.1:9",
        region: "us-east-1",
      });
      await writeResumeFile(`${dir}/up.resume`, checkpoint, {
        endpoint,
        region: "us-east-1",
      });
      const stored = JSON.parse(await Deno.readTextFile(`${dir}/up.resume`));
      assert.equal(stored.endpoint, endpoint);
      assert.equal(stored.region, "us-east-1");

      const aborted = await runCli(["--abort-resume", "up.resume"], {
        cwd: dir,
        env: cliEnv(dir),
      });
      assert.equal(aborted.code, 0, aborted.stderr);
      assert.equal(
        aborted.stderr,
        `zipstream: aborted upload ID ${uploadId} of s3://${bucket}/${key} and removed up.resume\n`,
      );
      assert.deepEqual(await pendingUploads(client, bucket, key), []);
      await assertCheckpointRemoved(`${dir}/up.resume`);

      const gone = await runCli(
        ["--abort-resume", "elsewhere.resume", "--endpoint", endpoint],
        { cwd: dir, env: cliEnv(dir) },
      );
      assert.equal(gone.code, 0, gone.stderr);
      assert.equal(
        gone.stderr,
        `zipstream: upload ID ${uploadId} of s3://${bucket}/${key} no longer existed; removed elsewhere.resume\n`,
      );
      await assertCheckpointRemoved(`${dir}/elsewhere.resume`);
    });
  });
});

Deno.test("zipstream --abort-resume leaves alone an upload an earlier run completed, and says so", async () => {
  const endpoint = s3Endpoint();
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      const key = "done.zip";
      const body = randomStream(PART + 1000, 5);
      let checkpoint: UploadCheckpoint | undefined;
      await uploadToS3(body.stream, {
        client,
        bucket,
        key,
        partSize: PART,
        onCheckpoint: (saved) => {
          checkpoint = structuredClone(saved);
        },
      });
      assert.ok(checkpoint !== undefined);
      await writeResumeFile(`${dir}/up.resume`, checkpoint, {
        endpoint,
        region: undefined,
      });
      const result = await runCli(["--abort-resume", "up.resume"], {
        cwd: dir,
        env: cliEnv(dir),
      });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(
        result.stderr,
        `zipstream: upload ID ${checkpoint.uploadId} of s3://${bucket}/${key} was completed by an earlier run: the object is stored; removed up.resume\n`,
      );
      assert.equal(await objectSha256(client, bucket, key), body.sha256());
      await assertCheckpointRemoved(`${dir}/up.resume`);
    });
  });
});

Deno.test("zipstream --resume refuses a checkpoint written with another -n list of suffixes to store, naming both, and keeps the upload", async () => {
  const endpoint = s3Endpoint();
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      await makeTree(dir, tree());
      // The tree's files are .bin: stored either way, so the crash is quick.
      const before = ["-n", ".bin"];
      const proxy = FaultProxy.start(endpoint);
      try {
        await crashMidUpload(
          proxy,
          dir,
          bucket,
          "suffixes.zip",
          "up.resume",
          "SIGKILL",
          before,
        );
      } finally {
        await proxy.close();
      }
      const result = await runCli(
        zipArgs(bucket, "suffixes.zip", endpoint, "up.resume", [
          "-n",
          ".bin:.dat",
        ]),
        { cwd: dir, env: cliEnv(dir) },
      );
      assert.equal(result.code, 1, result.stderr);
      assert.equal(
        result.stderr,
        "zipstream: Cannot resume from up.resume: it records an upload of other inputs or options (deflate, storing .bin at level 6, now deflate, storing .bin:.dat at level 6); run the command that wrote it, or discard its upload with zipstream --abort-resume up.resume\n",
      );
      assert.equal(
        (await pendingUploads(client, bucket, "suffixes.zip")).length,
        1,
      );
      const resumed = await runCli(
        zipArgs(bucket, "suffixes.zip", endpoint, "up.resume", before),
        { cwd: dir, env: cliEnv(dir) },
      );
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.deepEqual(
        await pendingUploads(client, bucket, "suffixes.zip"),
        [],
      );
      await assertCheckpointRemoved(`${dir}/up.resume`);
    });
  });
});

Deno.test("zipstream --resume keeps FILE when a resumed run fails before it reaches the upload (no credentials), and the next run resumes it", async () => {
  const endpoint = s3Endpoint();
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      await makeTree(dir, tree());
      const args = zipArgs(bucket, "kept.zip", endpoint, "up.resume");
      const paused = await runCli([...args, "--max-time", "0.001"], {
        cwd: dir,
        env: cliEnv(dir),
      });
      assert.equal(paused.code, 75, paused.stderr);
      const [uploadId] = await pendingUploads(client, bucket, "kept.zip");
      assert.ok(uploadId !== undefined);
      const noKeys = await runCli(args, {
        cwd: dir,
        env: { ...cliEnv(dir), ...noCredentialsEnv(dir) },
      });
      assert.equal(noKeys.code, 1);
      assert.match(noKeys.stderr, /^zipstream: No AWS credentials for /m);
      assert.match(
        noKeys.stderr,
        /^zipstream: kept up\.resume, as its upload may still exist: run the same command again to resume it, or discard it with zipstream --abort-resume up\.resume$/m,
      );
      assert.equal(
        (await readCheckpoint(`${dir}/up.resume`))?.upload.uploadId,
        uploadId,
      );
      assert.deepEqual(await pendingUploads(client, bucket, "kept.zip"), [
        uploadId,
      ]);
      const resumed = await runCli(args, { cwd: dir, env: cliEnv(dir) });
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.deepEqual(await pendingUploads(client, bucket, "kept.zip"), []);
      await assertCheckpointRemoved(`${dir}/up.resume`);
    });
  });
});
