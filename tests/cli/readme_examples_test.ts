/**
 * Runs every example in README.md as written: the TypeScript blocks as
 * programs, the shell block line by line with `zipstream` as the CLI, and
 * compares the `--help` block with the command's own help.
 */
import assert from "node:assert/strict";
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import {
  assertOpensEverywhere,
  readWithPython,
  withTempDir,
} from "../_readers.ts";
import {
  getObjectStream,
  LOCAL_S3_ENV,
  localClient,
  s3Endpoint,
} from "../s3/_local_s3.ts";
import { CLI_PATH, makeTree, runCli } from "./_cli.ts";

const CONFIG_PATH = new URL("../../deno.json", import.meta.url).pathname;
const README = await Deno.readTextFile(
  new URL("../../README.md", import.meta.url),
);
/** The bucket the README's examples name. */
const BUCKET = "my-bucket";

interface Block {
  lang: string;
  code: string;
}

function blocks(): Block[] {
  return [...README.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((match) => ({
    lang: match[1] ?? "",
    code: match[2] ?? "",
  }));
}

function blocksOf(lang: string): string[] {
  return blocks().filter((block) => block.lang === lang).map((block) =>
    block.code
  );
}

/** Runs a README TypeScript block as a program in `cwd`, with the package's import map. */
async function runExample(
  code: string,
  cwd: string,
  env: Record<string, string> = {},
): Promise<string> {
  await Deno.writeTextFile(`${cwd}/example.ts`, code);
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", CONFIG_PATH, `${cwd}/example.ts`],
    cwd,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, `the example failed:\n${stderr}`);
  return new TextDecoder().decode(output.stdout);
}

/** Runs `fn` with the README's bucket on the local server, then empties and deletes it. */
async function withReadmeBucket(
  fn: (client: S3Client) => Promise<void>,
): Promise<void> {
  const client = localClient();
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  try {
    await fn(client);
  } finally {
    const listing = await client.send(
      new ListObjectsV2Command({ Bucket: BUCKET }),
    );
    for (const object of listing.Contents ?? []) {
      await client.send(
        new DeleteObjectCommand({ Bucket: BUCKET, Key: object.Key }),
      );
    }
    await client.send(new DeleteBucketCommand({ Bucket: BUCKET }));
    client.destroy();
  }
}

async function download(
  client: S3Client,
  key: string,
  path: string,
): Promise<void> {
  const file = await Deno.open(path, { write: true, createNew: true });
  await (await getObjectStream(client, BUCKET, key)).pipeTo(file.writable);
}

Deno.test("README opens with exactly the demo and test commands", () => {
  const first = blocks()[0];
  assert.equal(first?.lang, "sh");
  assert.deepEqual(
    first.code.trimEnd().split("\n").map((line) => line.replace(/\s+#.*$/, "")),
    ["npx -y deno@2 task demo", "npx -y deno@2 task test"],
  );
  const config = JSON.parse(Deno.readTextFileSync(CONFIG_PATH));
  assert.ok(config.tasks.demo, "deno.json has a demo task");
  assert.ok(config.tasks.test, "deno.json has a test task");
});

Deno.test("README has the four library examples and one shell example", () => {
  assert.equal(blocksOf("ts").length, 4);
  assert.equal(blocksOf("sh").length, 2);
});

Deno.test("README example: zip() to a file writes an archive every reader opens", async () => {
  await withTempDir(async (dir) => {
    await runExample(blocksOf("ts")[0]!, dir);
    await assertOpensEverywhere(`${dir}/hello.zip`, [
      { name: "hello.txt", data: "Hello world!" },
      { name: "data/numbers.json", data: "[1,2,3]" },
      { name: "data/raw.bin", data: new Uint8Array(1024) },
      { name: "logs/" },
    ]);
  });
});

Deno.test("README example: uploadToS3() stores the photos archive in the bucket", async () => {
  const endpoint = s3Endpoint();
  await withReadmeBucket(async (client) => {
    await withTempDir(async (dir) => {
      await Deno.mkdir(`${dir}/photos`);
      const photos = ["a.jpg", "b.jpg", "c.jpg"].map((name, i) => ({
        name,
        data: crypto.getRandomValues(new Uint8Array(1000 * (i + 1))),
      }));
      for (const photo of photos) {
        await Deno.writeFile(`${dir}/photos/${photo.name}`, photo.data);
      }
      const stdout = await runExample(blocksOf("ts")[1]!, dir, {
        ...LOCAL_S3_ENV,
        AWS_ENDPOINT_URL: endpoint,
      });
      const head = await client.send(
        new HeadObjectCommand({ Bucket: BUCKET, Key: "2026/photos.zip" }),
      );
      assert.equal(
        stdout,
        `stored ${head.ContentLength} bytes, ETag ${head.ETag}\n`,
      );
      await download(client, "2026/photos.zip", `${dir}/photos.zip`);
      const python = await readWithPython(`${dir}/photos.zip`);
      const order = python.entries.map((entry) => entry.name);
      await assertOpensEverywhere(
        `${dir}/photos.zip`,
        order.map((name) => ({
          name,
          data: photos.find((photo) => `photos/${photo.name}` === name)!.data,
        })),
      );
      assert.deepEqual(
        [...order].sort(),
        ["photos/a.jpg", "photos/b.jpg", "photos/c.jpg"],
      );
    });
  });
});

Deno.test("README example: Deno.serve() answers with a Content-Length equal to the bytes sent", async () => {
  await withTempDir(async (dir) => {
    const stdout = await runExample(blocksOf("ts")[2]!, dir);
    const match = /^content-length (\d+), received (\d+) bytes$/m.exec(stdout);
    assert.ok(match !== null, stdout);
    assert.equal(match[1], match[2]);
    assert.ok(Number(match[1]) > 30_000, "the stored report is in the body");
  });
});

/** The objects under `reports/2026/` that the README's bucket examples zip. */
const REPORTS = [
  { key: "reports/2026/q1/a.csv", data: "quarter,revenue\nQ1,100\n" },
  { key: "reports/2026/q2/b.csv", data: "quarter,revenue\nQ2,120\n" },
  { key: "reports/2026/summary.txt", data: "" },
];

async function putReports(client: S3Client): Promise<void> {
  for (const { key, data } of REPORTS) {
    await client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: data }),
    );
  }
}

Deno.test("README example: s3Entries() zips a bucket folder into the bucket with its exact length", async () => {
  const endpoint = s3Endpoint();
  await withReadmeBucket(async (client) => {
    await putReports(client);
    await withTempDir(async (dir) => {
      const stdout = await runExample(blocksOf("ts")[3]!, dir, {
        ...LOCAL_S3_ENV,
        AWS_ENDPOINT_URL: endpoint,
      });
      const head = await client.send(
        new HeadObjectCommand({
          Bucket: BUCKET,
          Key: "exports/reports-2026.zip",
        }),
      );
      assert.equal(stdout, `3 objects, ${head.ContentLength} bytes\n`);
      await download(client, "exports/reports-2026.zip", `${dir}/r.zip`);
      await assertOpensEverywhere(
        `${dir}/r.zip`,
        REPORTS.map(({ key, data }) => ({
          name: key.slice("reports/2026/".length),
          data,
        })),
      );
    });
  });
});

Deno.test("README example: the zipstream command lines all work as shown", async () => {
  const endpoint = s3Endpoint();
  await withReadmeBucket(async (client) => {
    await putReports(client);
    await withTempDir(async (dir) => {
      await makeTree(dir, [
        { kind: "dir", path: "src" },
        { kind: "file", path: "src/main.ts", data: "console.log(1);\n" },
        { kind: "file", path: "README.md", data: "# Site\n" },
        { kind: "dir", path: "project/node_modules/pkg" },
        { kind: "file", path: "project/app.ts", data: "export {};\n" },
        { kind: "file", path: "project/debug.log", data: "noise\n" },
        { kind: "file", path: "project/node_modules/pkg/index.js", data: "" },
        { kind: "dir", path: "photos" },
        { kind: "file", path: "photos/cat.jpg", data: "not really a cat" },
        { kind: "file", path: "access.log", data: "GET / 200\n".repeat(100) },
      ]);
      const script = blocksOf("sh")[1]!;
      const zipstream =
        `zipstream() { "${Deno.execPath()}" run -A --config "${CONFIG_PATH}" "${CLI_PATH}" --no-progress "$@"; }`;
      const output = await new Deno.Command("bash", {
        args: ["-c", `set -euo pipefail\n${zipstream}\n${script}`],
        cwd: dir,
        env: { ...LOCAL_S3_ENV, AWS_ENDPOINT_URL: endpoint },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(output.stderr);
      assert.equal(output.code, 0, stderr);
      assert.equal(
        new TextDecoder().decode(output.stdout),
        "photos/\nphotos/cat.jpg\n",
      );
      assert.deepEqual(
        (await readWithPython(`${dir}/site.zip`)).entries.map((e) => e.name),
        ["src/", "src/main.ts", "README.md"],
      );
      assert.deepEqual(
        (await readWithPython(`${dir}/project.zip`)).entries.map((e) => e.name),
        ["project/", "project/app.ts"],
      );
      await download(client, "logs/access.zip", `${dir}/access.zip`);
      await assertOpensEverywhere(`${dir}/access.zip`, [
        { name: "access.log", data: "GET / 200\n".repeat(100) },
      ]);
      await download(client, "exports/2026.zip", `${dir}/2026.zip`);
      await assertOpensEverywhere(
        `${dir}/2026.zip`,
        REPORTS.map(({ key, data }) => ({
          name: key.slice("reports/".length),
          data,
        })),
      );
    });
  });
});

Deno.test("README shows the same --help text as zipstream --help", async () => {
  const result = await runCli(["--help"]);
  const help = new TextDecoder().decode(result.stdout);
  assert.ok(
    blocksOf("text").includes(help),
    "README.md has a text block equal to the output of zipstream --help",
  );
});

Deno.test("README's ways to run the command work: deno task zipstream, and deno install", async () => {
  const root = new URL("../../", import.meta.url).pathname;
  const task = await new Deno.Command(Deno.execPath(), {
    args: ["task", "zipstream", "--version"],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(task.code, 0, new TextDecoder().decode(task.stderr));
  assert.match(
    new TextDecoder().decode(task.stdout),
    /^zipstream \d+\.\d+\.\d+\n$/,
  );

  const install = /`(deno install -g -A -n zipstream [^`]+)`/.exec(README);
  assert.ok(install !== null, "README shows a deno install command");
  await withTempDir(async (dir) => {
    const args = install[1]!.split(" ").slice(1);
    const installed = await new Deno.Command(Deno.execPath(), {
      args: [...args.slice(0, 2), "--root", dir, ...args.slice(2)],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(installed.code, 0, new TextDecoder().decode(installed.stderr));
    const run = await new Deno.Command(`${dir}/bin/zipstream`, {
      args: ["--version"],
      cwd: dir,
      stdout: "piped",
    }).output();
    assert.equal(run.code, 0);
    assert.match(
      new TextDecoder().decode(run.stdout),
      /^zipstream \d+\.\d+\.\d+\n$/,
    );
  });
});
