import assert from "node:assert/strict";
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import {
  type Activity,
  type HandledSignal,
  interruptedLine,
  leftLine,
} from "../../src/cli/_interrupt.ts";
import { withTempDir } from "../_readers.ts";
import { FaultProxy, isAbort } from "../s3/_fault_proxy.ts";
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
import { storedRecords } from "./_journal_files.ts";

const UPLOAD: Activity = {
  kind: "upload",
  target: "s3://b/k.zip",
  resumeFile: undefined,
  upload: { uploadId: "u-1", recorded: true },
};

Deno.test("interruptedLine() says at once what the first signal does, and what a second one would", () => {
  const cases: [HandledSignal, Activity, string][] = [
    [
      "SIGINT",
      UPLOAD,
      "zipstream: interrupted; aborting the upload to s3://b/k.zip (upload ID u-1); press Ctrl-C again to leave it pending",
    ],
    [
      "SIGTERM",
      UPLOAD,
      "zipstream: terminated; aborting the upload to s3://b/k.zip (upload ID u-1); signal again to leave it pending",
    ],
    [
      "SIGINT",
      { ...UPLOAD, resumeFile: "up.resume" },
      "zipstream: interrupted; keeping the upload to s3://b/k.zip (upload ID u-1) for --resume up.resume; press Ctrl-C again to exit at once",
    ],
    [
      "SIGINT",
      { ...UPLOAD, upload: undefined },
      "zipstream: interrupted; stopping the upload to s3://b/k.zip; press Ctrl-C again to exit at once",
    ],
    [
      "SIGINT",
      { kind: "file", path: "out.zip" },
      "zipstream: interrupted; removing the incomplete out.zip; press Ctrl-C again to leave it",
    ],
    [
      "SIGINT",
      { kind: "writing", target: "standard output" },
      "zipstream: interrupted; stopping the archive to standard output; press Ctrl-C again to exit at once",
    ],
    [
      "SIGINT",
      { kind: "preparing" },
      "zipstream: interrupted; stopping before anything is written; press Ctrl-C again to exit at once",
    ],
  ];
  for (const [signal, activity, line] of cases) {
    assert.equal(interruptedLine(signal, activity), line);
  }
});

Deno.test("leftLine() names what a second signal leaves behind and how to clean it up", () => {
  const cases: [Activity, string][] = [
    [
      UPLOAD,
      'zipstream: left upload ID u-1 of s3://b/k.zip pending; run "zipstream cleanup" to abort it',
    ],
    [
      { ...UPLOAD, upload: { uploadId: "u-1", recorded: false } },
      'zipstream: left upload ID u-1 of s3://b/k.zip pending; run "zipstream cleanup s3://b/k.zip --older-than 1s" to abort it',
    ],
    [
      { ...UPLOAD, resumeFile: "up.resume" },
      "zipstream: left upload ID u-1 of s3://b/k.zip pending for --resume up.resume: run the same command again to resume it, or discard it with zipstream --abort-resume up.resume",
    ],
    [
      { ...UPLOAD, upload: undefined },
      'zipstream: exited at once while the upload to s3://b/k.zip was starting; if a multipart upload was created, "zipstream cleanup s3://b/k.zip --older-than 1s" aborts it',
    ],
    [
      { kind: "file", path: "out.zip" },
      "zipstream: exited at once; out.zip may be left incomplete: delete it",
    ],
    [{ kind: "preparing" }, "zipstream: exited at once; nothing was written"],
  ];
  for (const [activity, line] of cases) {
    assert.equal(leftLine(activity), line);
  }
});

/** The environment of a CLI run against the local server with a journal of its own. */
async function uploadIdsIn(state: string): Promise<string[]> {
  return (await storedRecords(state)).map((record) => String(record.uploadId));
}

function cliEnv(state: string): Record<string, string> {
  return { ...LOCAL_S3_ENV, ZIPSTREAM_STATE_DIR: state };
}

/**
 * Starts the CLI uploading 12 MiB of standard input (kept open, so the
 * archive cannot finish) to `endpoint`, and waits until the journal records
 * the upload.
 */
async function startUpload(
  dir: string,
  endpoint: string,
  bucket: string,
  key: string,
): Promise<{ child: Deno.ChildProcess; uploadId: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: cliCommand([
      "-",
      "--store",
      "-o",
      `s3://${bucket}/${key}`,
      "--endpoint",
      endpoint,
      "--part-size",
      "5MiB",
      "--no-progress",
    ]),
    cwd: dir,
    env: cliEnv(`${dir}/state`),
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new Uint8Array(12 << 20));
  writer.releaseLock();
  let uploadId = "";
  await waitUntil("the journal records the upload", async () => {
    uploadId = (await uploadIdsIn(`${dir}/state`))[0] ?? "";
    return uploadId !== "";
  });
  return { child, uploadId };
}

/** Reads the child's stderr line by line. */
function lineReader(child: Deno.ChildProcess) {
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  return {
    async next(): Promise<string> {
      while (!buffered.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) {
          const rest = buffered;
          buffered = "";
          return rest;
        }
        buffered += value;
      }
      const end = buffered.indexOf("\n");
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
      return line;
    },
    async rest(): Promise<string> {
      let text = buffered;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return text;
        text += value;
      }
    },
  };
}

Deno.test("the first Ctrl-C says it aborts the upload, aborts it, and leaves nothing pending or recorded", async () => {
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      const key = "first.zip";
      const { child, uploadId } = await startUpload(
        dir,
        s3Endpoint(),
        bucket,
        key,
      );
      await withChild(child, async () => {
        const stderr = new Response(child.stderr).text();
        assert.deepEqual(await pendingUploads(client, bucket, key), [uploadId]);
        const status = await signalAndWait(child, "SIGINT");
        assert.equal(status.code, 130, await stderr);
        assert.equal(
          await stderr,
          `zipstream: interrupted; aborting the upload to s3://${bucket}/${key} (upload ID ${uploadId}); press Ctrl-C again to leave it pending\n` +
            `zipstream: Interrupted by SIGINT; nothing was stored; the upload was aborted (upload ID ${uploadId})\n`,
        );
      });
      assert.deepEqual(await pendingUploads(client, bucket, key), []);
      assert.deepEqual(await uploadIdsIn(`${dir}/state`), []);
      await assert.rejects(
        client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })),
        (error: Error) => error.name === "NotFound",
      );
    });
  });
});

Deno.test("a second Ctrl-C exits at once naming the upload it leaves pending, which stays in the journal until zipstream cleanup aborts it", async () => {
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      const key = "second.zip";
      // The journal records the proxy as the upload's server: it stays up
      // for the cleanup, without the fault.
      const proxy = FaultProxy.start(s3Endpoint());
      try {
        // The abort the first Ctrl-C starts never gets an answer.
        proxy.inject(isAbort(), { kind: "stall" }, Infinity);
        const { child, uploadId } = await startUpload(
          dir,
          proxy.endpoint,
          bucket,
          key,
        );
        await withChild(child, async () => {
          const lines = lineReader(child);
          child.kill("SIGINT");
          assert.equal(
            await lines.next(),
            `zipstream: interrupted; aborting the upload to s3://${bucket}/${key} (upload ID ${uploadId}); press Ctrl-C again to leave it pending`,
          );
          await waitUntil(
            "the abort reaches the proxy",
            () =>
              Promise.resolve(
                proxy.log.some((entry) => entry.method === "DELETE"),
              ),
          );
          const status = await signalAndWait(child, "SIGINT");
          assert.equal(status.code, 130);
          assert.equal(
            await lines.rest(),
            `zipstream: left upload ID ${uploadId} of s3://${bucket}/${key} pending; run "zipstream cleanup" to abort it\n`,
          );
        });
        assert.deepEqual(await pendingUploads(client, bucket, key), [uploadId]);
        assert.deepEqual(await uploadIdsIn(`${dir}/state`), [uploadId]);

        proxy.rules.length = 0;
        const cleanup = await runCli(["cleanup"], {
          env: cliEnv(`${dir}/state`),
        });
        assert.equal(cleanup.code, 0, cleanup.stderr);
        assert.match(
          cleanup.stderr,
          new RegExp(
            `^zipstream: aborted upload ID ${uploadId} of s3://${bucket}/second\\.zip \\(left by process ${child.pid}, which is gone; started [^)]+\\)\n$`,
          ),
        );
        assert.deepEqual(await pendingUploads(client, bucket, key), []);
        assert.deepEqual(await uploadIdsIn(`${dir}/state`), []);
      } finally {
        await proxy.close();
      }
    });
  });
});
