import assert from "node:assert/strict";
import {
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  type ListMultipartUploadsCommandOutput,
} from "@aws-sdk/client-s3";
import { describeAbort } from "../../src/cli/_abandoned_uploads.ts";
import {
  listIncompleteUploads,
  parseCleanupArgs,
  parseDuration,
} from "../../src/cli/_cleanup_command.ts";
import { Journal } from "../../src/cli/_journal.ts";
import { withTempDir } from "../_readers.ts";
import { LOCAL_S3_ENV, s3Endpoint, withBucket } from "../s3/_local_s3.ts";
import { profileEnv } from "./_aws_profile.ts";
import { runCli } from "./_cli.ts";

Deno.test("parseDuration() reads --older-than as a whole number and a unit", () => {
  assert.equal(parseDuration("90s"), 90_000);
  assert.equal(parseDuration("30m"), 1_800_000);
  assert.equal(parseDuration("12h"), 43_200_000);
  assert.equal(parseDuration("1d"), 86_400_000);
  for (const text of ["0s", "1w", "1.5h", "h", "10", "-1d", " 1d"]) {
    assert.throws(() => parseDuration(text), {
      name: "UsageError",
      message:
        `Invalid --older-than "${text}": expected a whole number greater than 0 and a unit, s, m, h or d, such as 30m, 12h or 1d`,
    });
  }
});

Deno.test("parseCleanupArgs() takes the journal form or s3://bucket/prefix with --older-than", () => {
  assert.deepEqual(parseCleanupArgs(["--dry-run", "--retries", "3"]), {
    help: false,
    bucket: undefined,
    olderThan: undefined,
    dryRun: true,
    endpoint: undefined,
    region: undefined,
    profile: undefined,
    retry: { attempts: 3 },
    quiet: false,
  });
  assert.deepEqual(
    parseCleanupArgs([
      "s3://backups/tmp/",
      "--older-than",
      "1d",
      "--cleanup-max-time",
      "2.5",
      "--endpoint",
      "http://127.0.0.1:8080",
      "--profile",
      "work",
    ]),
    {
      help: false,
      bucket: { bucket: "backups", prefix: "tmp/" },
      olderThan: 86_400_000,
      dryRun: false,
      endpoint: "http://127.0.0.1:8080",
      region: undefined,
      profile: "work",
      retry: { maxTime: 2500 },
      quiet: false,
    },
  );
});

Deno.test("zipstream cleanup refuses bad arguments with exit code 2 and says what it expected", async () => {
  const cases: [string[], string][] = [
    [
      ["s3://b/p/"],
      "Missing --older-than for s3://b/p/: expected an age such as --older-than 1d, so that uploads in progress are spared",
    ],
    [
      ["--older-than", "1d"],
      'Option --older-than applies to "zipstream cleanup s3://bucket/prefix" only: the journal records each upload\'s server and profile',
    ],
    [
      ["--profile", "work"],
      'Option --profile applies to "zipstream cleanup s3://bucket/prefix" only: the journal records each upload\'s server and profile',
    ],
    [
      ["s3://b/p/", "--older-than", "2w"],
      'Invalid --older-than "2w": expected a whole number greater than 0 and a unit, s, m, h or d, such as 30m, 12h or 1d',
    ],
    [
      ["s3://b/", "s3://c/", "--older-than", "1d"],
      "Cleanup takes at most one s3://bucket/prefix, but got 2 paths",
    ],
    [
      ["b/p", "--older-than", "1d"],
      'Invalid cleanup path "b/p": expected s3://bucket/prefix',
    ],
    [
      ["--retries", "0"],
      'Invalid --retries "0": expected a whole number from 1 to 100',
    ],
    [
      ["--cleanup-max-time", "0"],
      'Invalid --cleanup-max-time "0": expected a number of seconds greater than 0, such as 30 or 2.5',
    ],
    [["--retry-max-time", "5"], 'Unknown option "--retry-max-time"'],
  ];
  for (const [args, message] of cases) {
    const result = await runCli(["cleanup", ...args]);
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.equal(
      result.stderr,
      `zipstream: ${message}\nTry 'zipstream --help' for more information\n`,
    );
  }
});

Deno.test("listIncompleteUploads() follows every page's markers, and stops on a truncated page without one", async () => {
  const pages: Partial<ListMultipartUploadsCommandOutput>[] = [
    {
      Uploads: [{ Key: "p/a", UploadId: "1", Initiated: new Date(1000) }],
      IsTruncated: true,
      NextKeyMarker: "p/a",
      NextUploadIdMarker: "1",
    },
    {
      Uploads: [{ Key: "p/b", UploadId: "2", Initiated: new Date(2000) }],
      IsTruncated: false,
    },
  ];
  const sent: Record<string, unknown>[] = [];
  const client = {
    send(command: ListMultipartUploadsCommand) {
      sent.push({ ...command.input });
      return Promise.resolve(pages[sent.length - 1]!);
    },
  } as unknown as Parameters<typeof listIncompleteUploads>[0];
  const where = { bucket: "b", prefix: "p/" };
  const signal = new AbortController().signal;
  assert.deepEqual(
    await Array.fromAsync(listIncompleteUploads(client, where, signal)),
    [
      { key: "p/a", uploadId: "1", initiated: new Date(1000) },
      { key: "p/b", uploadId: "2", initiated: new Date(2000) },
    ],
  );
  assert.deepEqual(sent, [
    { Bucket: "b", Prefix: "p/" },
    { Bucket: "b", Prefix: "p/", KeyMarker: "p/a", UploadIdMarker: "1" },
  ]);

  pages.splice(0, 2, { Uploads: [], IsTruncated: true });
  sent.length = 0;
  await assert.rejects(
    Array.fromAsync(listIncompleteUploads(client, where, signal)),
    {
      message:
        "Cannot list the incomplete uploads of s3://b/p/: a truncated page gave no NextKeyMarker to continue from",
    },
  );
});

Deno.test("describeAbort() says only what abortUpload verified", () => {
  const upload = { bucket: "b", key: "k.zip", uploadId: "u-1" };
  assert.equal(
    describeAbort({ ...upload, outcome: "aborted" }, "initiated x"),
    "aborted upload ID u-1 of s3://b/k.zip (initiated x)",
  );
  assert.equal(
    describeAbort({ ...upload, outcome: "already-gone" }, "initiated x"),
    "upload ID u-1 of s3://b/k.zip (initiated x) was already gone",
  );
  assert.equal(
    describeAbort({ ...upload, outcome: "completed" }, "initiated x"),
    "upload ID u-1 of s3://b/k.zip (initiated x) was completed: the object is stored",
  );
});

async function pendingKeys(
  client: Parameters<Parameters<typeof withBucket>[0]>[0],
  bucket: string,
): Promise<string[]> {
  const listing = await client.send(
    new ListMultipartUploadsCommand({ Bucket: bucket }),
  );
  return (listing.Uploads ?? []).map((upload) => upload.Key ?? "").sort();
}

/** The upload IDs the journal records, each record let go again. */
async function recordedIds(journal: Journal): Promise<string[]> {
  const ids: string[] = [];
  for await (const found of journal.records()) {
    if (found.state === "abandoned") {
      ids.push(found.record.uploadId);
      found.entry.release();
    }
  }
  return ids;
}

const INITIATED = "initiated \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC";

Deno.test("zipstream cleanup s3://bucket/prefix --older-than aborts the old uploads under the prefix, recorded or not, and --dry-run only lists them", async () => {
  const endpoint = s3Endpoint();
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      const create = async (key: string) =>
        (await client.send(
          new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }),
        )).UploadId!;
      const oldA = await create("tmp/a.zip");
      const oldB = await create("tmp/b.zip");
      await create("keep/c.zip");
      // One of them recorded, as a run on this machine that died would leave it.
      const journal = new Journal(`${dir}/state/uploads`);
      (await journal.record({
        uploadId: oldA,
        bucket,
        key: "tmp/a.zip",
        endpoint,
        region: "us-east-1",
        profile: null,
        resumeFile: null,
      })).release();
      // S3 reports Initiated in whole seconds: a and b are more than 5 s
      // old for the next few seconds, while new.zip stays younger than 5 s.
      await new Promise((resolve) => setTimeout(resolve, 6000));
      await create("tmp/new.zip");
      const args = [
        "cleanup",
        `s3://${bucket}/tmp/`,
        "--older-than",
        "5s",
        "--endpoint",
        endpoint,
      ];
      const env = { ...LOCAL_S3_ENV, ZIPSTREAM_STATE_DIR: `${dir}/state` };
      const all = ["keep/c.zip", "tmp/a.zip", "tmp/b.zip", "tmp/new.zip"];

      const dry = await runCli([...args, "--dry-run"], { env });
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(
        dry.stderr,
        new RegExp(
          `^zipstream: would abort upload ID ${oldA} of s3://${bucket}/tmp/a\\.zip \\(${INITIATED}\\)\n` +
            `zipstream: would abort upload ID ${oldB} of s3://${bucket}/tmp/b\\.zip \\(${INITIATED}\\)\n$`,
        ),
      );
      assert.deepEqual(await pendingKeys(client, bucket), all);
      assert.deepEqual(await recordedIds(journal), [oldA]);

      const cleanup = await runCli(args, { env });
      assert.equal(cleanup.code, 0, cleanup.stderr);
      assert.match(
        cleanup.stderr,
        new RegExp(
          `^zipstream: aborted upload ID ${oldA} of s3://${bucket}/tmp/a\\.zip \\(${INITIATED}\\)\n` +
            `zipstream: aborted upload ID ${oldB} of s3://${bucket}/tmp/b\\.zip \\(${INITIATED}\\)\n$`,
        ),
      );
      assert.deepEqual(await pendingKeys(client, bucket), [
        "keep/c.zip",
        "tmp/new.zip",
      ]);
      assert.deepEqual(await recordedIds(journal), []);

      const again = await runCli(
        [...args.slice(0, 3), "1d", ...args.slice(4)],
        {
          env,
        },
      );
      assert.equal(again.code, 0, again.stderr);
      assert.match(
        again.stderr,
        new RegExp(
          `^zipstream: no incomplete upload under s3://${bucket}/tmp/ was initiated before \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\n$`,
        ),
      );
      assert.deepEqual(await pendingKeys(client, bucket), [
        "keep/c.zip",
        "tmp/new.zip",
      ]);
    });
  });
});

Deno.test("zipstream cleanup s3://bucket/prefix exits 1 naming the bucket when the listing fails", async () => {
  await withTempDir(async (dir) => {
    const bucket = `zipstream-missing-${crypto.randomUUID().slice(0, 8)}`;
    const result = await runCli(
      [
        "cleanup",
        `s3://${bucket}/`,
        "--older-than",
        "1d",
        "--endpoint",
        s3Endpoint(),
      ],
      { env: { ...LOCAL_S3_ENV, ZIPSTREAM_STATE_DIR: `${dir}/state` } },
    );
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(
        `^zipstream: Cannot list the incomplete uploads of s3://${bucket}/: NoSuchBucket`,
      ),
    );
  });
});

Deno.test("zipstream cleanup s3://bucket/prefix --profile NAME lists and aborts with that profile's credentials, not the default ones", async () => {
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      const { UploadId: uploadId } = await client.send(
        new CreateMultipartUploadCommand({ Bucket: bucket, Key: "p/a.zip" }),
      );
      // S3 reports Initiated in whole seconds: 2 s later it is over 1 s old.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const env = await profileEnv(dir);
      const args = [
        "cleanup",
        `s3://${bucket}/p/`,
        "--older-than",
        "1s",
        "--endpoint",
        s3Endpoint(),
      ];
      const refused = await runCli(args, { env });
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(
        refused.stderr,
        new RegExp(
          `^zipstream: Cannot list the incomplete uploads of s3://${bucket}/p/: `,
        ),
      );
      assert.deepEqual(await pendingKeys(client, bucket), ["p/a.zip"]);

      const cleanup = await runCli([...args, "--profile", "work"], { env });
      assert.equal(cleanup.code, 0, cleanup.stderr);
      assert.match(
        cleanup.stderr,
        new RegExp(
          `^zipstream: aborted upload ID ${uploadId} of s3://${bucket}/p/a\\.zip \\(${INITIATED}\\)\n$`,
        ),
      );
      assert.deepEqual(await pendingKeys(client, bucket), []);
    });
  });
});
