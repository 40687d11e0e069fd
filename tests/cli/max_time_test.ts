import assert from "node:assert/strict";
import { ListPartsCommand } from "@aws-sdk/client-s3";
import {
  assertOpensEverywhere,
  digestOf,
  type ExpectedEntry,
  withTempDir,
} from "../_readers.ts";
import {
  getObjectStream,
  LOCAL_S3_ENV,
  pendingUploads,
  s3Endpoint,
  withBucket,
} from "../s3/_local_s3.ts";
import { runCli } from "./_cli.ts";
import { assertSameAsSingleRun } from "./_same_object.ts";
import { pseudoRandomBytes } from "../_pseudo_random.ts";

const MIB = 1024 * 1024;
/** 24 files of 25 MiB: 600 MiB in, half of it pseudo-random, half logs. */
const FILES = 24;
const FILE_SIZE = 25 * MIB;
const PART = "32MiB";

/** Bytes of file `index`: pseudo-random (`.bin`) or log lines (`.log`). */
function* fileChunks(index: number): Generator<Uint8Array> {
  let line = 0;
  for (let written = 0, chunk = 0; written < FILE_SIZE; chunk++) {
    const size = Math.min(MIB, FILE_SIZE - written);
    written += size;
    if (index % 2 === 0) {
      yield pseudoRandomBytes(size, index * 1000 + chunk + 1);
      continue;
    }
    let text = "";
    while (text.length < size) {
      text += `2026-12-06T08:${
        String(line % 60).padStart(2, "0")
      }:00Z GET /item/${(line * 7919) % 100_003} 200 ${
        (line * 31) % 9_000
      } bytes file ${index}\n`;
      line++;
    }
    yield new TextEncoder().encode(text.slice(0, size));
  }
}

function fileName(index: number): string {
  return `logs/part-${String(index).padStart(2, "0")}.${
    index % 2 === 0 ? "bin" : "log"
  }`;
}

/** Writes the 600 MiB tree a MiB at a time, and says what each file holds. */
async function makeLogs(dir: string): Promise<ExpectedEntry[]> {
  await Deno.mkdir(`${dir}/logs`);
  const expected: ExpectedEntry[] = [{ name: "logs/" }];
  for (let index = 0; index < FILES; index++) {
    using file = await Deno.open(`${dir}/${fileName(index)}`, {
      write: true,
      createNew: true,
    });
    for (const chunk of fileChunks(index)) {
      for (let at = 0; at < chunk.length;) {
        at += await file.write(chunk.subarray(at));
      }
    }
    expected.push({
      name: fileName(index),
      digest: await digestOf(fileChunks(index)),
    });
  }
  return expected;
}

function args(
  bucket: string,
  key: string,
  extra: readonly string[],
): string[] {
  return [
    "logs",
    "-1",
    "-n",
    ".bin",
    "-o",
    `s3://${bucket}/${key}`,
    "--endpoint",
    s3Endpoint(),
    "--part-size",
    PART,
    "--no-progress",
    ...extra,
  ];
}

Deno.test("zipstream --max-time pauses a 600 MiB upload at least 5 times (exit 75, the upload kept in the checkpoint), and the last run stores the object a single run stores", async () => {
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      const expected = await makeLogs(dir);
      const env = { ...LOCAL_S3_ENV, ZIPSTREAM_STATE_DIR: `${dir}/state` };
      // A budget already spent when the upload starts: every run sends one
      // part, the fewest it may, so the number of runs is the parts'.
      const paused = args(bucket, "paused.zip", [
        "--resume",
        "up.resume",
        "--max-time",
        "0.001",
      ]);
      const partsSeen: number[] = [];
      let uploadId: string | undefined;
      let last: { code: number; stderr: string } | undefined;
      for (let run = 1; run <= 40; run++) {
        last = await runCli(paused, { cwd: dir, env });
        if (last.code !== 75) break;
        assert.match(
          last.stderr,
          /^zipstream: paused at --max-time after .+: [\d.]+ MiB stored in \d+ parts? \(upload ID .+ of s3:\/\/.+\/paused\.zip\), kept for --resume up\.resume; run the same command again to continue$/m,
          `run ${run}: ${last.stderr}`,
        );
        const checkpoint = JSON.parse(
          await Deno.readTextFile(`${dir}/up.resume`),
        );
        uploadId ??= checkpoint.upload.uploadId;
        assert.equal(checkpoint.upload.uploadId, uploadId, `run ${run}`);
        // The server holds the parts the checkpoint names, pending.
        const listed = await client.send(
          new ListPartsCommand({
            Bucket: bucket,
            Key: "paused.zip",
            UploadId: uploadId,
          }),
        );
        const onServer = (listed.Parts ?? []).map((part) => part.PartNumber);
        const recorded = checkpoint.upload.parts.map(
          (part: { partNumber: number }) => part.partNumber,
        );
        assert.deepEqual(onServer, recorded, `run ${run}`);
        partsSeen.push(recorded.length);
      }
      assert.ok(last !== undefined);
      assert.equal(last.code, 0, last.stderr);
      assert.match(last.stderr, /resumed after .+ -> s3:\/\/.+\/paused\.zip/);
      // At least 5 continuations, each adding to the parts the server holds.
      assert.ok(partsSeen.length >= 5, `paused ${partsSeen.length} times`);
      for (let i = 1; i < partsSeen.length; i++) {
        assert.ok(partsSeen[i]! > partsSeen[i - 1]!, `${partsSeen}`);
      }
      assert.deepEqual(await pendingUploads(client, bucket, "paused.zip"), []);
      for (const file of ["up.resume", "up.resume.entries"]) {
        await assert.rejects(Deno.stat(`${dir}/${file}`), Deno.errors.NotFound);
      }

      await assertSameAsSingleRun(client, bucket, "paused.zip", {
        args: args(bucket, "single.zip", []),
        key: "single.zip",
        run: { cwd: dir, env },
      });
      await assertOpensEverywhere(
        await getObjectStream(client, bucket, "paused.zip"),
        expected,
      );
    });
  });
});

Deno.test("zipstream --max-time needs --resume, and --abort-resume takes none", async () => {
  const alone = await runCli(["a", "-o", "s3://b/k.zip", "--max-time", "60"]);
  assert.equal(alone.code, 2);
  assert.match(
    alone.stderr,
    /^zipstream: --max-time needs --resume FILE or --resume s3:\/\/bucket\/key: the upload it pauses is resumed from that checkpoint$/m,
  );
  const bad = await runCli([
    "a",
    "-o",
    "s3://b/k.zip",
    "--resume",
    "r",
    "--max-time",
    "soon",
  ]);
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /Invalid --max-time "soon": expected a number of seconds greater than 0/,
  );
  const abort = await runCli(["--abort-resume", "r", "--max-time", "60"]);
  assert.equal(abort.code, 2);
  assert.match(abort.stderr, /takes no paths, -o, --resume or --max-time/);
});
