/**
 * The one-command demo: `deno task demo` (or `npx -y deno@2 task demo`).
 *
 * Starts a private S3 server (OpenStack Swift + s3api) on 127.0.0.1, makes a
 * bucket, generates a realistic file tree, streams it through the `zipstream`
 * CLI into the bucket with the progress bar, downloads the object back,
 * verifies it with `unzip -t` and a content comparison through Python's
 * `zipfile`, prints what happened, stops the server and removes its files.
 *
 *   deno task demo           about 3,000 files, ~150 MiB, deflated
 *   deno task demo --big     adds a 4.5 GiB file and 70,000 small files and
 *                            stores (-0), so the archive is a > 4 GiB ZIP64
 *                            stream with > 65,535 entries and an exact length
 *
 * @module
 */

import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import { parseArgs } from "node:util";

const ROOT = new URL("..", import.meta.url).pathname;
const CLI = `${ROOT}src/cli/mod.ts`;
const BUCKET = "zipstream-demo";
const KEY = "demo/tree.zip";
const TREE_NAME = "demo-tree";
const BIG_FILE_SIZE = 4.5 * 1024 ** 3;
const MANY_FILES = 70_000;

const { values: flags } = parseArgs({
  options: { big: { type: "boolean" }, help: { type: "boolean", short: "h" } },
});
if (flags.help) {
  console.log(
    "Usage: deno task demo [--big]\n  --big  add a 4.5 GiB file and 70,000 small files, stored: a ZIP64 archive over 4 GiB",
  );
  Deno.exit(0);
}
const big = flags.big === true;

const bold = Deno.stdout.isTerminal() && Deno.env.get("NO_COLOR") === undefined
  ? (text: string) => `\x1b[1m${text}\x1b[0m`
  : (text: string) => text;

function say(line: string): void {
  console.log(`${bold("demo:")} ${line}`);
}

function fail(message: string): never {
  throw new DemoError(message);
}

class DemoError extends Error {}

// ---------------------------------------------------------------- prerequisites

async function commandExists(name: string): Promise<boolean> {
  const { code } = await new Deno.Command("sh", {
    args: ["-c", `command -v ${name}`],
    stdout: "null",
    stderr: "null",
  }).output();
  return code === 0;
}

/** unzip and python3 verify the archive; the server script installs its own packages. */
async function ensureVerifiers(): Promise<void> {
  const missing: string[] = [];
  for (const command of ["unzip", "python3"]) {
    if (!(await commandExists(command))) missing.push(command);
  }
  if (missing.length === 0) return;
  const debian = await Deno.stat("/etc/debian_version").then(
    () => true,
    () => false,
  );
  if (Deno.uid() !== 0 || !debian) {
    fail(
      `Missing ${
        missing.join(" and ")
      }, needed to verify the archive: install ${
        missing.join(" ")
      } (Debian: apt-get install -y ${missing.join(" ")})`,
    );
  }
  say(`installing ${missing.join(" ")} with apt-get`);
  for (
    const args of [["update"], [
      "install",
      "-y",
      "--no-install-recommends",
      ...missing,
    ]]
  ) {
    const { code } = await new Deno.Command("apt-get", {
      args,
      env: { DEBIAN_FRONTEND: "noninteractive" },
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (code !== 0) {
      fail(`apt-get ${args.join(" ")} failed with exit code ${code}`);
    }
  }
}

// ---------------------------------------------------------------- the S3 server

interface Server {
  env: Record<string, string>;
  stop(): Promise<void>;
}

async function startServer(): Promise<Server> {
  say("starting a local S3 server (OpenStack Swift + s3api) on 127.0.0.1 ...");
  const started = performance.now();
  // A fresh server of our own, whatever server settings this shell has
  // (e.g. when run inside scripts/with_s3_server.sh).
  const env = Object.fromEntries(
    Object.entries(Deno.env.toObject()).filter(([name]) =>
      !/^(SWIFT_DIR|S3_PORT|SWIFT_\w+_PORT|MEMCACHED_PORT)$/.test(name)
    ),
  );
  const output = await new Deno.Command("bash", {
    args: [`${ROOT}scripts/s3_server_start.sh`],
    clearEnv: true,
    env: { ...env, S3_BUCKET: BUCKET },
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (output.code !== 0) {
    fail("The local S3 server did not start (its message is above)");
  }
  const server: Record<string, string> = {};
  for (const line of new TextDecoder().decode(output.stdout).split("\n")) {
    const match = /^export ([A-Z0-9_]+)=(.*)$/.exec(line);
    if (match !== null) server[match[1]!] = match[2]!;
  }
  if (
    server.ZIPSTREAM_S3_ENDPOINT === undefined || server.SWIFT_DIR === undefined
  ) {
    fail("The local S3 server started but did not say where it listens");
  }
  say(
    `server ready at ${server.ZIPSTREAM_S3_ENDPOINT} in ${
      seconds(performance.now() - started)
    }, bucket "${BUCKET}"`,
  );
  let stopped = false;
  return {
    env: server,
    async stop() {
      if (stopped) return;
      stopped = true;
      await new Deno.Command("bash", {
        args: [`${ROOT}scripts/s3_server_stop.sh`, server.SWIFT_DIR!],
        stdout: "inherit",
        stderr: "inherit",
      }).output();
      say("stopped the S3 server");
    },
  };
}

// ---------------------------------------------------------------- the tree

/** A small fast PRNG (mulberry32), so the tree is the same on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  "const let function return async await import export from interface type " +
  "stream archive entry bytes header offset length checksum upload part bucket " +
  "key error retry signal progress buffer chunk reader writer value result"
).split(" ");

interface TreeStats {
  files: number;
  directories: number;
  links: number;
  bytes: number;
}

async function generateTree(root: string): Promise<TreeStats> {
  const rand = random(2026);
  const pick = <T>(list: readonly T[]): T =>
    list[Math.floor(rand() * list.length)]!;
  const between = (low: number, high: number) =>
    Math.floor(low + rand() * (high - low));
  const stats: TreeStats = { files: 0, directories: 0, links: 0, bytes: 0 };
  const encoder = new TextEncoder();

  const dir = async (path: string) => {
    await Deno.mkdir(`${root}/${path}`, { recursive: true });
    stats.directories++;
  };
  const file = async (
    path: string,
    data: Uint8Array | string,
    mode = 0o644,
  ) => {
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    await Deno.writeFile(`${root}/${path}`, bytes, { mode });
    await Deno.chmod(`${root}/${path}`, mode);
    stats.files++;
    stats.bytes += bytes.length;
  };
  const text = (size: number, line: () => string) => {
    const lines: string[] = [];
    let length = 0;
    while (length < size) {
      const next = line();
      lines.push(next);
      length += next.length + 1;
    }
    return lines.join("\n");
  };
  const noise = (size: number) => {
    const bytes = new Uint8Array(size);
    const words = new Uint32Array(bytes.buffer, 0, size >>> 2);
    for (let i = 0; i < words.length; i++) {
      words[i] = (rand() * 4294967296) >>> 0;
    }
    return bytes;
  };

  // Source code: many small, very compressible files.
  for (let m = 0; m < 80; m++) {
    await dir(`src/module_${m}`);
    for (let f = 0; f < 25; f++) {
      await file(
        `src/module_${m}/file_${f}.ts`,
        text(
          between(500, 20_000),
          () =>
            `  ${pick(WORDS)} ${pick(WORDS)}_${between(0, 99)} = ${
              pick(WORDS)
            }(${between(0, 9999)});`,
        ),
      );
    }
  }
  // Logs: medium, repetitive.
  for (let d = 1; d <= 30; d++) {
    const day = `2026-11-${String(d).padStart(2, "0")}`;
    await dir(`logs/${day}`);
    for (let h = 0; h < 10; h++) {
      await file(
        `logs/${day}/app-${h}.log`,
        text(
          between(20_000, 150_000),
          () =>
            `${day}T${String(h).padStart(2, "0")}:${between(10, 59)}:${
              between(10, 59)
            }Z ${pick(["INFO", "INFO", "INFO", "WARN", "DEBUG", "ERROR"])} ${
              pick(WORDS)
            } ${pick(WORDS)} took ${between(1, 900)}ms id=${between(1e5, 1e6)}`,
        ),
      );
    }
  }
  // Data: CSV and JSON.
  await dir("data/json");
  for (let i = 0; i < 100; i++) {
    await file(
      `data/table_${i}.csv`,
      "id,name,amount,ratio\n" +
        text(
          between(50_000, 400_000),
          () =>
            `${between(1, 1e7)},${pick(WORDS)},${between(0, 1e6)},${
              rand().toFixed(6)
            }`,
        ),
    );
  }
  for (let i = 0; i < 400; i++) {
    await file(
      `data/json/record_${i}.json`,
      JSON.stringify(
        {
          id: i,
          tags: [pick(WORDS), pick(WORDS)],
          score: rand(),
          note: text(between(100, 3000), () => pick(WORDS)),
        },
        null,
        2,
      ),
    );
  }
  // Photos: incompressible, larger.
  for (let a = 1; a <= 6; a++) {
    await dir(`photos/album-${a}`);
    for (let p = 0; p < 20; p++) {
      await file(
        `photos/album-${a}/IMG_${1000 + a * 100 + p}.jpg`,
        noise(between(100_000, 1_500_000)),
      );
    }
  }
  // Odd corners: unicode names, modes, empty files and directories, links, a zero-filled image.
  await dir("docs");
  await file("docs/Résumé.md", "# Résumé\n\nNaïve café, façade.\n");
  await file("docs/数据说明.txt", "数据说明：这是一个测试文件。\n".repeat(50));
  await file("docs/Ελληνικά 😀.txt", "Καλημέρα κόσμε\n".repeat(20));
  await file("docs/empty.txt", "");
  await dir("bin");
  await file("bin/deploy.sh", "#!/bin/sh\nset -e\necho deploying\n", 0o755);
  await file("config.secret", "token=not-a-real-secret\n", 0o600);
  await dir("cache/empty");
  await dir("tmp");
  await dir("build");
  await file("build/disk.img", new Uint8Array(16 << 20));
  await Deno.symlink("logs/2026-11-30/app-9.log", `${root}/latest.log`);
  await Deno.symlink("../src", `${root}/docs/source`);
  stats.links += 2;

  if (big) {
    await dir("big");
    // Sparse: 4.5 GiB that costs no disk space and reads as zeros.
    const image = await Deno.open(`${root}/big/vm-disk.img`, {
      write: true,
      createNew: true,
    });
    await image.truncate(BIG_FILE_SIZE);
    image.close();
    stats.files++;
    stats.bytes += BIG_FILE_SIZE;
    for (let d = 0; d < MANY_FILES / 1000; d++) {
      await dir(`many/${String(d).padStart(3, "0")}`);
      for (let f = 0; f < 1000; f++) {
        await file(
          `many/${String(d).padStart(3, "0")}/${f}.txt`,
          `entry ${d * 1000 + f}\n`,
        );
      }
    }
  }
  return stats;
}

// ---------------------------------------------------------------- running and measuring

interface Upload {
  elapsedMs: number;
  peakRssBytes: number | undefined;
}

/** Runs the CLI with the progress bar on this terminal, sampling its peak RSS. */
async function upload(
  cwd: string,
  env: Record<string, string>,
): Promise<Upload> {
  const args = [
    "run",
    "-A",
    "--config",
    `${ROOT}deno.json`,
    CLI,
    ...(big ? ["--store"] : []),
    TREE_NAME,
    "-o",
    `s3://${BUCKET}/${KEY}`,
    "--endpoint",
    env.ZIPSTREAM_S3_ENDPOINT!,
  ];
  say(`zipstream ${args.slice(5).join(" ")}`);
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env: {
      AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID!,
      AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY!,
      AWS_REGION: env.AWS_REGION!,
    },
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  running = child;
  let peak: number | undefined;
  const sample = async () => {
    try {
      const status = await Deno.readTextFile(`/proc/${child.pid}/status`);
      const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
      if (match !== null) peak = Math.max(peak ?? 0, Number(match[1]) * 1024);
    } catch {
      // Not Linux, or the process has just exited: keep the last reading.
    }
  };
  const timer = setInterval(sample, 100);
  const status = await child.status;
  clearInterval(timer);
  running = undefined;
  if (!status.success) fail(`zipstream exited with code ${status.code}`);
  return { elapsedMs: performance.now() - started, peakRssBytes: peak };
}

async function download(
  env: Record<string, string>,
  path: string,
): Promise<number> {
  const client = new S3Client({
    endpoint: env.ZIPSTREAM_S3_ENDPOINT!,
    region: env.AWS_REGION!,
    forcePathStyle: true,
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID!,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY!,
    },
  });
  try {
    const started = performance.now();
    const object = await client.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: KEY }),
    );
    if (object.Body === undefined) {
      fail(`GetObject s3://${BUCKET}/${KEY} returned no body`);
    }
    const file = await Deno.open(path, { write: true, createNew: true });
    await (object.Body.transformToWebStream() as ReadableStream<Uint8Array>)
      .pipeTo(file.writable);
    return performance.now() - started;
  } finally {
    client.destroy();
  }
}

// ---------------------------------------------------------------- verifying

interface Described {
  kind: "file" | "dir" | "link";
  mode: number;
  sha256: string;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  const file = await Deno.open(path);
  for await (const chunk of file.readable) hash.update(chunk);
  return hash.digest("hex");
}

/** What the archive must hold, from the tree on disk. */
async function describeTree(
  root: string,
  name: string,
  out: Map<string, Described>,
) {
  const info = await Deno.lstat(root);
  if (info.isSymlink) {
    const target = await Deno.readLink(root);
    out.set(name, {
      kind: "link",
      mode: info.mode! & 0o7777,
      sha256: createHash("sha256").update(target).digest("hex"),
    });
  } else if (info.isDirectory) {
    out.set(`${name}/`, { kind: "dir", mode: info.mode! & 0o7777, sha256: "" });
    for await (const child of Deno.readDir(root)) {
      await describeTree(`${root}/${child.name}`, `${name}/${child.name}`, out);
    }
  } else {
    out.set(name, {
      kind: "file",
      mode: info.mode! & 0o7777,
      sha256: await sha256File(root),
    });
  }
}

const PYTHON_LISTING = `
import hashlib, json, stat, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as archive:
    for info in archive.infolist():
        mode = info.external_attr >> 16
        kind = "dir" if info.is_dir() else "link" if stat.S_ISLNK(mode) else "file"
        digest = hashlib.sha256()
        if kind != "dir":
            with archive.open(info) as member:
                for chunk in iter(lambda: member.read(1 << 20), b""):
                    digest.update(chunk)
        print(json.dumps([info.filename, kind, mode & 0o7777, digest.hexdigest() if kind != "dir" else ""]))
`;

async function verify(
  archive: string,
  expected: Map<string, Described>,
): Promise<number> {
  const test = await new Deno.Command("unzip", {
    args: ["-tqq", archive],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (test.code !== 0) {
    fail(
      `unzip -t found errors:\n${new TextDecoder().decode(test.stdout)}${
        new TextDecoder().decode(test.stderr)
      }`,
    );
  }
  say("unzip -t: no errors");
  const listing = await new Deno.Command("python3", {
    args: ["-c", PYTHON_LISTING, archive],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (listing.code !== 0) {
    fail(`python3 zipfile failed: ${new TextDecoder().decode(listing.stderr)}`);
  }
  const seen = new Set<string>();
  const problems: string[] = [];
  for (
    const line of new TextDecoder().decode(listing.stdout).trimEnd().split("\n")
  ) {
    const [name, kind, mode, sha256] = JSON.parse(line) as [
      string,
      string,
      number,
      string,
    ];
    seen.add(name);
    const want = expected.get(name);
    if (want === undefined) problems.push(`unexpected entry ${name}`);
    else if (want.kind !== kind) {
      problems.push(`${name}: a ${kind}, expected a ${want.kind}`);
    } else if (want.mode !== mode) {
      problems.push(
        `${name}: mode ${mode.toString(8)}, expected ${want.mode.toString(8)}`,
      );
    } else if (want.sha256 !== sha256) {
      problems.push(`${name}: contents differ`);
    }
  }
  for (const name of expected.keys()) {
    if (!seen.has(name)) problems.push(`missing entry ${name}`);
  }
  if (problems.length > 0) {
    fail(
      `The archive differs from the tree:\n  ${
        problems.slice(0, 20).join("\n  ")
      }`,
    );
  }
  say(
    `python zipfile: all ${
      seen.size.toLocaleString("en-US")
    } entries match the tree (names, kinds, modes, SHA-256 of contents and link targets)`,
  );
  return seen.size;
}

// ---------------------------------------------------------------- formatting

function mib(bytes: number): string {
  return bytes >= 1024 ** 3
    ? `${(bytes / 1024 ** 3).toFixed(2)} GiB`
    : `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function rate(bytes: number, ms: number): string {
  return `${(bytes / 1024 ** 2 / (ms / 1000)).toFixed(1)} MiB/s`;
}

// ---------------------------------------------------------------- main

let running: Deno.ChildProcess | undefined;
let interrupted = false;
const onSignal = () => {
  interrupted = true;
  // The CLI aborts its upload on SIGINT, then the finally blocks below clean up.
  running?.kill("SIGINT");
};
Deno.addSignalListener("SIGINT", onSignal);
Deno.addSignalListener("SIGTERM", onSignal);

let server: Server | undefined;
const work = await Deno.makeTempDir({ prefix: "zipstream-demo-" });
let exitCode = 0;
try {
  await ensureVerifiers();
  server = await startServer();

  say(
    `generating a file tree in ${work}/${TREE_NAME}${
      big ? " (with --big: 4.5 GiB file, 70,000 small files)" : ""
    } ...`,
  );
  const generated = performance.now();
  const stats = await generateTree(`${work}/${TREE_NAME}`);
  say(
    `${stats.files.toLocaleString("en-US")} files, ${
      stats.directories.toLocaleString("en-US")
    } directories, ${stats.links} symbolic links, ${mib(stats.bytes)} in ${
      seconds(performance.now() - generated)
    }`,
  );

  const sent = await upload(work, server.env);
  const archivePath = `${work}/downloaded.zip`;
  const downloadMs = await download(server.env, archivePath);
  const archiveSize = (await Deno.stat(archivePath)).size;
  say(
    `downloaded s3://${BUCKET}/${KEY} (${mib(archiveSize)}) in ${
      seconds(downloadMs)
    }`,
  );

  const expected = new Map<string, Described>();
  await describeTree(`${work}/${TREE_NAME}`, TREE_NAME, expected);
  const entries = await verify(archivePath, expected);

  console.log();
  say("what happened");
  const rows: [string, string][] = [
    ["entries", entries.toLocaleString("en-US")],
    ["input (file bytes)", mib(stats.bytes)],
    [
      "archive (S3 object)",
      `${mib(archiveSize)} (${
        ((archiveSize / stats.bytes) * 100).toFixed(1)
      }% of the input)`,
    ],
    [
      "zip + upload",
      `${seconds(sent.elapsedMs)}, ${
        rate(stats.bytes, sent.elapsedMs)
      } of input, ${rate(archiveSize, sent.elapsedMs)} to S3`,
    ],
    ["download", `${seconds(downloadMs)}, ${rate(archiveSize, downloadMs)}`],
    [
      "peak memory (zipstream RSS)",
      sent.peakRssBytes === undefined
        ? "n/a (needs /proc)"
        : mib(sent.peakRssBytes),
    ],
    [
      "ZIP64",
      archiveSize > 0xffffffff || entries > 0xffff
        ? "yes (switched on by itself)"
        : "not needed (plain zip32)",
    ],
  ];
  for (const [label, value] of rows) {
    console.log(`  ${label.padEnd(28)} ${value}`);
  }
} catch (error) {
  exitCode = interrupted ? 130 : 1;
  console.error(
    `demo: ${
      interrupted
        ? "interrupted"
        : error instanceof DemoError
        ? error.message
        : error
    }`,
  );
} finally {
  await server?.stop();
  await Deno.remove(work, { recursive: true }).catch(() => {});
  say(`removed ${work}`);
}
Deno.exit(exitCode);
