import assert from "node:assert/strict";
import {
  CreateMultipartUploadCommand,
  ListPartsCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { Journal, type UploadRecord } from "../../src/cli/_journal.ts";
import { withTempDir } from "../_readers.ts";
import { profileEnv } from "./_aws_profile.ts";
import { storedRecords, uploadArgs } from "./_journal_files.ts";
import { pendingUploads, s3Endpoint, withBucket } from "../s3/_local_s3.ts";
import {
  cliCommand,
  runCli,
  signalAndWait,
  waitUntil,
  withChild,
} from "./_cli.ts";

const STARTED = "started \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC";

/** What the journal reads back: its abandoned records, let go again, and why others are unreadable. */
async function readBack(journal: Journal): Promise<(UploadRecord | string)[]> {
  const found: (UploadRecord | string)[] = [];
  for await (const record of journal.records()) {
    if (record.state === "abandoned") {
      found.push(record.record);
      record.entry.release();
    } else if (record.state === "unreadable") found.push(record.reason);
  }
  return found;
}

Deno.test("Journal keeps a record's --profile, reads a version 1 record written without one as null, and refuses one that is not a string", async () => {
  await withTempDir(async (dir) => {
    const journal = new Journal(`${dir}/uploads`);
    const upload = {
      uploadId: "with-profile",
      bucket: "bucket",
      key: "a.zip",
      endpoint: "http://127.0.0.1:9/",
      region: "us-east-1",
      profile: "work",
      resumeFile: null,
    };
    (await journal.record(upload)).release();
    const [written] = await storedRecords(dir);
    assert.equal(written?.profile, "work");
    assert.deepEqual(await readBack(journal), [
      {
        ...upload,
        pid: Deno.pid,
        host: Deno.hostname(),
        started: written?.started,
      },
    ]);

    // As a version without the field wrote it.
    const old = Object.fromEntries(
      Object.entries({ ...written, uploadId: "old" })
        .filter(([name]) => name !== "profile"),
    );
    await Deno.remove(`${dir}/uploads`, { recursive: true });
    await Deno.mkdir(`${dir}/uploads`);
    await Deno.writeTextFile(`${dir}/uploads/old.json`, JSON.stringify(old));
    const [read] = await readBack(journal);
    assert.equal((read as UploadRecord).uploadId, "old");
    assert.equal((read as UploadRecord).profile, null);

    await Deno.writeTextFile(
      `${dir}/uploads/old.json`,
      JSON.stringify({ ...old, profile: 7 }),
    );
    assert.deepEqual(await readBack(journal), [
      "invalid or missing profile",
    ]);
  });
});

/** The parts the server holds for the upload, or the error that says it is gone. */
async function partsOf(
  client: S3Client,
  bucket: string,
  key: string,
  uploadId: string,
): Promise<string> {
  try {
    const listing = await client.send(
      new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId }),
    );
    return `${listing.Parts?.length ?? 0} parts`;
  } catch (error) {
    return (error as Error).name;
  }
}

/**
 * Starts the CLI uploading standard input with `--profile work` (or the
 * arguments `args` gives instead: a file and `--resume`, the profile from the
 * environment), waits until the journal records the upload and one part is
 * stored, and kills it with SIGKILL.
 */
async function killUploadWithProfile(
  dir: string,
  env: Record<string, string>,
  client: S3Client,
  bucket: string,
  key: string,
  args: string[] = ["-", "--profile", "work"],
): Promise<{ uploadId: string; pid: number }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: cliCommand([...args, ...uploadArgs(bucket, key)]),
    cwd: dir,
    env,
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let uploadId = "";
  await withChild(child, async () => {
    const writer = child.stdin.getWriter();
    // Without "-" the run does not read it.
    if (args.includes("-")) await writer.write(new Uint8Array(12 << 20));
    writer.releaseLock();
    await waitUntil("the upload is recorded and holds a part", async () => {
      const [record] = await storedRecords(`${dir}/state`);
      uploadId = (record?.uploadId as string | undefined) ?? "";
      return uploadId !== "" &&
        await partsOf(client, bucket, key, uploadId) !== "0 parts";
    });
    const status = await signalAndWait(child, "SIGKILL");
    assert.equal(status.signal, "SIGKILL");
  });
  return { uploadId, pid: child.pid };
}

Deno.test("zipstream cleanup aborts an upload left by a run with --profile using that profile's credentials, not the default ones", async () => {
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      const env = await profileEnv(dir);
      const { uploadId, pid } = await killUploadWithProfile(
        dir,
        env,
        client,
        bucket,
        "profiled.zip",
      );
      const [record] = await storedRecords(`${dir}/state`);
      assert.equal(record?.profile, "work");
      assert.equal(record?.endpoint, `${s3Endpoint()}/`);
      assert.deepEqual(await pendingUploads(client, bucket, "profiled.zip"), [
        uploadId,
      ]);
      assert.match(
        await partsOf(client, bucket, "profiled.zip", uploadId),
        /^[12] parts$/,
      );

      const cleanup = await runCli(["cleanup"], { env });
      assert.equal(cleanup.code, 0, cleanup.stderr);
      assert.match(
        cleanup.stderr,
        new RegExp(
          `^zipstream: aborted upload ID ${uploadId} of s3://${bucket}/profiled\\.zip \\(left by process ${pid}, which is gone; ${STARTED}\\)\n$`,
        ),
      );
      assert.deepEqual(
        await pendingUploads(client, bucket, "profiled.zip"),
        [],
      );
      assert.equal(
        await partsOf(client, bucket, "profiled.zip", uploadId),
        "NoSuchUpload",
      );
      assert.deepEqual(await storedRecords(`${dir}/state`), []);
    });
  });
});

Deno.test("the sweep before a run aborts each recorded upload with its own profile: the default credentials fail where the profile succeeds", async () => {
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      const env = await profileEnv(dir);
      const journal = new Journal(`${dir}/state/uploads`);
      const ids: Record<string, string> = {};
      const uploads: [string, string | null][] = [
        ["work.zip", "work"],
        ["none.zip", null],
      ];
      for (const [key, profile] of uploads) {
        const created = await client.send(
          new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }),
        );
        ids[key] = created.UploadId!;
        (await journal.record({
          uploadId: created.UploadId!,
          bucket,
          key: key,
          endpoint: s3Endpoint(),
          region: "us-east-1",
          profile,
          resumeFile: null,
        })).release();
      }
      await Deno.writeTextFile(`${dir}/a.txt`, "a");
      const run = await runCli(
        ["a.txt", "-o", "a.zip", "--no-progress"],
        { cwd: dir, env },
      );
      assert.equal(run.code, 0, run.stderr);
      const lines = run.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 3, run.stderr);
      const [none, work] = lines[0]!.includes("none.zip")
        ? [lines[0]!, lines[1]!]
        : [lines[1]!, lines[0]!];
      assert.match(
        work,
        new RegExp(
          `^zipstream: aborted upload ID ${
            ids["work.zip"]
          } of s3://${bucket}/work\\.zip \\(left by process ${Deno.pid}, which is gone; ${STARTED}\\)$`,
        ),
      );
      assert.match(
        none,
        new RegExp(
          `^zipstream: Cannot abort upload ID ${
            ids["none.zip"]
          } of s3://${bucket}/none\\.zip: .*; its record stays in the journal for "zipstream cleanup"$`,
        ),
      );
      assert.match(lines[2]!, /^zipstream: 1 entry, .* -> a\.zip$/);
      assert.deepEqual(await pendingUploads(client, bucket, "work.zip"), []);
      assert.deepEqual(await pendingUploads(client, bucket, "none.zip"), [
        ids["none.zip"],
      ]);
      assert.deepEqual(
        (await storedRecords(`${dir}/state`)).map((record) => record.key),
        ["none.zip"],
      );
    });
  });
});

Deno.test("zipstream --abort-resume aborts with --profile's credentials, and a run given its profile by AWS_PROFILE records that profile", async () => {
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      const env = await profileEnv(dir);
      // Sparse, and large enough that the run is killed long before its end.
      await Deno.writeFile(`${dir}/big.bin`, new Uint8Array());
      await Deno.truncate(`${dir}/big.bin`, 1 << 30);
      const { uploadId } = await killUploadWithProfile(
        dir,
        { ...env, AWS_PROFILE: "work" },
        client,
        bucket,
        "resumable.zip",
        ["big.bin", "--resume", "up.resume"],
      );
      const [record] = await storedRecords(`${dir}/state`);
      assert.equal(record?.profile, "work");

      const abort = ["--abort-resume", "up.resume", "--no-progress"];
      const refused = await runCli(abort, { cwd: dir, env });
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(
        refused.stderr,
        new RegExp(
          `^zipstream: .*${uploadId}.*; kept up\\.resume to try again with zipstream --abort-resume up\\.resume\n$`,
        ),
      );
      assert.deepEqual(
        await pendingUploads(client, bucket, "resumable.zip"),
        [uploadId],
      );

      const aborted = await runCli([...abort, "--profile", "work"], {
        cwd: dir,
        env,
      });
      assert.equal(aborted.code, 0, aborted.stderr);
      assert.deepEqual(
        await pendingUploads(client, bucket, "resumable.zip"),
        [],
      );
      assert.equal(
        await partsOf(client, bucket, "resumable.zip", uploadId),
        "NoSuchUpload",
      );
      await assert.rejects(Deno.stat(`${dir}/up.resume`), Deno.errors.NotFound);
    });
  });
});
