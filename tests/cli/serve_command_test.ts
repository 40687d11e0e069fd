/**
 * `zipstream serve` as a user runs it: the CLI in a child process on
 * 127.0.0.1, fetched with curl. The S3 case needs the local server: run
 * with `bash scripts/with_s3_server.sh deno test -A tests/cli/serve_command_test.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { crc32 as nativeCrc32 } from "node:zlib";
import { parsePlanArgs } from "../../src/cli/_plan_args.ts";
import { makePlan } from "../../src/cli/_plan_command.ts";
import { PlanS3 } from "../../src/cli/_plan_s3.ts";
import type { ZipPlan } from "../../mod.ts";
import { pseudoRandom } from "../_data.ts";
import { assertOpensEverywhere, withTempDir } from "../_readers.ts";
import { LOCAL_S3_ENV, s3Endpoint, withBucket } from "../s3/_local_s3.ts";
import {
  cliCommand,
  makeTree,
  runCli,
  signalAndWait,
  withChild,
} from "./_cli.ts";

const BIG = pseudoRandom(3_000_000, 11);
const TREE = [
  { kind: "file", path: "a.txt", data: "hello\n" },
  { kind: "dir", path: "sub" },
  { kind: "file", path: "sub/big.bin", data: BIG },
] as const;
const EXPECTED = [
  { name: "site/" },
  { name: "site/a.txt", data: "hello\n" },
  { name: "site/sub/" },
  { name: "site/sub/big.bin", data: BIG },
];

/** A running `zipstream serve`. */
interface Server {
  child: Deno.ChildProcess;
  /** The URL it printed. */
  url: string;
  /** Its standard error, whole once it has exited. */
  stderr: Promise<string>;
}

/** Starts `zipstream serve ARGS` and waits for the line with its URL. */
async function startServe(
  args: readonly string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<Server> {
  const child = new Deno.Command(Deno.execPath(), {
    args: cliCommand(["serve", ...args]),
    cwd,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("\n")) {
    const read = await reader.read();
    if (read.done) break;
    out += read.value;
  }
  // Nothing else comes on stdout; what might is dropped.
  void reader.read().then(function drain(read): unknown {
    return read.done ? undefined : reader.read().then(drain);
  });
  const url = /^Serving .* at (http:\/\/127\.0\.0\.1:\d+\/\S+)\n$/.exec(out)
    ?.[1];
  if (url === undefined) {
    await child.status;
    throw new Error(
      `zipstream serve printed ${JSON.stringify(out)} and ${await stderr}`,
    );
  }
  return { child, url, stderr };
}

/** Runs `curl -sS ARGS` and returns its exit code, output and error text. */
async function curl(
  ...args: string[]
): Promise<{ code: number; body: Uint8Array; error: string }> {
  const { code, stdout, stderr } = await new Deno.Command("curl", {
    args: ["-sS", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code, body: stdout, error: new TextDecoder().decode(stderr) };
}

async function bytesOf(plan: ZipPlan, start = 0, end = plan.size) {
  return await new Response(plan.slice(start, end)).bytes();
}

/** The plan `zipstream serve --manifest` would serve, made in this process. */
async function planOf(manifest: string): Promise<ZipPlan> {
  using s3 = new PlanS3({
    endpoint: undefined,
    region: undefined,
    profile: undefined,
  });
  return (await makePlan(
    parsePlanArgs("serve", ["--manifest", manifest, "--no-crc-cache"]),
    s3,
  )).plan;
}

function headerOf(head: Uint8Array, name: string): string | undefined {
  const text = new TextDecoder().decode(head);
  return new RegExp(`^${name}: (.*)\r$`, "im").exec(text)?.[1];
}

Deno.test("zipstream serve serves the archive of paths whole, in ranges and to HEAD, and exits 130 on SIGINT", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/site`);
    await makeTree(`${dir}/site`, TREE);
    const planned = await runCli(
      ["plan", "site", "-o", "site.json", "--no-crc-cache"],
      { cwd: dir },
    );
    assert.equal(planned.code, 0, planned.stderr);
    const plan = await planOf(`${dir}/site.json`);
    const server = await startServe(
      ["site", "--no-crc-cache", "--name", "site.zip"],
      dir,
    );
    await withChild(server.child, async (child) => {
      assert.match(server.url, /\/site\.zip$/);
      const whole = await curl("-f", server.url);
      assert.equal(whole.code, 0, whole.error);
      assert.deepEqual(whole.body, await bytesOf(plan));
      await assertOpensEverywhere(whole.body, EXPECTED);

      const root = await curl("-f", new URL("/", server.url).href);
      assert.deepEqual(root.body, whole.body);
      const range = await curl("-f", "-r", "100-1000099", server.url);
      assert.deepEqual(range.body, await bytesOf(plan, 100, 1_000_100));
      const tail = await curl("-f", "-r", "-22", server.url);
      assert.deepEqual(tail.body, await bytesOf(plan, plan.size - 22));

      const head = await curl("-f", "-I", server.url);
      assert.equal(head.code, 0, head.error);
      assert.equal(headerOf(head.body, "etag"), plan.etag);
      assert.equal(headerOf(head.body, "content-length"), String(plan.size));
      assert.equal(headerOf(head.body, "accept-ranges"), "bytes");
      assert.equal(headerOf(head.body, "content-type"), "application/zip");
      assert.equal(
        headerOf(head.body, "content-disposition"),
        "attachment; filename=site.zip",
      );
      const missing = await curl(
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        new URL("/other.zip", server.url).href,
      );
      assert.equal(new TextDecoder().decode(missing.body), "404");
      const { port } = new URL(server.url);
      const taken = await runCli(
        ["serve", "site", "--port", port, "--no-crc-cache"],
        { cwd: dir },
      );
      assert.equal(taken.code, 1);
      assert.equal(
        taken.stderr,
        `zipstream: Cannot listen on 127.0.0.1:${port}: address already in use\n`,
      );

      const status = await signalAndWait(child, "SIGINT");
      assert.equal(status.code, 130);
      assert.equal(
        await server.stderr,
        "zipstream: interrupted; stopping the server, cutting downloads in progress; signal again to exit at once\nzipstream: stopped serving site.zip\n",
      );
    });
  });
});

Deno.test("zipstream serve --manifest, ours or mod_zip's, serves the same bytes and ETag as the paths, and exits 143 on SIGTERM", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/site`);
    await makeTree(`${dir}/site`, TREE);
    const paths = ["site/a.txt", "site/sub/big.bin"];
    const planned = await runCli(
      ["plan", ...paths, "-o", "m.json", "--no-crc-cache", "-q"],
      { cwd: dir },
    );
    assert.equal(planned.code, 0, planned.stderr);
    const crc = (nativeCrc32(BIG) >>> 0).toString(16).padStart(8, "0");
    // Locations relative to the manifest's folder, one percent-encoded.
    await Deno.writeTextFile(
      `${dir}/site/files.txt`,
      `- 6 a%2Etxt site/a.txt\n${crc} ${BIG.length} sub/big.bin site/sub/big.bin\n`,
    );
    const servers = [
      await startServe([...paths, "--no-crc-cache"], dir),
      await startServe(["--manifest", "m.json"], dir),
      await startServe(["--manifest", "site/files.txt", "--no-crc-cache"], dir),
    ];
    try {
      const got: { etag: string | undefined; body: Uint8Array }[] = [];
      for (const { url } of servers) {
        const body = await curl("-f", url);
        assert.equal(body.code, 0, body.error);
        const head = await curl("-f", "-I", url);
        got.push({ etag: headerOf(head.body, "etag"), body: body.body });
      }
      assert.deepEqual(got[1], got[0]);
      assert.deepEqual(got[2], got[0]);
      assert.deepEqual(
        got[0]!.etag,
        JSON.parse(await Deno.readTextFile(`${dir}/m.json`)).etag,
      );
      await assertOpensEverywhere(
        got[0]!.body,
        EXPECTED.filter((entry) => entry.data !== undefined),
      );
      for (const server of servers) {
        const status = await signalAndWait(server.child, "SIGTERM");
        assert.equal(status.code, 143);
        assert.match(
          await server.stderr,
          /^zipstream: terminated; stopping the server/,
        );
      }
    } finally {
      for (const server of servers) {
        await withChild(server.child, async () => {});
      }
    }
  });
});

Deno.test("zipstream serve cuts the download of a file changed after the plan, and --manifest refuses to start on one", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/site`);
    await makeTree(`${dir}/site`, TREE);
    const planned = await runCli(
      ["plan", "site", "-o", "m.json", "--no-crc-cache", "-q"],
      { cwd: dir },
    );
    assert.equal(planned.code, 0, planned.stderr);
    const server = await startServe(["--manifest", "m.json"], dir);
    const path = `${dir}/site/sub/big.bin`;
    await withChild(server.child, async (child) => {
      // The same size, other bytes: only the time says it changed.
      await Deno.writeFile(path, pseudoRandom(BIG.length, 12));
      const whole = await curl("-f", "-o", `${dir}/got.zip`, server.url);
      assert.notEqual(whole.code, 0, "the download must not complete");
      const got = await Deno.readFile(`${dir}/got.zip`).catch(() =>
        new Uint8Array()
      );
      assert.ok(got.length < BIG.length, `${got.length} bytes arrived`);
      await signalAndWait(child, "SIGINT");
      const stderr = await server.stderr;
      assert.match(
        stderr,
        new RegExp(
          `^zipstream: cut the response to GET /archive\\.zip: Cannot read "${path}": it changed since the plan was made: expected size ${BIG.length}, mtime 2021-03-04T05:06:08\\.000Z, inode \\d+ but it has size ${BIG.length}, mtime \\S+, inode \\d+$`,
          "m",
        ),
      );
    });
    const restarted = await runCli(["serve", "--manifest", "m.json"], {
      cwd: dir,
    });
    assert.equal(restarted.code, 1);
    assert.match(
      restarted.stderr,
      new RegExp(
        `^zipstream: Cannot read "${path}": it changed since the plan was made: expected size ${BIG.length}, mtime 2021-03-04T05:06:08\\.000Z, inode \\d+ but it has size ${BIG.length}, mtime \\S+, inode \\d+\n$`,
      ),
    );
    assert.equal(new TextDecoder().decode(restarted.stdout), "");
  });
});

Deno.test("zipstream serve s3://bucket/prefix/ serves the objects, and so do its plan and mod_zip lines naming them", async () => {
  const endpoint = s3Endpoint();
  await withBucket(async (client, bucket) => {
    const objects = new Map([
      ["data/a.txt", new TextEncoder().encode("first\n")],
      ["data/deep/b.bin", pseudoRandom(200_000, 13)],
    ]);
    for (const [key, body] of objects) {
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }),
      );
    }
    await withTempDir(async (dir) => {
      const s3 = ["--endpoint", endpoint, "--no-crc-cache"];
      const planned = await runCli(
        ["plan", `s3://${bucket}/data/`, "-o", "m.json", "-q", ...s3],
        { cwd: dir, env: LOCAL_S3_ENV },
      );
      assert.equal(planned.code, 0, planned.stderr);
      const manifest = JSON.parse(await Deno.readTextFile(`${dir}/m.json`));
      assert.deepEqual(manifest.entries[1].source.s3.key, "data/deep/b.bin");
      assert.match(manifest.entries[1].source.s3.etag, /^"[0-9a-f-]+"$/);
      await Deno.writeTextFile(
        `${dir}/files.txt`,
        [...objects].map(([key, body]) =>
          `- ${body.length} s3://${bucket}/${key} ${key}\n`
        ).join(""),
      );
      const got: Uint8Array[] = [];
      for (
        const args of [
          [`s3://${bucket}/data/`],
          ["--manifest", "m.json"],
          ["--manifest", "files.txt"],
        ]
      ) {
        const server = await startServe([...args, ...s3], dir, LOCAL_S3_ENV);
        await withChild(server.child, async (child) => {
          const whole = await curl("-f", server.url);
          assert.equal(whole.code, 0, whole.error);
          const range = await curl("-f", "-r", "100-150000", server.url);
          assert.deepEqual(range.body, whole.body.subarray(100, 150_001));
          got.push(whole.body);
          assert.equal((await signalAndWait(child, "SIGINT")).code, 130);
        });
      }
      assert.deepEqual(got[1], got[0]);
      assert.deepEqual(got[2], got[0]);
      await assertOpensEverywhere(got[0]!, [
        { name: "data/a.txt", data: objects.get("data/a.txt")! },
        { name: "data/deep/b.bin", data: objects.get("data/deep/b.bin")! },
      ]);
    });
  });
});
