import assert from "node:assert/strict";
import { CreateMultipartUploadCommand } from "@aws-sdk/client-s3";
import {
  type FoundRecord,
  Journal,
  journalDirectory,
  type UploadFields,
} from "../../src/cli/_journal.ts";
import { withTempDir } from "../_readers.ts";
import { FaultProxy, isUploadPart } from "../s3/_fault_proxy.ts";
import {
  LOCAL_S3_ENV,
  pendingUploads,
  s3Endpoint,
  withBucket,
} from "../s3/_local_s3.ts";
import {
  cliCommand,
  runCli,
  signalAndWait,
  waitUntil,
  withChild,
} from "./_cli.ts";
import { storedRecords, uploadArgs } from "./_journal_files.ts";

const JOURNAL_URL = new URL("../../src/cli/_journal.ts", import.meta.url).href;

function fields(uploadId: string, extra: Partial<UploadFields> = {}) {
  return {
    uploadId,
    bucket: "bucket",
    key: "a.zip",
    endpoint: "http://127.0.0.1:9/",
    region: "us-east-1",
    profile: null,
    resumeFile: null,
    ...extra,
  };
}

/** Every record's state and upload ID, abandoned ones released again. */
async function states(journal: Journal): Promise<string[]> {
  const seen: string[] = [];
  for await (const found of journal.records()) {
    seen.push(describe(found));
    if (found.state === "abandoned") found.entry.release();
  }
  return seen.sort();
}

function describe(found: FoundRecord): string {
  switch (found.state) {
    case "unreadable":
      return `unreadable ${found.path}: ${found.reason}`;
    case "removed-partial":
      return `removed-partial ${found.path}`;
    default:
      return `${found.state} ${found.record.uploadId}`;
  }
}

/** The environment of a CLI run against the local server with a journal of its own. */
function cliEnv(state: string): Record<string, string> {
  return { ...LOCAL_S3_ENV, ZIPSTREAM_STATE_DIR: state };
}

Deno.test("journalDirectory() takes ZIPSTREAM_STATE_DIR, else XDG_STATE_HOME/zipstream, else ~/.local/state/zipstream", () => {
  const from = (env: Record<string, string>) =>
    journalDirectory((name) => env[name]);
  assert.equal(
    from({ ZIPSTREAM_STATE_DIR: "/s", XDG_STATE_HOME: "/x", HOME: "/h" }),
    "/s/uploads",
  );
  assert.equal(
    from({ XDG_STATE_HOME: "/x", HOME: "/h" }),
    "/x/zipstream/uploads",
  );
  // The XDG rules: empty means unset, and a relative path is ignored.
  assert.equal(
    from({ ZIPSTREAM_STATE_DIR: "", XDG_STATE_HOME: "rel", HOME: "/h" }),
    "/h/.local/state/zipstream/uploads",
  );
  assert.throws(
    () => from({}),
    {
      name: "CliError",
      message:
        "Cannot find a directory for the journal of uploads: expected ZIPSTREAM_STATE_DIR, XDG_STATE_HOME or HOME to be set",
    },
  );
});

Deno.test("Journal keeps one record per upload: concurrent records all stay, in use while held, abandoned once let go, gone once removed", async () => {
  await withTempDir(async (dir) => {
    const journal = new Journal(`${dir}/uploads`);
    const ids = Array.from({ length: 24 }, (_, i) => `upload-${i}`);
    const entries = await Promise.all(
      ids.map((id) => journal.record(fields(id))),
    );
    const record = JSON.parse(
      await Deno.readTextFile(
        `${dir}/uploads/${[...Deno.readDirSync(`${dir}/uploads`)][0]!.name}`,
      ),
    );
    assert.deepEqual(Object.keys(record).sort(), [
      "bucket",
      "endpoint",
      "host",
      "key",
      "pid",
      "profile",
      "region",
      "resumeFile",
      "started",
      "uploadId",
      "version",
      "zipstream",
    ]);
    assert.equal(record.pid, Deno.pid);
    assert.equal(record.host, Deno.hostname());
    // Held by this process through other file descriptors: locked, so alive.
    assert.deepEqual(
      await states(journal),
      ids.map((id) => `in-use ${id}`).sort(),
    );
    for (const entry of entries) entry.release();
    assert.deepEqual(
      await states(journal),
      ids.map((id) => `abandoned ${id}`).sort(),
    );
    await journal.forget({
      bucket: "bucket",
      key: "a.zip",
      uploadId: "upload-3",
    });
    assert.equal((await states(journal)).length, ids.length - 1);
    for await (const found of journal.records()) {
      if (found.state === "abandoned") await found.entry.remove();
    }
    assert.deepEqual([...Deno.readDirSync(`${dir}/uploads`)], []);
  });
});

Deno.test("Journal tells a record whose process was killed from one whose process runs, by the lock the kernel drops", async () => {
  await withTempDir(async (dir) => {
    const script = `${dir}/holder.ts`;
    await Deno.writeTextFile(
      script,
      `import { Journal } from ${JSON.stringify(JOURNAL_URL)};
await new Journal(Deno.args[0]).record({ uploadId: "held", bucket: "b", key: "k", endpoint: null, region: null, profile: null, resumeFile: null });
console.log("recorded");
await new Promise(() => setInterval(() => {}, 1000));
`,
    );
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script, `${dir}/uploads`],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const journal = new Journal(`${dir}/uploads`);
    await withChild(child, async () => {
      const reader = child.stdout.pipeThrough(new TextDecoderStream())
        .getReader();
      assert.match((await reader.read()).value ?? "", /^recorded/);
      assert.deepEqual(await states(journal), ["in-use held"]);
      const status = await signalAndWait(child, "SIGKILL");
      assert.equal(status.signal, "SIGKILL");
      await reader.cancel();
    });
    const found = await Array.fromAsync(journal.records());
    assert.equal(found.length, 1);
    assert.equal(found[0]!.state, "abandoned");
    if (found[0]!.state === "abandoned") {
      assert.equal(found[0]!.record.pid, child.pid);
      found[0]!.entry.release();
    }
  });
});

Deno.test("Journal leaves alone records of another host and unreadable ones, and deletes a stale record cut short while written", async () => {
  await withTempDir(async (dir) => {
    const journal = new Journal(`${dir}/uploads`);
    (await journal.record(fields("mine"))).release();
    const [name] = [...Deno.readDirSync(`${dir}/uploads`)].map((e) => e.name);
    const record = JSON.parse(
      await Deno.readTextFile(`${dir}/uploads/${name}`),
    );
    await Deno.writeTextFile(
      `${dir}/uploads/other.json`,
      JSON.stringify({ ...record, uploadId: "theirs", host: "not-this-one" }),
    );
    await Deno.writeTextFile(`${dir}/uploads/broken.json`, "{ half");
    const stale = `${dir}/uploads/.cut.1.tmp`;
    const fresh = `${dir}/uploads/.cut.2.tmp`;
    await Deno.writeTextFile(stale, '{"zipstream":"upl');
    await Deno.writeTextFile(fresh, '{"zipstream":"upl');
    const old = new Date(Date.now() - 5 * 60_000);
    await Deno.utime(stale, old, old);
    assert.deepEqual(await states(journal), [
      "abandoned mine",
      "elsewhere theirs",
      `removed-partial ${stale}`,
      `unreadable ${dir}/uploads/broken.json: not JSON (expected property name or '}' in JSON at position 2 (line 1 column 3))`,
    ]);
    // A fresh temporary file may belong to a writer about to lock it.
    await Deno.stat(fresh);
    await assert.rejects(Deno.stat(stale), Deno.errors.NotFound);
  });
});

/**
 * Starts the CLI uploading standard input to `key`, waits until the journal
 * records the upload and the server lists it, and returns the child (its
 * standard input still open, so the archive cannot finish) and the ID.
 */
async function startUpload(
  dir: string,
  bucket: string,
  key: string,
  extra: string[] = [],
): Promise<{ child: Deno.ChildProcess; uploadId: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: cliCommand(["-", ...uploadArgs(bucket, key), ...extra]),
    cwd: dir,
    env: cliEnv(`${dir}/state`),
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new Uint8Array(12 << 20));
  writer.releaseLock();
  let uploadId = "";
  await waitUntil("the journal records the upload", async () => {
    const records = await recordsOf(`${dir}/state`);
    uploadId = records[0]?.uploadId ?? "";
    return uploadId !== "";
  });
  return { child, uploadId };
}

/** The records in the journal, with the fields these tests read. */
async function recordsOf(
  state: string,
): Promise<{ uploadId: string; resumeFile: string | null }[]> {
  return await storedRecords(state) as {
    uploadId: string;
    resumeFile: string | null;
  }[];
}

/** Starts an upload, checks the server lists it, and kills the CLI with SIGKILL. */
async function killMidUpload(
  dir: string,
  client: Parameters<typeof pendingUploads>[0],
  bucket: string,
  key: string,
  extra: string[] = [],
): Promise<{ uploadId: string; pid: number }> {
  const { child, uploadId } = await startUpload(dir, bucket, key, extra);
  await withChild(child, async () => {
    assert.deepEqual(await pendingUploads(client, bucket, key), [uploadId]);
    const status = await signalAndWait(child, "SIGKILL");
    assert.equal(status.signal, "SIGKILL");
  });
  assert.deepEqual(await pendingUploads(client, bucket, key), [uploadId]);
  return { uploadId, pid: child.pid };
}

const STARTED = "started \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC";

Deno.test("zipstream killed with SIGKILL mid-upload leaves the upload in the journal, and the next run aborts it before its own work", async () => {
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      const { uploadId, pid } = await killMidUpload(
        dir,
        client,
        bucket,
        "killed.zip",
      );
      await Deno.writeTextFile(`${dir}/a.txt`, "a");
      const next = await runCli(["a.txt", "-o", "a.zip", "--no-progress"], {
        cwd: dir,
        env: cliEnv(`${dir}/state`),
      });
      assert.equal(next.code, 0, next.stderr);
      const lines = next.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 2, next.stderr);
      assert.match(
        lines[0]!,
        new RegExp(
          `^zipstream: aborted upload ID ${uploadId} of s3://${bucket}/killed\\.zip \\(left by process ${pid}, which is gone; ${STARTED}\\)$`,
        ),
      );
      assert.match(lines[1]!, /^zipstream: 1 entry, .* -> a\.zip$/);
      assert.deepEqual(await pendingUploads(client, bucket, "killed.zip"), []);
      assert.deepEqual(await recordsOf(`${dir}/state`), []);
    });
  });
});

Deno.test("zipstream cleanup aborts an upload left by a SIGKILL, and then finds nothing to do", async () => {
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      const { uploadId, pid } = await killMidUpload(
        dir,
        client,
        bucket,
        "killed.zip",
      );
      const dry = await runCli(["cleanup", "--dry-run"], {
        env: cliEnv(`${dir}/state`),
      });
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(
        dry.stderr,
        new RegExp(
          `^zipstream: would abort upload ID ${uploadId} of s3://${bucket}/killed\\.zip \\(left by process ${pid}, which is gone; ${STARTED}\\)\n$`,
        ),
      );
      assert.deepEqual(await pendingUploads(client, bucket, "killed.zip"), [
        uploadId,
      ]);

      const cleanup = await runCli(["cleanup"], {
        env: cliEnv(`${dir}/state`),
      });
      assert.equal(cleanup.code, 0, cleanup.stderr);
      assert.match(
        cleanup.stderr,
        new RegExp(
          `^zipstream: aborted upload ID ${uploadId} of s3://${bucket}/killed\\.zip \\(left by process ${pid}, which is gone; ${STARTED}\\)\n$`,
        ),
      );
      assert.deepEqual(await pendingUploads(client, bucket, "killed.zip"), []);
      assert.deepEqual(await recordsOf(`${dir}/state`), []);

      const again = await runCli(["cleanup"], {
        env: cliEnv(`${dir}/state`),
      });
      assert.equal(again.code, 0, again.stderr);
      assert.equal(
        again.stderr,
        `zipstream: no upload is recorded in the journal ${dir}/state/uploads\n`,
      );
    });
  });
});

Deno.test("zipstream cleanup leaves alone an upload whose process is still at work", async () => {
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      const { child, uploadId } = await startUpload(dir, bucket, "live.zip");
      await withChild(child, async () => {
        const cleanup = await runCli(["cleanup"], {
          env: cliEnv(`${dir}/state`),
        });
        assert.equal(cleanup.code, 0, cleanup.stderr);
        assert.equal(
          cleanup.stderr,
          `zipstream: upload ID ${uploadId} of s3://${bucket}/live.zip is in use by a live process (it was recorded by process ${child.pid}); left alone\n`,
        );
        assert.deepEqual(await pendingUploads(client, bucket, "live.zip"), [
          uploadId,
        ]);
        // Standard input ends: the upload completes and its record goes.
        await child.stdin.close();
        assert.equal((await child.status).code, 0);
      });
      assert.deepEqual(await pendingUploads(client, bucket, "live.zip"), []);
      assert.deepEqual(await recordsOf(`${dir}/state`), []);
    });
  });
});

Deno.test("an upload kept for --resume FILE is left pending while FILE exists, and aborted by zipstream cleanup once FILE is gone", async () => {
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      // The journal records the proxy as the upload's server, so it stays up.
      const proxy = FaultProxy.start(s3Endpoint());
      try {
        const { uploadId } = await killResumableUpload(
          dir,
          proxy,
          client,
          bucket,
        );
        const resumeFile = `${dir}/up.resume`;
        assert.deepEqual(
          (await recordsOf(`${dir}/state`)).map((r) => r.resumeFile),
          [resumeFile],
        );
        const kept =
          `zipstream: left upload ID ${uploadId} of s3://${bucket}/kept.zip pending: it is kept for --resume ${resumeFile}; run the same command again to resume it, or discard it with zipstream --abort-resume ${resumeFile}`;
        await Deno.writeTextFile(`${dir}/a.txt`, "a");
        const next = await runCli(["a.txt", "-o", "a.zip", "--no-progress"], {
          cwd: dir,
          env: cliEnv(`${dir}/state`),
        });
        assert.equal(next.code, 0, next.stderr);
        const lines = next.stderr.trimEnd().split("\n");
        assert.equal(lines[0], kept);
        assert.match(lines[1]!, /^zipstream: 1 entry, .* -> a\.zip$/);
        const listed = await runCli(["cleanup"], {
          env: cliEnv(`${dir}/state`),
        });
        assert.equal(listed.code, 0, listed.stderr);
        assert.equal(listed.stderr, `${kept}\n`);
        assert.deepEqual(await pendingUploads(client, bucket, "kept.zip"), [
          uploadId,
        ]);

        await Deno.remove(resumeFile);
        const cleanup = await runCli(["cleanup"], {
          env: cliEnv(`${dir}/state`),
        });
        assert.equal(cleanup.code, 0, cleanup.stderr);
        assert.match(
          cleanup.stderr,
          new RegExp(
            `^zipstream: aborted upload ID ${uploadId} of s3://${bucket}/kept\\.zip \\(left by process \\d+, which is gone; ${STARTED}\\)\n$`,
          ),
        );
        assert.deepEqual(await pendingUploads(client, bucket, "kept.zip"), []);
        assert.deepEqual(await recordsOf(`${dir}/state`), []);
      } finally {
        await proxy.close();
      }
    });
  });
});

/**
 * Runs a `--resume` upload of a 12 MiB file through `proxy`, which never
 * answers part 2, and kills the CLI with SIGKILL once the checkpoint holds
 * part 1. (--resume cannot read standard input, so a stalled part is what
 * holds the upload open.)
 */
async function killResumableUpload(
  dir: string,
  proxy: FaultProxy,
  client: Parameters<typeof pendingUploads>[0],
  bucket: string,
): Promise<{ uploadId: string }> {
  proxy.inject(isUploadPart(2), { kind: "stall" });
  await Deno.writeFile(`${dir}/big.bin`, new Uint8Array(12 << 20));
  const child = new Deno.Command(Deno.execPath(), {
    args: cliCommand([
      "--store",
      "big.bin",
      "-o",
      `s3://${bucket}/kept.zip`,
      "--endpoint",
      proxy.endpoint,
      "--part-size",
      "5MiB",
      "--concurrency",
      "1",
      "--resume",
      "up.resume",
      "--no-progress",
    ]),
    cwd: dir,
    env: cliEnv(`${dir}/state`),
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  await withChild(child, async () => {
    await waitUntil("the checkpoint holds part 1", async () => {
      try {
        const stored = JSON.parse(await Deno.readTextFile(`${dir}/up.resume`));
        return stored.upload.parts.length === 1;
      } catch {
        return false;
      }
    });
    const status = await signalAndWait(child, "SIGKILL");
    assert.equal(status.signal, "SIGKILL");
  });
  proxy.rules.length = 0;
  const [uploadId] = await pendingUploads(client, bucket, "kept.zip");
  assert.ok(uploadId !== undefined, "the upload is pending");
  return { uploadId };
}

Deno.test("a record the journal cannot be written for fails the upload, which is aborted", async () => {
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      // A file where the journal's directory should be: mkdir fails.
      await Deno.writeTextFile(`${dir}/state`, "");
      await Deno.writeFile(`${dir}/big.bin`, new Uint8Array(6 << 20));
      const result = await runCli(
        [
          "--store",
          "big.bin",
          "-o",
          `s3://${bucket}/unrecorded.zip`,
          "--endpoint",
          s3Endpoint(),
          "--part-size",
          "5MiB",
          // A slow run would print progress lines between these.
          "--no-progress",
        ],
        { cwd: dir, env: cliEnv(`${dir}/state`) },
      );
      assert.equal(result.code, 1, result.stderr);
      const lines = result.stderr.trimEnd().split("\n");
      // The sweep before the run's own work says it first.
      assert.equal(
        lines[0],
        `zipstream: Cannot read the journal of uploads ${dir}/state/uploads: not a directory`,
      );
      assert.match(
        lines[1]!,
        new RegExp(
          `^zipstream: Cannot record upload ID \\S+ of s3://${bucket}/unrecorded\\.zip in the journal ${dir}/state/uploads: `,
        ),
      );
      assert.match(
        lines[2]!,
        /^zipstream: nothing was stored; the upload was aborted \(upload ID \S+\)$/,
      );
      assert.equal(lines.length, 3, result.stderr);
      assert.deepEqual(
        await pendingUploads(client, bucket, "unrecorded.zip"),
        [],
      );
    });
  });
});

Deno.test("zipstream cleanup keeps the record of an upload it cannot abort, says why, and exits 1", async () => {
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      const created = await client.send(
        new CreateMultipartUploadCommand({ Bucket: bucket, Key: "far.zip" }),
      );
      const uploadId = created.UploadId!;
      // Recorded against a server that is not there (a closed port).
      const journal = new Journal(`${dir}/state/uploads`);
      (await journal.record({
        uploadId,
        bucket,
        key: "far.zip",
        endpoint: "http://127.0.0.1:9/",
        region: "us-east-1",
        profile: null,
        resumeFile: null,
      })).release();
      const result = await runCli(
        ["cleanup", "--retries", "2", "--cleanup-max-time", "1"],
        { env: cliEnv(`${dir}/state`) },
      );
      assert.equal(result.code, 1, result.stderr);
      assert.match(
        result.stderr,
        new RegExp(
          `^zipstream: Cannot abort upload ID ${uploadId} of s3://${bucket}/far\\.zip: ListParts could not tell whether it still exists: .*; it may remain, with its parts; its record stays in the journal for "zipstream cleanup"\n$`,
        ),
      );
      assert.deepEqual(
        (await recordsOf(`${dir}/state`)).map((r) => r.uploadId),
        [uploadId],
      );
      assert.deepEqual(await pendingUploads(client, bucket, "far.zip"), [
        uploadId,
      ]);
    });
  });
});
