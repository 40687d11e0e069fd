import assert from "node:assert/strict";
import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { FaultProxy } from "../s3/_fault_proxy.ts";
import {
  assertOpensEverywhere,
  readWithPython,
  withTempDir,
} from "../_readers.ts";
import {
  downloadObject,
  LOCAL_S3_ENV,
  s3Endpoint,
  withBucket,
} from "../s3/_local_s3.ts";
import { makeTree, noCredentialsEnv, runCli, type TreeNode } from "./_cli.ts";

const TREE: TreeNode[] = [
  { kind: "dir", path: "site" },
  { kind: "file", path: "site/index.html", data: "<h1>Hello</h1>\n" },
  { kind: "file", path: "site/logo.png", data: "not really a png" },
];

/** root reads any file; without these capabilities it meets the mode bits like anyone. */
const AS_USER = Deno.uid() === 0
  ? ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
  : [];

/** A CLI run's environment: the local server's credentials and a journal of its own. */
function cliEnv(dir: string): Record<string, string> {
  return { ...LOCAL_S3_ENV, ZIPSTREAM_STATE_DIR: `${dir}/state` };
}

Deno.test("zipstream -o s3://bucket/folder/ names the object after the single path, as aws s3 cp does", async () => {
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      await makeTree(dir, TREE);
      const result = await runCli(
        ["site/", "-o", `s3://${bucket}/backups/`, "--no-progress"],
        { cwd: dir, env: cliEnv(dir) },
      );
      assert.equal(result.code, 0, result.stderr);
      assert.match(
        result.stderr,
        new RegExp(`-> s3://${bucket}/backups/site\\.zip \\(`),
      );
      await downloadObject(
        client,
        bucket,
        "backups/site.zip",
        `${dir}/got.zip`,
      );
      await assertOpensEverywhere(`${dir}/got.zip`, [
        { name: "site/" },
        { name: "site/index.html", data: "<h1>Hello</h1>\n" },
        { name: "site/logo.png", data: "not really a png" },
      ]);
    });
  });
});

Deno.test("zipstream --content-type, --metadata and --storage-class reach the stored object", async () => {
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      await makeTree(dir, TREE);
      const result = await runCli([
        "site",
        "-o",
        `s3://${bucket}/site.zip`,
        "--content-type",
        "application/x-zip-compressed",
        "--metadata",
        "Owner=web-team,build=42",
        "--storage-class",
        "STANDARD",
        "-q",
      ], { cwd: dir, env: cliEnv(dir) });
      assert.equal(result.code, 0, result.stderr);
      const head = await client.send(
        new HeadObjectCommand({ Bucket: bucket, Key: "site.zip" }),
      );
      assert.equal(head.ContentType, "application/x-zip-compressed");
      assert.deepEqual(head.Metadata, { owner: "web-team", build: "42" });
      // Swift stores STANDARD without naming it; a class it refuses is
      // tested below, by its refusal.
      assert.ok(
        head.StorageClass === undefined || head.StorageClass === "STANDARD",
        `expected the STANDARD class but the object has ${head.StorageClass}`,
      );
      await downloadObject(client, bucket, "site.zip", `${dir}/got.zip`);
      await assertOpensEverywhere(`${dir}/got.zip`, [
        { name: "site/" },
        { name: "site/index.html", data: "<h1>Hello</h1>\n" },
        { name: "site/logo.png", data: "not really a png" },
      ]);
    });
  });
});

// The local server implements neither encryption nor storage classes other
// than STANDARD: its refusals show that the CLI sent what it was given.
const REFUSED: [string[], string][] = [
  [
    ["--sse", "AES256"],
    "NotImplemented: Server-side encryption is not supported",
  ],
  [
    ["--storage-class", "GLACIER"],
    "InvalidStorageClass: The storage class you specified is not valid",
  ],
];
for (const [options, refusal] of REFUSED) {
  Deno.test(`zipstream ${options.join(" ")} sends the option to the server`, async () => {
    await withBucket(async (_client, bucket) => {
      await withTempDir(async (dir) => {
        await makeTree(dir, TREE);
        const target = `s3://${bucket}/site.zip`;
        const result = await runCli(
          ["site", "-o", target, ...options, "-q"],
          { cwd: dir, env: cliEnv(dir) },
        );
        assert.equal(result.code, 1);
        assert.equal(
          result.stderr,
          `zipstream: Cannot upload to ${target}: the object could not be uploaded: PutObject failed after 1 attempt: ${refusal}\n` +
            "zipstream: nothing was stored\n",
        );
      });
    });
  });
}

Deno.test("zipstream without AWS credentials fails before any request, saying what to set", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, TREE);
    const proxy = FaultProxy.start(s3Endpoint());
    try {
      const result = await runCli(
        [
          "site",
          "-o",
          "s3://any-bucket/site.zip",
          "--endpoint",
          proxy.endpoint,
        ],
        {
          cwd: dir,
          env: {
            ...noCredentialsEnv(dir),
            ZIPSTREAM_STATE_DIR: `${dir}/state`,
          },
        },
      );
      assert.equal(result.code, 1);
      assert.equal(
        result.stderr,
        "zipstream: No AWS credentials for s3://any-bucket/site.zip: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name a profile with --profile or AWS_PROFILE; an S3-compatible server given with --endpoint takes its keys the same way\n",
      );
      assert.deepEqual(proxy.log, [], "no request was sent");
    } finally {
      await proxy.close();
    }
  });
});

Deno.test("zipstream --profile takes the credentials of that profile, and --endpoint-url names the server", async () => {
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      await makeTree(dir, TREE);
      await Deno.writeTextFile(
        `${dir}/credentials`,
        "[default]\naws_access_key_id = nobody\naws_secret_access_key = wrong\n" +
          `[work]\naws_access_key_id = ${LOCAL_S3_ENV.AWS_ACCESS_KEY_ID}\n` +
          `aws_secret_access_key = ${LOCAL_S3_ENV.AWS_SECRET_ACCESS_KEY}\n`,
      );
      const result = await runCli([
        "site/index.html",
        "-o",
        `s3://${bucket}/index.zip`,
        "--profile",
        "work",
        "--endpoint-url",
        s3Endpoint(),
        "-q",
      ], {
        cwd: dir,
        env: {
          AWS_ACCESS_KEY_ID: "",
          AWS_SECRET_ACCESS_KEY: "",
          AWS_SHARED_CREDENTIALS_FILE: `${dir}/credentials`,
          AWS_CONFIG_FILE: `${dir}/no-config`,
          AWS_REGION: LOCAL_S3_ENV.AWS_REGION,
          AWS_ENDPOINT_URL: "",
          ZIPSTREAM_STATE_DIR: `${dir}/state`,
        },
      });
      assert.equal(result.code, 0, result.stderr);
      await downloadObject(client, bucket, "index.zip", `${dir}/got.zip`);
      await assertOpensEverywhere(`${dir}/got.zip`, [
        { name: "site/index.html", data: "<h1>Hello</h1>\n" },
      ]);
    });
  });
});

Deno.test("zipstream -i keeps the s3:// objects that match, and stores those named like compressed formats", async () => {
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      const text = "a line of a report\n".repeat(200);
      for (const key of ["in/a.PNG", "in/b.csv", "in/c.log"]) {
        await client.send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: text }),
        );
      }
      const result = await runCli([
        `s3://${bucket}/in/`,
        "-i",
        // Globs match case and all, as zip -i's do; stored suffixes do not.
        "*.PNG",
        "-i",
        "*.csv",
        "-o",
        "out.zip",
        "-q",
      ], { cwd: dir, env: cliEnv(dir) });
      assert.equal(result.code, 0, result.stderr);
      const { entries } = await readWithPython(`${dir}/out.zip`);
      assert.deepEqual(
        entries.map((entry) => [entry.name, entry.compressType]),
        [["in/a.PNG", 0], ["in/b.csv", 8]],
      );
      await assertOpensEverywhere(`${dir}/out.zip`, [
        { name: "in/a.PNG", data: text },
        { name: "in/b.csv", data: text },
      ]);
    });
  });
});

Deno.test("zipstream -0 leaves an unreadable file out of an upload of exact length, and exits 18", async () => {
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      await makeTree(dir, [
        ...TREE,
        { kind: "file", path: "site/.htpasswd", data: "admin:x", mode: 0o000 },
      ]);
      const result = await runCli(
        ["-0", "site", "-o", `s3://${bucket}/site.zip`, "--no-progress"],
        { cwd: dir, env: cliEnv(dir), wrapper: AS_USER },
      );
      assert.equal(result.code, 18, result.stderr);
      const lines = result.stderr.split("\n");
      assert.equal(
        lines[0],
        'zipstream: warning: skipped "site/.htpasswd": permission denied',
      );
      assert.match(lines[1]!, /^zipstream: 3 entries, /);
      assert.equal(
        lines[2],
        "zipstream: skipped 1 unreadable path (see the warnings above); the archive holds everything else",
      );
      await downloadObject(client, bucket, "site.zip", `${dir}/got.zip`);
      await assertOpensEverywhere(`${dir}/got.zip`, [
        { name: "site/" },
        { name: "site/index.html", data: "<h1>Hello</h1>\n" },
        { name: "site/logo.png", data: "not really a png" },
      ]);
    });
  });
});
