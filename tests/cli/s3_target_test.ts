import assert from "node:assert/strict";
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { pseudoRandom } from "../_data.ts";
import {
  type FaultAction,
  FaultProxy,
  isAbort,
  isHeadObject,
  isUploadPart,
} from "../s3/_fault_proxy.ts";
import { TamperProxy } from "../s3/_tamper_proxy.ts";
import { formatUnverified } from "../../src/cli/_summary.ts";
import { describeLeftover, type Leftover } from "../../src/cli/_target.ts";
import { assertOpensEverywhere, withTempDir } from "../_readers.ts";
import {
  downloadObject,
  getObjectStream,
  LOCAL_S3_ENV,
  pendingUploads,
  s3Endpoint,
  withBucket,
} from "../s3/_local_s3.ts";
import {
  cliCommand,
  feedAroundFirstLine,
  makeTree,
  runCli,
  signalAndWait,
  type TreeNode,
  waitUntil,
  withChild,
} from "./_cli.ts";

const TREE: TreeNode[] = [
  { kind: "dir", path: "site/assets", mode: 0o755 },
  { kind: "file", path: "site/index.html", data: "<h1>Hello</h1>\n" },
  {
    kind: "file",
    path: "site/assets/app.js",
    data: "console.log('hi');\n".repeat(500),
    mode: 0o640,
  },
  { kind: "file", path: "site/assets/ünï.css", data: "body { margin: 0 }\n" },
  { kind: "dir", path: "site/empty" },
  { kind: "symlink", path: "site/home.html", target: "index.html" },
];

const EXPECTED = [
  { name: "site/", mode: 0o40755 },
  { name: "site/assets/", mode: 0o40755 },
  {
    name: "site/assets/app.js",
    data: "console.log('hi');\n".repeat(500),
    mode: 0o100640,
  },
  {
    name: "site/assets/ünï.css",
    data: "body { margin: 0 }\n",
    mode: 0o100644,
  },
  { name: "site/empty/", mode: 0o40755 },
  { name: "site/home.html", data: "index.html", mode: 0o120777 },
  { name: "site/index.html", data: "<h1>Hello</h1>\n", mode: 0o100644 },
];

/** A CLI run's environment: the local server's credentials and a journal of its own. */
function cliEnv(dir: string): Record<string, string> {
  return { ...LOCAL_S3_ENV, ZIPSTREAM_STATE_DIR: `${dir}/state` };
}

/** The journal's records of the runs in `dir`. */
async function journalRecords(dir: string): Promise<string[]> {
  try {
    return (await Array.fromAsync(Deno.readDir(`${dir}/state/uploads`)))
      .map((entry) => entry.name)
      .filter((name) => name.endsWith(".json"));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

const UPLOAD_SHAPES = {
  deflated: [],
  "stored (with an exact Content-Length)": ["--store"],
};
for (const [how, compression] of Object.entries(UPLOAD_SHAPES)) {
  Deno.test(`zipstream uploads a ${how} archive to s3://bucket/key that every reader opens`, async () => {
    const endpoint = s3Endpoint();
    await withBucket(async (client, bucket) => {
      await withTempDir(async (dir) => {
        await makeTree(dir, TREE);
        const key = "backups/site.zip";
        const result = await runCli(
          [
            ...compression,
            "site",
            "-o",
            `s3://${bucket}/${key}`,
            "--endpoint",
            endpoint,
          ],
          { cwd: dir, env: cliEnv(dir) },
        );
        assert.equal(result.code, 0, result.stderr);
        const head = await client.send(
          new HeadObjectCommand({ Bucket: bucket, Key: key }),
        );
        const size = head.ContentLength?.toLocaleString("en-US");
        // A run slower than the progress interval (a loaded machine) prints
        // a progress line first; the summary is the last line either way.
        const lines = result.stderr.trimEnd().split("\n");
        for (const line of lines.slice(0, -1)) {
          assert.match(line, /^zipstream: \d+% /, result.stderr);
        }
        assert.match(
          lines.at(-1)!,
          new RegExp(
            `^zipstream: 7 entries, [\\d.]+ KiB in, [\\d.]+ (?:B|KiB) out \\([\\d.]+%\\), .* -> ${
              escape(`s3://${bucket}/${key} (${size} bytes, ETag ${head.ETag})`)
            }$`,
          ),
        );
        await downloadObject(client, bucket, key, `${dir}/site.zip`);
        await assertOpensEverywhere(`${dir}/site.zip`, EXPECTED);
        assert.deepEqual(await pendingUploads(client, bucket, key), []);
      });
    });
  });
}

Deno.test("zipstream --content-md5 sends every part's MD5, and without it no part carries one", async () => {
  const endpoint = s3Endpoint();
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      const data = pseudoRandom(11 * 1024 * 1024, 9);
      await makeTree(dir, [{ kind: "file", path: "big.bin", data }]);
      const proxy = FaultProxy.start(endpoint);
      try {
        for (const contentMd5 of [true, false]) {
          const key = `md5-${contentMd5}.zip`;
          const logged = proxy.log.length;
          const result = await runCli(
            [
              "--store",
              "big.bin",
              "-o",
              `s3://${bucket}/${key}`,
              "--endpoint",
              proxy.endpoint,
              "--part-size",
              "5MiB",
              "--quiet",
              ...(contentMd5 ? ["--content-md5"] : []),
            ],
            { cwd: dir, env: cliEnv(dir) },
          );
          assert.equal(result.code, 0, result.stderr);
          const parts = proxy.log.slice(logged)
            .filter((entry) => /partNumber=/.test(entry.query));
          assert.equal(parts.length, 3);
          for (const part of parts) {
            assert.equal(
              part.contentMd5 !== undefined,
              contentMd5,
              `part ${part.query} with --content-md5 ${contentMd5}`,
            );
          }
          await assertOpensEverywhere(
            await getObjectStream(client, bucket, key),
            [{ name: "big.bin", data }],
          );
        }
      } finally {
        await proxy.close();
      }
    });
  });
});

Deno.test("zipstream --payload-signing and --part-checksum reach every part's headers", async () => {
  const endpoint = s3Endpoint();
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      const data = pseudoRandom(11 * 1024 * 1024, 5);
      await makeTree(dir, [{ kind: "file", path: "big.bin", data }]);
      const proxy = new TamperProxy(endpoint);
      try {
        const cases: [string[], string | RegExp, boolean][] = [
          // Over plain HTTP the default signs each part and sends its CRC-32.
          [[], /^[0-9a-f]{64}$/, true],
          [
            ["--payload-signing", "never", "--part-checksum", "none"],
            "UNSIGNED-PAYLOAD",
            false,
          ],
        ];
        for (const [flags, sha256, checksum] of cases) {
          const key = `headers-${flags.length}.zip`;
          const logged = proxy.log.length;
          const result = await runCli(
            [
              "--store",
              "big.bin",
              "-o",
              `s3://${bucket}/${key}`,
              "--endpoint",
              proxy.endpoint,
              "--quiet",
              ...flags,
            ],
            { cwd: dir, env: cliEnv(dir) },
          );
          assert.equal(result.code, 0, result.stderr);
          const parts = proxy.log.slice(logged)
            .filter((entry) => entry.query.has("partNumber"));
          assert.equal(parts.length, 3);
          for (const part of parts) {
            assert.match(
              part.headers.get("x-amz-content-sha256") ?? "",
              typeof sha256 === "string" ? new RegExp(`^${sha256}$`) : sha256,
            );
            assert.equal(part.headers.has("x-amz-checksum-crc32"), checksum);
          }
          await assertOpensEverywhere(
            await getObjectStream(client, bucket, key),
            [{ name: "big.bin", data }],
          );
        }
      } finally {
        await proxy.close();
      }
    });
  });
});

Deno.test("zipstream finds an S3-compatible server through AWS_ENDPOINT_URL", async () => {
  const endpoint = s3Endpoint();
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      await makeTree(dir, TREE);
      const result = await runCli(
        ["site", "-o", `s3://${bucket}/site.zip`, "--quiet"],
        { cwd: dir, env: { ...cliEnv(dir), AWS_ENDPOINT_URL: endpoint } },
      );
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, "");
      await downloadObject(client, bucket, "site.zip", `${dir}/site.zip`);
      await assertOpensEverywhere(`${dir}/site.zip`, EXPECTED);
    });
  });
});

Deno.test("zipstream exits 1 with a one-line error naming a bucket that does not exist", async () => {
  const endpoint = s3Endpoint();
  await withTempDir(async (dir) => {
    await makeTree(dir, TREE);
    const bucket = `zipstream-missing-${crypto.randomUUID().slice(0, 8)}`;
    const result = await runCli(
      ["site", "-o", `s3://${bucket}/site.zip`, "--endpoint", endpoint],
      { cwd: dir, env: cliEnv(dir) },
    );
    assert.equal(result.code, 1);
    const lines = result.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 2, result.stderr);
    assert.match(
      lines[0]!,
      new RegExp(`^zipstream: .*s3://${bucket}/site\\.zip.*NoSuchBucket`),
    );
    // CreateMultipartUpload failed: there was never an upload to abort.
    assert.equal(lines[1], "zipstream: nothing was stored");
  });
});

for (
  const [signal, code, first] of [
    ["SIGINT", 130, "interrupted"],
    ["SIGTERM", 143, "terminated"],
  ] as const
) {
  Deno.test(`zipstream aborts the multipart upload on ${signal}, says so as it starts and once it is verified, and exits ${code}`, async () => {
    const endpoint = s3Endpoint();
    await withBucket(async (client, bucket) => {
      await withTempDir(async (dir) => {
        const key = `interrupted-${signal}.zip`;
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
          env: cliEnv(dir),
          stdin: "piped",
          stdout: "null",
          stderr: "piped",
        }).spawn();
        await withChild(child, async () => {
          const stderr = new Response(child.stderr).text();
          // More than one part, so the upload is a multipart one; standard input
          // stays open, so the archive cannot finish before the signal.
          const writer = child.stdin.getWriter();
          await writer.write(new Uint8Array(12 << 20));
          // Recorded in the journal: the CLI knows the upload ID.
          await waitUntil(
            "the journal records the upload",
            async () => (await journalRecords(dir)).length > 0,
          );
          const [uploadId] = await pendingUploads(client, bucket, key);
          const status = await signalAndWait(child, signal);
          await writer.close().catch(() => {});
          assert.equal(status.code, code, await stderr);
          const again = signal === "SIGINT"
            ? "press Ctrl-C again"
            : "signal again";
          assert.equal(
            await stderr,
            `zipstream: ${first}; aborting the upload to s3://${bucket}/${key} (upload ID ${uploadId}); ${again} to leave it pending\n` +
              `zipstream: Interrupted by ${signal}; nothing was stored; the upload was aborted (upload ID ${uploadId})\n`,
          );
          assert.deepEqual(await pendingUploads(client, bucket, key), []);
          assert.deepEqual(await journalRecords(dir), []);
          await assert.rejects(
            client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })),
            (error: Error) => error.name === "NotFound",
          );
        });
      });
    });
  });
}

Deno.test("zipstream's progress lines for an S3 target count the bytes sent", async () => {
  const endpoint = s3Endpoint();
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      const child = new Deno.Command(Deno.execPath(), {
        args: cliCommand([
          "-",
          "-o",
          `s3://${bucket}/progress.zip`,
          "--endpoint",
          endpoint,
        ]),
        cwd: dir,
        env: cliEnv(dir),
        stdin: "piped",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const { status, stderr: seen } = await feedAroundFirstLine(
        child,
        new Uint8Array(1 << 20),
      );
      assert.equal(status.code, 0, seen);
      const [first] = seen.split("\n");
      assert.match(
        first!,
        /^zipstream: [\d.]+ [KM]iB, [\d.]+ [KMG]?i?B\/s, ETA --:--, [\d.]+ [KM]?i?B sent, 0\/1 entries, -$/,
      );
      const head = await client.send(
        new HeadObjectCommand({ Bucket: bucket, Key: "progress.zip" }),
      );
      assert.ok((head.ContentLength ?? 0) > 0);
    });
  });
});

Deno.test("describeLeftover() says what the library verified: nothing stored, the upload pending and how to abort it, or the file removed", () => {
  const target = "s3://b/k.zip";
  const cases: [Leftover, string | undefined][] = [
    [{ kind: "nothing" }, undefined],
    [
      { kind: "file-removed", path: "out.zip" },
      "removed the incomplete out.zip",
    ],
    [
      { kind: "file-left", path: "out.zip", reason: "permission denied" },
      "could not remove the incomplete out.zip (permission denied): delete it",
    ],
    [
      { kind: "upload-gone", target, uploadId: "u-1" },
      "nothing was stored; the upload was aborted (upload ID u-1)",
    ],
    [
      { kind: "upload-gone", target, uploadId: undefined },
      "nothing was stored",
    ],
    [
      { kind: "object-unknown", target },
      "no multipart upload was used, so none is left pending; look for s3://b/k.zip before relying on it",
    ],
    [
      {
        kind: "upload-pending",
        target,
        uploadId: "u-1",
        resumeFile: undefined,
        recorded: true,
      },
      'upload ID u-1 of s3://b/k.zip is still pending: it could not be shown gone; run "zipstream cleanup" to abort it',
    ],
    [
      {
        kind: "upload-pending",
        target,
        uploadId: "u-1",
        resumeFile: undefined,
        recorded: false,
      },
      'upload ID u-1 of s3://b/k.zip is still pending: it could not be shown gone; it is not in the journal: run "zipstream cleanup s3://b/k.zip --older-than 1s" to abort it',
    ],
    [
      {
        kind: "upload-pending",
        target,
        uploadId: "u-1",
        resumeFile: "up.resume",
        recorded: true,
      },
      "upload ID u-1 of s3://b/k.zip is pending, kept for --resume up.resume: run the same command again to resume it, or discard it with zipstream --abort-resume up.resume",
    ],
  ];
  for (const [leftover, line] of cases) {
    assert.equal(describeLeftover(leftover), line);
  }
  assert.equal(
    formatUnverified(target, "HeadObject failed"),
    "zipstream: warning: s3://b/k.zip was stored, but not fully checked: HeadObject failed",
  );
});

Deno.test("zipstream warns, and exits 0, when the server stored the object but HeadObject could not check it", async () => {
  const endpoint = s3Endpoint();
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      await makeTree(dir, [{
        kind: "file",
        path: "big.bin",
        data: pseudoRandom(6 * 1024 * 1024, 3),
      }]);
      const proxy = FaultProxy.start(endpoint);
      try {
        proxy.inject(
          isHeadObject,
          { kind: "status", status: 500, code: "InternalError" },
          Infinity,
        );
        const result = await runCli(
          [
            "--store",
            "big.bin",
            "-o",
            `s3://${bucket}/unchecked.zip`,
            "--endpoint",
            proxy.endpoint,
            "--part-size",
            "5MiB",
            // HeadObject after the completion is checked on the cleanup
            // budget, long enough to ride out an outage; not here.
            "--cleanup-max-time",
            "1",
            "--no-progress",
          ],
          { cwd: dir, env: cliEnv(dir) },
        );
        assert.equal(result.code, 0, result.stderr);
        const lines = result.stderr.trimEnd().split("\n");
        assert.equal(lines.length, 2, result.stderr);
        assert.match(
          lines[0]!,
          new RegExp(
            `^zipstream: warning: s3://${bucket}/unchecked\\.zip was stored, but not fully checked: the server said it stored the object, but HeadObject failed, so its size was not checked \\(HeadObject failed after \\d+ attempts?(?: over [^:]+)?: .*\\)$`,
          ),
        );
        assert.match(lines[1]!, /^zipstream: 1 entry, .* -> s3:\/\//);
      } finally {
        await proxy.close();
      }
      const head = await client.send(
        new HeadObjectCommand({ Bucket: bucket, Key: "unchecked.zip" }),
      );
      assert.ok((head.ContentLength ?? 0) > 6 * 1024 * 1024);
      assert.deepEqual(
        await pendingUploads(client, bucket, "unchecked.zip"),
        [],
      );
      assert.deepEqual(await journalRecords(dir), []);
    });
  });
});

Deno.test("zipstream names the upload it could not abort, keeps it in the journal, and zipstream cleanup aborts it later", async () => {
  const endpoint = s3Endpoint();
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      const key = "stuck.zip";
      await makeTree(dir, [{
        kind: "file",
        path: "big.bin",
        data: pseudoRandom(12 * 1024 * 1024, 4),
      }]);
      // The journal records the proxy as the upload's server: it stays up
      // for the cleanup, without its faults.
      const proxy = FaultProxy.start(endpoint);
      try {
        const refuse = { kind: "status", status: 500, code: "InternalError" };
        proxy.inject(isUploadPart(2), refuse as FaultAction, Infinity);
        proxy.inject(isAbort(), refuse as FaultAction, Infinity);
        const result = await runCli(
          [
            "--store",
            "big.bin",
            "-o",
            `s3://${bucket}/${key}`,
            "--endpoint",
            proxy.endpoint,
            "--part-size",
            "5MiB",
            "--retries",
            "1",
            "--cleanup-max-time",
            "1",
            "--no-progress",
          ],
          { cwd: dir, env: cliEnv(dir) },
        );
        assert.equal(result.code, 1, result.stderr);
        const [uploadId] = await pendingUploads(client, bucket, key);
        assert.ok(uploadId !== undefined, "the upload is still pending");
        const lines = result.stderr.trimEnd().split("\n");
        assert.equal(lines.length, 2, result.stderr);
        assert.match(
          lines[0]!,
          new RegExp(`^zipstream: Cannot upload to s3://${bucket}/stuck\\.zip`),
        );
        assert.equal(
          lines[1],
          `zipstream: upload ID ${uploadId} of s3://${bucket}/${key} is still pending: it could not be shown gone; run "zipstream cleanup" to abort it`,
        );
        assert.equal((await journalRecords(dir)).length, 1);

        proxy.rules.length = 0;
        const cleanup = await runCli(["cleanup"], { env: cliEnv(dir) });
        assert.equal(cleanup.code, 0, cleanup.stderr);
        assert.match(
          cleanup.stderr,
          new RegExp(`^zipstream: aborted upload ID ${uploadId} of s3://`),
        );
      } finally {
        await proxy.close();
      }
      assert.deepEqual(await pendingUploads(client, bucket, key), []);
      assert.deepEqual(await journalRecords(dir), []);
    });
  });
});

Deno.test("zipstream to a server that refuses every connection says it retries, that the object is unknown and that no upload is left pending", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/a.txt`, "a");
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const { port } = listener.addr as Deno.NetAddr;
    listener.close();
    // How many attempts fit in the time allowed depends on the machine's load.
    const counted = (stderr: string) =>
      stderr.replace(
        /failed after \d+ attempts?( over \d+ s)?/g,
        "failed after N attempts",
      );
    const run = (display: string) =>
      runCli(
        [
          "a.txt",
          "-o",
          "s3://b/k.zip",
          "--endpoint",
          `http://127.0.0.1:${port}`,
          display,
          "--retries",
          "3",
          "--cleanup-max-time",
          "1",
        ],
        { cwd: dir, env: cliEnv(dir) },
      );
    const refused = `connect ECONNREFUSED 127.0.0.1:${port}`;
    const outcome =
      `zipstream: Cannot upload to s3://b/k.zip: the object could not be uploaded: PutObject failed after N attempts: ${refused}; whether the object was stored could not be checked: HeadObject failed after N attempts: ${refused}\n` +
      "zipstream: no multipart upload was used, so none is left pending; look for s3://b/k.zip before relying on it\n";
    const shown = await run("--no-progress");
    assert.equal(shown.code, 1, shown.stderr);
    // Said once PutObject has failed twice; the HeadObject retries come
    // within 30 s of that line: not said again.
    assert.equal(
      counted(shown.stderr),
      `zipstream: retrying PutObject (attempt 3 of 3): ${refused}\n${outcome}`,
    );
    const quiet = await run("-q");
    assert.equal(quiet.code, 1, quiet.stderr);
    assert.equal(counted(quiet.stderr), outcome);
  });
});
