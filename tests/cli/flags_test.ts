import assert from "node:assert/strict";
import { testUsageErrors } from "./_usage_errors.ts";
import {
  assertOpensEverywhere,
  readWithPython,
  withTempDir,
} from "../_readers.ts";
import { makeTree, runCli, type TreeNode } from "./_cli.ts";

const TEXT = "the same words again and again, ".repeat(400);
const NOTES = "# notes\n\n- again\n- again\n- again\n";

const TREE: TreeNode[] = [
  { kind: "dir", path: "src/lib" },
  { kind: "file", path: "src/main.ts", data: TEXT },
  { kind: "file", path: "src/lib/util.ts", data: TEXT },
  { kind: "file", path: "src/lib/notes.md", data: NOTES },
  { kind: "file", path: "src/photo.JPG", data: TEXT },
  { kind: "file", path: "src/song.mp3", data: TEXT },
];

/** Each entry's name and how it was stored: 0 stored, 8 deflated. */
async function methods(path: string): Promise<Record<string, number>> {
  const { entries } = await readWithPython(path);
  return Object.fromEntries(
    entries.map((entry) => [entry.name, entry.compressType]),
  );
}

Deno.test("zipstream stores already-compressed suffixes by default, whatever their case, and deflates the rest", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, TREE);
    const result = await runCli(["src", "-o", "out.zip", "-q"], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(await methods(`${dir}/out.zip`), {
      "src/": 0,
      "src/lib/": 0,
      "src/lib/notes.md": 8,
      "src/lib/util.ts": 8,
      "src/main.ts": 8,
      "src/photo.JPG": 0,
      "src/song.mp3": 0,
    });
    await assertOpensEverywhere(`${dir}/out.zip`, [
      { name: "src/" },
      { name: "src/lib/" },
      { name: "src/lib/notes.md", data: NOTES },
      { name: "src/lib/util.ts", data: TEXT },
      { name: "src/main.ts", data: TEXT },
      { name: "src/photo.JPG", data: TEXT },
      { name: "src/song.mp3", data: TEXT },
    ]);
  });
});

Deno.test("zipstream -n replaces the stored suffixes, and -n '' deflates everything", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, TREE);
    const replaced = await runCli(
      ["src", "-n", ".ts:.MD", "-o", "n.zip", "-q"],
      { cwd: dir },
    );
    assert.equal(replaced.code, 0, replaced.stderr);
    assert.deepEqual(await methods(`${dir}/n.zip`), {
      "src/": 0,
      "src/lib/": 0,
      "src/lib/notes.md": 0,
      "src/lib/util.ts": 0,
      "src/main.ts": 0,
      "src/photo.JPG": 8,
      "src/song.mp3": 8,
    });
    const none = await runCli(
      ["src/photo.JPG", "--store-suffixes", "", "-o", "none.zip", "-q"],
      { cwd: dir },
    );
    assert.equal(none.code, 0, none.stderr);
    assert.deepEqual(await methods(`${dir}/none.zip`), { "src/photo.JPG": 8 });
  });
});

Deno.test("zipstream -x excludes and -i keeps only the names that match", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, TREE);
    const excluded = await runCli(
      ["src", "-x", "lib", "-x", "*.mp3", "-o", "x.zip", "-q"],
      { cwd: dir },
    );
    assert.equal(excluded.code, 0, excluded.stderr);
    assert.deepEqual(Object.keys(await methods(`${dir}/x.zip`)), [
      "src/",
      "src/main.ts",
      "src/photo.JPG",
    ]);
    const included = await runCli(
      ["src", "-i", "*.ts", "--include", "src/lib", "-o", "i.zip", "-q"],
      { cwd: dir },
    );
    assert.equal(included.code, 0, included.stderr);
    await assertOpensEverywhere(`${dir}/i.zip`, [
      { name: "src/lib/" },
      { name: "src/lib/util.ts", data: TEXT },
      { name: "src/main.ts", data: TEXT },
    ]);
  });
});

Deno.test("zipstream -j names files by their base name and adds no directories", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, TREE);
    const result = await runCli(
      ["src/lib", "src/main.ts", "-j", "-o", "j.zip", "-q"],
      { cwd: dir },
    );
    assert.equal(result.code, 0, result.stderr);
    await assertOpensEverywhere(`${dir}/j.zip`, [
      { name: "notes.md", data: NOTES },
      { name: "util.ts", data: TEXT },
      { name: "main.ts", data: TEXT },
    ]);
  });
});

Deno.test("zipstream -j exits 1 when two files have the same base name", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, [
      ...TREE,
      { kind: "file", path: "src/lib/main.ts", data: "other" },
    ]);
    const result = await runCli(["src", "-j", "-o", "j.zip"], { cwd: dir });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      'zipstream: Cannot add "src/main.ts" as "main.ts": "src/lib/main.ts" already has that name in the archive\n',
    );
    await assert.rejects(Deno.stat(`${dir}/j.zip`), Deno.errors.NotFound);
  });
});

Deno.test("zipstream -@ reads the paths from standard input, one per line", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, [
      ...TREE,
      { kind: "file", path: "with space .txt", data: "spaced" },
    ]);
    const result = await runCli(
      ["-@", "src/main.ts", "-o", "names.zip", "-q"],
      {
        cwd: dir,
        stdin: new TextEncoder().encode(
          "src/lib/notes.md\r\n\nwith space .txt\n",
        ),
      },
    );
    assert.equal(result.code, 0, result.stderr);
    await assertOpensEverywhere(`${dir}/names.zip`, [
      { name: "src/main.ts", data: TEXT },
      { name: "src/lib/notes.md", data: NOTES },
      { name: "with space .txt", data: "spaced" },
    ]);
  });
});

Deno.test("zipstream -v prints one line per entry as it is written, as zip does", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, TREE);
    const result = await runCli(
      ["src/lib", "src/song.mp3", "-v", "-o", "v.zip", "--no-progress"],
      { cwd: dir },
    );
    assert.equal(result.code, 0, result.stderr);
    const { entries } = await readWithPython(`${dir}/v.zip`);
    const added = entries.map((entry) =>
      entry.compressType === 0
        ? `  adding: ${entry.name} (stored 0%)`
        : `  adding: ${entry.name} (deflated ${
          Math.round((1 - entry.compressSize / entry.fileSize) * 100)
        }%)`
    );
    const lines = result.stderr.split("\n");
    assert.deepEqual(lines.slice(0, 4), added);
    assert.deepEqual(
      entries.map((entry) => [entry.name, entry.compressType]),
      [
        ["src/lib/", 0],
        ["src/lib/notes.md", 8],
        ["src/lib/util.ts", 8],
        ["src/song.mp3", 0],
      ],
    );
    assert.match(added[2]!, /\(deflated 9\d%\)$/);
    assert.match(lines[4]!, /^zipstream: 4 entries, .* -> v\.zip$/);
    assert.equal(lines.length, 6);
  });
});

Deno.test("zipstream keeps the working directory of the caller under deno task zipstream", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, TREE);
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "task",
        "--config",
        new URL("../../deno.json", import.meta.url).pathname,
        "--quiet",
        "zipstream",
        "src/lib/notes.md",
        "-o",
        "task.zip",
        "-q",
      ],
      cwd: dir,
      // As from a shell: deno task sets INIT_CWD to the caller's directory
      // only when it is not set already, and this test may itself run under
      // a task (deno task test), whose INIT_CWD is the clone.
      clearEnv: true,
      env: {
        NO_COLOR: "1",
        PATH: Deno.env.get("PATH") ?? "",
        HOME: Deno.env.get("HOME") ?? dir,
        ...(Deno.env.get("DENO_DIR") === undefined
          ? {}
          : { DENO_DIR: Deno.env.get("DENO_DIR")! }),
      },
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, stderr);
    assert.equal(stderr, "");
    await assertOpensEverywhere(`${dir}/task.zip`, [
      { name: "src/lib/notes.md", data: NOTES },
    ]);
  });
});

const USAGE_ERRORS: [string[], string][] = [
  [
    ["--queue", "redis://127.0.0.1:1", "a", "-o", "a.zip"],
    "--queue needs an s3:// target (-o s3://bucket/key.zip): the workers write the segments there",
  ],
  [
    ["--queue", "redis://127.0.0.1:1", "-e", "a", "-o", "s3://b/a.zip"],
    "--queue cannot be given with -e or --password-file: a queued build is resumed by the queue itself, and does not encrypt",
  ],
  [
    [
      "--queue",
      "redis://127.0.0.1:1",
      "--max-time",
      "60",
      "a",
      "-o",
      "s3://b/a.zip",
    ],
    "--queue cannot be given with --max-time: a queued build is resumed by the queue itself, and does not encrypt",
  ],
  [
    [
      "--queue",
      "redis://127.0.0.1:1",
      "--resume",
      "r",
      "--max-time",
      "60",
      "a",
      "-o",
      "s3://b/a.zip",
    ],
    "--queue cannot be given with --resume: a queued build is resumed by the queue itself, and does not encrypt",
  ],
  [
    ["-10", "a", "-o", "a.zip"],
    'Invalid option "-10": expected one deflate level from -0 to -9',
  ],
  [
    ["a", "-o", "a.zip", "-o", "b.zip"],
    'Option --output given twice ("a.zip", then "b.zip"): expected it once',
  ],
  [
    ["a", "-n", ".gz", "--store-suffixes", ".zip", "-o", "a.zip"],
    'Option --store-suffixes given twice (".gz", then ".zip"): expected it once',
  ],
  [
    ["a", "-o", "a.zip", "-n", ".gz:dir/.zip"],
    'Invalid --store-suffixes ".gz:dir/.zip": expected name endings separated by colons, such as .zip:.jpg, but "dir/.zip" holds a /',
  ],
  [
    ["-@", "-", "-o", "a.zip"],
    "Cannot read standard input twice: -@ reads the paths from it, so - cannot be one of them",
  ],
  [
    [
      "a",
      "-o",
      "s3://b/k.zip",
      "--endpoint",
      "http://a",
      "--endpoint-url",
      "http://b",
    ],
    "Options --endpoint and --endpoint-url are the same option: give one",
  ],
  [
    ["a", "-o", "a.zip", "-v", "-q"],
    "Options --verbose and --quiet contradict each other: --verbose prints a line per entry, --quiet nothing but errors; choose one",
  ],
  [
    ["-vq", "a", "-o", "a.zip"],
    "Options --verbose and --quiet contradict each other: --verbose prints a line per entry, --quiet nothing but errors; choose one",
  ],
  [
    ["--quiet", "a", "-o", "s3://b/k.zip", "--verbose"],
    "Options --verbose and --quiet contradict each other: --verbose prints a line per entry, --quiet nothing but errors; choose one",
  ],
  [
    ["a", "-o", "s3://b/k.zip", "--endpoint-url", "nowhere"],
    'Invalid --endpoint-url "nowhere": expected a URL such as http://127.0.0.1:8080',
  ],
  [
    ["a", "-o", "a.zip", "--profile", "work"],
    "Option --profile applies to s3:// targets only, but the output is a.zip",
  ],
  [
    ["a", "-o", "a.zip", "--metadata", "a=1"],
    "Option --metadata applies to s3:// targets only, but the output is a.zip",
  ],
  [
    ["a", "-o", "s3://b/k.zip", "--sse", "aes"],
    'Invalid --sse "aes": expected one of AES256, aws:kms, aws:kms:dsse',
  ],
  [
    ["a", "-o", "s3://b/k.zip", "--sse-kms-key-id", "k1"],
    "Option --sse-kms-key-id needs --sse aws:kms or --sse aws:kms:dsse, but --sse is not given",
  ],
  [
    ["a", "-o", "s3://b/k.zip", "--storage-class", "glacier"],
    'Invalid --storage-class "glacier": expected a class such as STANDARD_IA, GLACIER_IR or DEEP_ARCHIVE',
  ],
  [
    ["a", "-o", "s3://b/k.zip", "--content-type", "zip"],
    'Invalid --content-type "zip": expected a media type such as application/zip',
  ],
  [
    ["a", "-o", "s3://b/k.zip", "--metadata", "owner=me,=x"],
    'Invalid --metadata "owner=me,=x": expected key=value pairs separated by commas, keys of letters, digits, - and _, but got "=x"',
  ],
  [
    ["a", "b", "-o", "s3://b/backups/"],
    'Cannot name the archive in "s3://b/backups/": a folder target takes its name from a single file or directory, but 2 paths are given; give the key, such as s3://b/backups/archive.zip',
  ],
  [
    ["-", "-o", "s3://b/backups/"],
    'Cannot name the archive in "s3://b/backups/": a folder target takes its name from a single file or directory, but the path is "-"; give the key, such as s3://b/backups/archive.zip',
  ],
  [
    ["-@", "-o", "s3://b/backups/"],
    'Cannot name the archive in "s3://b/backups/": a folder target takes its name from a single file or directory, but the paths come from standard input (-@); give the key, such as s3://b/backups/archive.zip',
  ],
];

testUsageErrors(USAGE_ERRORS);
