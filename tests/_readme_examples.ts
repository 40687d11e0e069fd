/**
 * What README.md's library examples need and what they must produce, in one
 * place for every runtime that runs them: each example's setup (files, the
 * `my-bucket` bucket and its objects on the local S3 server) and its checks
 * (the lines printed, the archive opened by every reader). A runtime's test
 * only says how to run a block's code.
 *
 * @module
 */

import assert from "node:assert/strict";
import { tmpdir } from "node:os";
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
} from "./_readers.ts";
import { centralHeaders, extractAll, testWith7z } from "./zip/_aes_readers.ts";
import {
  downloadObject,
  LOCAL_S3_ENV,
  localClient,
  s3Endpoint,
} from "./s3/_local_s3.ts";

/** The bucket the README's examples name. */
export const BUCKET = "my-bucket";

/**
 * Runs one README TypeScript block as a program in `cwd` with `env` added to
 * the environment, failing unless it exits with 0, and resolves to its
 * standard output.
 */
export type RunExample = (
  code: string,
  cwd: string,
  env: Record<string, string>,
) => Promise<string>;

/** One library example of README.md, by what it shows. */
export interface LibraryExample {
  /** What the example shows, as the end of a test name. */
  title: string;
  /** Sets up what the example reads, runs `code` with `run`, checks its results. */
  check(code: string, run: RunExample): Promise<void>;
}

/** The environment of an example that talks to S3: the local server, as AWS_ENDPOINT_URL. */
function s3Env(): Record<string, string> {
  return { ...LOCAL_S3_ENV, AWS_ENDPOINT_URL: s3Endpoint() };
}

/**
 * Runs `fn` with the README's bucket on the local server, then empties and
 * deletes it. The examples name one bucket, and the Deno, Node and Bun runs
 * of them may run at once (`deno test --parallel`): an exclusive lock on a
 * file beside the server's data, held from creating the bucket to deleting
 * it, lets one run at a time have it.
 */
export async function withReadmeBucket(
  fn: (client: S3Client) => Promise<void>,
): Promise<void> {
  const lock = await Deno.open(readmeBucketLockPath(), {
    write: true,
    create: true,
  });
  try {
    await lock.lock(true);
    const client = localClient();
    try {
      await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
      try {
        await fn(client);
      } finally {
        await emptyAndDeleteReadmeBucket(client);
      }
    } finally {
      client.destroy();
    }
  } finally {
    lock.close();
  }
}

/** The lock file of the README's bucket: one per local server, named by its port. */
function readmeBucketLockPath(): string {
  const port = new URL(s3Endpoint()).port;
  const dir = tmpdir();
  return `${dir}/zipstream-readme-bucket-${port}.lock`;
}

async function emptyAndDeleteReadmeBucket(client: S3Client): Promise<void> {
  const listing = await client.send(
    new ListObjectsV2Command({ Bucket: BUCKET }),
  );
  for (const object of listing.Contents ?? []) {
    await client.send(
      new DeleteObjectCommand({ Bucket: BUCKET, Key: object.Key }),
    );
  }
  await client.send(new DeleteBucketCommand({ Bucket: BUCKET }));
}

/** Downloads `key` of the README's bucket to a new file at `path`. */
export async function download(
  client: S3Client,
  key: string,
  path: string,
): Promise<void> {
  await downloadObject(client, BUCKET, key, path);
}

/** The objects under `reports/2026/` that the README's bucket examples zip. */
export const REPORTS: readonly { key: string; data: string }[] = [
  { key: "reports/2026/q1/a.csv", data: "quarter,revenue\nQ1,100\n" },
  { key: "reports/2026/q2/b.csv", data: "quarter,revenue\nQ2,120\n" },
  { key: "reports/2026/summary.txt", data: "" },
];

/** Puts {@linkcode REPORTS} into the README's bucket. */
export async function putReports(client: S3Client): Promise<void> {
  for (const { key, data } of REPORTS) {
    await client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: data }),
    );
  }
}

const toFile: LibraryExample = {
  title: "zip() to a file writes an archive every reader opens",
  async check(code, run) {
    await withTempDir(async (dir) => {
      await run(code, dir, {});
      await assertOpensEverywhere(`${dir}/hello.zip`, [
        { name: "hello.txt", data: "Hello world!" },
        { name: "data/numbers.json", data: "[1,2,3]" },
        { name: "data/raw.bin", data: new Uint8Array(1024) },
        { name: "logs/" },
      ]);
    });
  },
};

const toS3: LibraryExample = {
  title: "uploadToS3() stores the photos archive in the bucket",
  async check(code, run) {
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
        const stdout = await run(code, dir, s3Env());
        const head = await client.send(
          new HeadObjectCommand({ Bucket: BUCKET, Key: "2026/photos.zip" }),
        );
        assert.equal(
          stdout,
          `stored ${head.ContentLength} bytes, ETag ${head.ETag}\n`,
        );
        await download(client, "2026/photos.zip", `${dir}/photos.zip`);
        // The directory's order is the file system's: take the archive's.
        const python = await readWithPython(`${dir}/photos.zip`);
        const order = python.entries.map((entry) => entry.name);
        assert.deepEqual(
          [...order].sort(),
          ["photos/a.jpg", "photos/b.jpg", "photos/c.jpg"],
        );
        await assertOpensEverywhere(
          `${dir}/photos.zip`,
          order.map((name) => ({
            name,
            data: photos.find((photo) => `photos/${photo.name}` === name)!
              .data,
          })),
        );
      });
    });
  },
};

const httpDownload: LibraryExample = {
  title: "an HTTP download has a Content-Length equal to the bytes sent",
  async check(code, run) {
    await withTempDir(async (dir) => {
      const stdout = await run(code, dir, {});
      const match = /^content-length (\d+), received (\d+) bytes$/m.exec(
        stdout,
      );
      assert.ok(
        match !== null,
        `expected "content-length N, received N bytes" but the example printed ${
          JSON.stringify(stdout)
        }`,
      );
      assert.equal(match[1], match[2]);
      assert.ok(Number(match[1]) > 30_000, "the stored report is in the body");
    });
  },
};

const bucketFolder: LibraryExample = {
  title:
    "s3Entries() zips a bucket folder into the bucket with its exact length",
  async check(code, run) {
    await withReadmeBucket(async (client) => {
      await putReports(client);
      await withTempDir(async (dir) => {
        const stdout = await run(code, dir, s3Env());
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
  },
};

const plannedOverHttp: LibraryExample = {
  title: "serveZip() answers a whole GET, a range and a revalidation",
  async check(code, run) {
    await withTempDir(async (dir) => {
      const stdout = await run(code, dir, {});
      const match =
        /^200: (\d+) of (\d+) bytes\n206: bytes (\d+)-(\d+)\/(\d+)\n304 with the ETag: nothing to send again\n$/
          .exec(stdout);
      assert.ok(
        match !== null,
        `expected the 200, 206 and 304 lines but the example printed ${
          JSON.stringify(stdout)
        }`,
      );
      const [, received, size, first, last, total] = match.map(Number);
      assert.equal(received, size);
      assert.equal(total, size);
      assert.deepEqual([first, last], [size! - 22, size! - 1]);
      assert.ok(size! > 30_000, "the stored report is in the archive");
    });
  },
};

const plannedS3: LibraryExample = {
  title:
    "planZip() of S3 objects writes an archive every reader opens, with the same ETag when planned again",
  async check(code, run) {
    await withReadmeBucket(async (client) => {
      await putReports(client);
      await withTempDir(async (dir) => {
        const stdout = await run(code, dir, s3Env());
        const { size } = await Deno.stat(`${dir}/reports-2026.zip`);
        assert.equal(
          stdout,
          `3 objects, ${size} bytes, last 22 read\nsame ETag: true\n`,
        );
        await assertOpensEverywhere(
          `${dir}/reports-2026.zip`,
          REPORTS.map(({ key, data }) => ({
            name: key.slice("reports/2026/".length),
            data,
          })),
        );
      });
    });
  },
};

const builtInS3: LibraryExample = {
  title:
    "copyPlanToS3() builds the bucket folder's archive inside S3, copying its large object",
  async check(code, run) {
    await withReadmeBucket(async (client) => {
      await putReports(client);
      const scan = crypto.getRandomValues(new Uint8Array(65536));
      const big = new Uint8Array(12 * 1024 * 1024);
      for (let at = 0; at < big.length; at += scan.length) big.set(scan, at);
      await client.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: "reports/2026/raw/scan.bin",
          Body: big,
        }),
      );
      await withTempDir(async (dir) => {
        const stdout = await run(code, dir, s3Env());
        const match = /^(\d+) bytes: (\d+) sent, (\d+) copied\n$/.exec(stdout);
        assert.ok(
          match !== null,
          `expected "N bytes: N sent, N copied" but the example printed ${
            JSON.stringify(stdout)
          }`,
        );
        const [, size, sent, copied] = match.map(Number);
        const head = await client.send(
          new HeadObjectCommand({
            Bucket: BUCKET,
            Key: "exports/reports-2026.zip",
          }),
        );
        assert.equal(size, head.ContentLength);
        assert.ok(copied! >= 7 * 1024 * 1024, "the large object is copied");
        assert.ok(sent! < size! - 7 * 1024 * 1024, "only the glue is sent");
        await download(client, "exports/reports-2026.zip", `${dir}/r.zip`);
        await assertOpensEverywhere(
          `${dir}/r.zip`,
          [
            ...REPORTS.map(({ key, data }) => ({
              name: key.slice("reports/2026/".length),
              data,
            })),
            { name: "raw/scan.bin", data: big },
          ].sort((a, b) => a.name < b.name ? -1 : 1),
        );
      });
    });
  },
};

const builtWithAppended: LibraryExample = {
  title:
    "copyPlanToS3() copies the videos and streams the appended notes after them",
  async check(code, run) {
    await withReadmeBucket(async (client) => {
      const clip = new Uint8Array(12 * 1024 * 1024);
      for (let at = 0; at < clip.length; at += 65536) {
        crypto.getRandomValues(clip.subarray(at, at + 65536));
      }
      await client.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: "videos/clip.mp4",
          Body: clip,
        }),
      );
      await withTempDir(async (dir) => {
        const stdout = await run(code, dir, s3Env());
        const match = /^(\d+) bytes, (\d+) copied\n$/.exec(stdout);
        assert.ok(
          match !== null,
          `expected "N bytes, N copied" but the example printed ${
            JSON.stringify(stdout)
          }`,
        );
        const [, size, copied] = match.map(Number);
        const key = "exports/videos-and-notes.zip";
        const head = await client.send(
          new HeadObjectCommand({ Bucket: BUCKET, Key: key }),
        );
        assert.equal(size, head.ContentLength);
        // Its first 5 MiB make the archive's first part, sent.
        assert.ok(copied! >= 7 * 1024 * 1024, "the video's rest is copied");
        await download(client, key, `${dir}/v.zip`);
        await assertOpensEverywhere(`${dir}/v.zip`, [
          { name: "clip.mp4", data: clip },
          { name: "notes.txt", data: "Shot in 2026.\n" },
        ]);
      });
    });
  },
};

const segmented: LibraryExample = {
  title:
    "planSegments(), buildSegment() and finishSegments() write the logs in three segments and join them",
  async check(code, run) {
    await withReadmeBucket(async (client) => {
      const logs = ["2026-01", "2026-02", "2026-03"].map((month, i) => ({
        name: `${month}.log`,
        data: new TextEncoder().encode(
          `${month} GET /index.html 200\n`.repeat(20_000 * (i + 1)),
        ),
      }));
      for (const { name, data } of logs) {
        await client.send(
          new PutObjectCommand({
            Bucket: BUCKET,
            Key: `logs/${name}`,
            Body: data,
          }),
        );
      }
      await withTempDir(async (dir) => {
        const stdout = await run(code, dir, s3Env());
        const match = /^(\d+) bytes, 3 segments\n$/.exec(stdout);
        assert.ok(
          match !== null,
          `expected "N bytes, 3 segments" but the example printed ${
            JSON.stringify(stdout)
          }`,
        );
        const key = "exports/logs-q1.zip";
        const head = await client.send(
          new HeadObjectCommand({ Bucket: BUCKET, Key: key }),
        );
        assert.equal(Number(match[1]), head.ContentLength);
        await download(client, key, `${dir}/q1.zip`);
        await assertOpensEverywhere(`${dir}/q1.zip`, logs);
      });
    });
  },
};

const encrypted: LibraryExample = {
  title:
    "zip() with a password writes report.csv encrypted, that 7-Zip and bsdtar open with it, and README.txt plain",
  async check(code, run) {
    await withTempDir(async (dir) => {
      const password = "correct horse battery staple";
      await run(code, dir, { ARCHIVE_PASSWORD: password });
      const path = `${dir}/report.zip`;
      const csv = "quarter,revenue\nQ1,100\nQ2,140\n";
      for (const extractor of ["7z", "bsdtar"] as const) {
        const files = await extractAll(extractor, path, password);
        assert.equal(new TextDecoder().decode(files.get("report.csv")), csv);
        assert.equal(
          new TextDecoder().decode(files.get("README.txt")),
          "Ask Ann for the password.\n",
        );
      }
      const wrong = await testWith7z(path, "wrong");
      assert.notEqual(wrong.code, 0, "7z refuses a wrong password");
      // Bit 0 of the flags marks an encrypted entry, method 99 AES; a text
      // this short is stored, deflate would make it longer.
      assert.deepEqual(
        centralHeaders(await Deno.readFile(path)).map((header) => [
          header.name,
          header.flags & 1,
          header.method,
        ]),
        [["report.csv", 1, 99], ["README.txt", 0, 0]],
      );
    });
  },
};

/** README.md's library examples, in the order of its `ts` blocks. */
export const LIBRARY_EXAMPLES: readonly LibraryExample[] = [
  toFile,
  toS3,
  httpDownload,
  encrypted,
  bucketFolder,
  plannedOverHttp,
  plannedS3,
  builtInS3,
  builtWithAppended,
  segmented,
];
