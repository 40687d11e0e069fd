import assert from "node:assert/strict";
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { pseudoRandom } from "../_data.ts";
import { FaultProxy } from "../s3/_fault_proxy.ts";
import { assertOpensEverywhere, withTempDir } from "../_readers.ts";
import {
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

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

async function download(
  client: Parameters<typeof getObjectStream>[0],
  bucket: string,
  key: string,
  path: string,
): Promise<void> {
  const file = await Deno.open(path, { write: true, createNew: true });
  await (await getObjectStream(client, bucket, key)).pipeTo(file.writable);
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
          { cwd: dir, env: LOCAL_S3_ENV },
        );
        assert.equal(result.code, 0, result.stderr);
        const head = await client.send(
          new HeadObjectCommand({ Bucket: bucket, Key: key }),
        );
        const size = head.ContentLength?.toLocaleString("en-US");
        assert.match(
          result.stderr,
          new RegExp(
            `^zipstream: 7 entries, [\\d.]+ KiB in, [\\d.]+ KiB out \\([\\d.]+%\\), .* -> ${
              escape(`s3://${bucket}/${key} (${size} bytes, ETag ${head.ETag})`)
            }\n$`,
          ),
        );
        await download(client, bucket, key, `${dir}/site.zip`);
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
            { cwd: dir, env: LOCAL_S3_ENV },
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

Deno.test("zipstream finds an S3-compatible server through AWS_ENDPOINT_URL", async () => {
  const endpoint = s3Endpoint();
  await withBucket(async (client, bucket) => {
    await withTempDir(async (dir) => {
      await makeTree(dir, TREE);
      const result = await runCli(
        ["site", "-o", `s3://${bucket}/site.zip`, "--quiet"],
        { cwd: dir, env: { ...LOCAL_S3_ENV, AWS_ENDPOINT_URL: endpoint } },
      );
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, "");
      await download(client, bucket, "site.zip", `${dir}/site.zip`);
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
      { cwd: dir, env: LOCAL_S3_ENV },
    );
    assert.equal(result.code, 1);
    const lines = result.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 2, result.stderr);
    assert.match(
      lines[0]!,
      new RegExp(`^zipstream: .*s3://${bucket}/site\\.zip.*NoSuchBucket`),
    );
    assert.equal(
      lines[1],
      `zipstream: aborted the upload to s3://${bucket}/site.zip; nothing was stored`,
    );
  });
});

for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  Deno.test(`zipstream aborts the multipart upload on ${signal}, leaving nothing pending, and exits ${code}`, async () => {
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
          env: LOCAL_S3_ENV,
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
          await waitUntil(
            "the multipart upload has started",
            async () => (await pendingUploads(client, bucket, key)).length > 0,
          );
          const status = await signalAndWait(child, signal);
          await writer.close().catch(() => {});
          assert.equal(status.code, code, await stderr);
          assert.equal(
            await stderr,
            `zipstream: Interrupted by ${signal}; aborted the upload to s3://${bucket}/${key}; nothing was stored\n`,
          );
          assert.deepEqual(await pendingUploads(client, bucket, key), []);
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
        env: LOCAL_S3_ENV,
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
        /^zipstream: [\d.]+ [KM]iB, [\d.]+ [KMG]?i?B\/s, ETA -, [\d.]+ [KM]?i?B sent, 0\/1 entries, -$/,
      );
      const head = await client.send(
        new HeadObjectCommand({ Bucket: bucket, Key: "progress.zip" }),
      );
      assert.ok((head.ContentLength ?? 0) > 0);
    });
  });
});
