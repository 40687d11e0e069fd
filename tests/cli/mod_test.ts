import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { logText } from "../zip/_log_text.ts";

const WITHOUT_WORKERS = new URL("./_cli_without_workers.ts", import.meta.url)
  .pathname;
import { testUsageErrors } from "./_usage_errors.ts";
import {
  assertOpensEverywhere,
  type ExpectedEntry,
  readWithPython,
  testWithUnzip,
  withTempDir,
} from "../_readers.ts";
import {
  CLI_PATH,
  cliCommand,
  extendedTimestamp,
  feedAroundFirstLine,
  makeTree,
  runCli,
  signalAndWait,
  TREE_MTIME,
  type TreeNode,
  waitUntil,
  withChild,
} from "./_cli.ts";

const encoder = new TextEncoder();
const UNICODE_NAME = "naïve – 日本語 😀.txt";

const TREE: TreeNode[] = [
  { kind: "dir", path: "project", mode: 0o755 },
  { kind: "file", path: "project/README", data: "Read me\n", mode: 0o644 },
  { kind: "dir", path: "project/bin", mode: 0o750 },
  {
    kind: "file",
    path: "project/bin/run.sh",
    data: "#!/bin/sh\necho hi\n",
    mode: 0o755,
  },
  { kind: "dir", path: "project/docs/deep/deeper", mode: 0o755 },
  {
    kind: "file",
    path: `project/docs/deep/deeper/${UNICODE_NAME}`,
    data: "ünïcödé content ".repeat(200),
    mode: 0o600,
  },
  { kind: "dir", path: "project/empty", mode: 0o700 },
  { kind: "symlink", path: "project/latest", target: "docs/deep" },
  { kind: "symlink", path: "project/dangling", target: "nowhere.txt" },
];

const EXPECTED: ExpectedEntry[] = [
  { name: "project/", mode: 0o40755 },
  { name: "project/README", data: "Read me\n", mode: 0o100644 },
  { name: "project/bin/", mode: 0o40750 },
  {
    name: "project/bin/run.sh",
    data: "#!/bin/sh\necho hi\n",
    mode: 0o100755,
  },
  { name: "project/dangling", data: "nowhere.txt", mode: 0o120777 },
  { name: "project/docs/", mode: 0o40755 },
  { name: "project/docs/deep/", mode: 0o40755 },
  { name: "project/docs/deep/deeper/", mode: 0o40755 },
  {
    name: `project/docs/deep/deeper/${UNICODE_NAME}`,
    data: "ünïcödé content ".repeat(200),
    mode: 0o100600,
  },
  { name: "project/empty/", mode: 0o40700 },
  { name: "project/latest", data: "docs/deep", mode: 0o120777 },
];

Deno.test("zipstream archives nested directories, unicode names, symlinks, empty directories and permissions", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, TREE);
    const result = await runCli(["project", "-o", "out.zip"], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    await assertOpensEverywhere(`${dir}/out.zip`, EXPECTED);
    const python = await readWithPython(`${dir}/out.zip`);
    for (const entry of python.entries) {
      if ((entry.mode & 0o170000) === 0o120000) continue;
      assert.equal(
        extendedTimestamp(entry.extra),
        TREE_MTIME.getTime() / 1000,
        `mtime of ${entry.name}`,
      );
    }
  });
});

Deno.test("zipstream prints a one-line summary with entries, bytes in and out, and the target", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, TREE);
    const result = await runCli(["project", "-o", "out.zip"], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stderr,
      /^zipstream: 11 entries, [\d.]+ KiB in, [\d.]+ (KiB|B) out \([\d.]+%\), [\d.]+ [KMG]?i?B\/s, [\d.]+ m?s -> out\.zip\n$/,
    );
  });
});

Deno.test("zipstream keeps names relative to the path given, like zip -r", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, TREE);
    const result = await runCli(
      [".", "../README", "-o", "../out.zip", "-q"],
      { cwd: `${dir}/project/bin` },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "");
    const python = await readWithPython(`${dir}/project/out.zip`);
    assert.deepEqual(python.entries.map((entry) => entry.name), [
      "run.sh",
      "README",
    ]);
  });
});

Deno.test("zipstream -o - streams an archive that bsdtar reads from a pipe", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, TREE);
    const zipstream = new Deno.Command(Deno.execPath(), {
      args: cliCommand(["project", "-o", "-", "--quiet"]),
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const bsdtar = new Deno.Command("bsdtar", {
      args: ["-xf", "-", "-C", `${dir}/extracted`],
      stdin: "piped",
      stderr: "piped",
    });
    await Deno.mkdir(`${dir}/extracted`);
    const extractor = bsdtar.spawn();
    const [, status, zipStderr, tarOutput] = await Promise.all([
      zipstream.stdout.pipeTo(extractor.stdin),
      zipstream.status,
      new Response(zipstream.stderr).text(),
      extractor.output(),
    ]);
    assert.equal(status.code, 0, zipStderr);
    assert.equal(zipStderr, "");
    assert.equal(
      tarOutput.code,
      0,
      new TextDecoder().decode(tarOutput.stderr),
    );
    // From a pipe bsdtar sees only local headers: names, times and contents.
    // Modes and link types live in the central directory, which the other
    // readers check above.
    const root = `${dir}/extracted/project`;
    assert.equal(
      await Deno.readTextFile(`${root}/docs/deep/deeper/${UNICODE_NAME}`),
      "ünïcödé content ".repeat(200),
    );
    assert.equal(
      await Deno.readTextFile(`${root}/bin/run.sh`),
      "#!/bin/sh\necho hi\n",
    );
    assert.equal(
      (await Deno.stat(`${root}/README`)).mtime?.getTime(),
      TREE_MTIME.getTime(),
    );
    assert.ok((await Deno.stat(`${root}/empty`)).isDirectory);
  });
});

Deno.test("zipstream writes the same archive with --workers 0 and --workers 2, which every reader opens", async () => {
  await withTempDir(async (dir) => {
    // Large enough that the workers are running before the last blocks.
    const log = logText(24 * 1024 * 1024 + 12_345);
    await makeTree(dir, [
      { kind: "dir", path: "logs" },
      { kind: "file", path: "logs/app.log", data: log },
    ]);
    const archives: Uint8Array[] = [];
    for (const workers of ["0", "2"]) {
      const result = await runCli(
        ["logs", "-o", `w${workers}.zip`, "--workers", workers, "--quiet"],
        { cwd: dir },
      );
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, "", "--quiet: nothing to say");
      archives.push(await Deno.readFile(`${dir}/w${workers}.zip`));
    }
    assert.ok(archives[0]!.length < log.length / 2, "the log was deflated");
    assert.equal(
      Buffer.compare(archives[0]!, archives[1]!),
      0,
      "the archives are byte for byte the same",
    );
    await assertOpensEverywhere(`${dir}/w2.zip`, [
      { name: "logs/" },
      { name: "logs/app.log", data: log },
    ]);
  });
});

Deno.test("zipstream says so when its deflate workers cannot start, and writes the same archive", async () => {
  await withTempDir(async (dir) => {
    const log = logText(5 * 1024 * 1024);
    await makeTree(dir, [{ kind: "file", path: "app.log", data: log }]);
    const archives: Uint8Array[] = [];
    for (const entry of [CLI_PATH, WITHOUT_WORKERS]) {
      const output = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          ...cliCommand([]).slice(2, 4),
          entry,
          "app.log",
          "-o",
          `${archives.length}.zip`,
          "--workers",
          "2",
          "--quiet",
        ],
        cwd: dir,
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(output.stderr);
      assert.equal(output.code, 0, stderr);
      assert.equal(
        stderr,
        entry === CLI_PATH
          ? ""
          : "zipstream: note: deflate workers could not start (this runtime has no Worker); compressed on this thread\n",
      );
      archives.push(await Deno.readFile(`${dir}/${archives.length}.zip`));
    }
    assert.equal(Buffer.compare(archives[0]!, archives[1]!), 0);
    await assertOpensEverywhere(`${dir}/1.zip`, [
      { name: "app.log", data: log },
    ]);
  });
});

Deno.test("zipstream reads standard input as one entry named by --stdin-name", async () => {
  await withTempDir(async (dir) => {
    const data = encoder.encode("line of log\n".repeat(10_000));
    const result = await runCli(
      ["-", "--stdin-name", "logs/app.log", "-o", "out.zip"],
      { cwd: dir, stdin: data },
    );
    assert.equal(result.code, 0, result.stderr);
    await assertOpensEverywhere(`${dir}/out.zip`, [
      { name: "logs/app.log", data },
    ]);
  });
});

Deno.test("zipstream -0 stores entries and --comment sets the archive comment", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, TREE);
    const result = await runCli(
      ["-9", "-0", "--comment", "nightly build", "project", "-o", "out.zip"],
      { cwd: dir },
    );
    assert.equal(result.code, 0, result.stderr);
    const unzip = await testWithUnzip(`${dir}/out.zip`);
    assert.deepEqual(
      new Set(unzip.entries.map((entry) => entry.method)),
      new Set(["Stored"]),
    );
    await assertOpensEverywhere(`${dir}/out.zip`, EXPECTED, {
      comment: "nightly build",
    });
  });
});

Deno.test("zipstream -1 and --level 9 choose the deflate level", async () => {
  await withTempDir(async (dir) => {
    // Text with some entropy, where deflate levels differ in what they find.
    const words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"];
    let seed = 7;
    const text = Array.from({ length: 60_000 }, () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return words[seed % words.length]! + (seed % 1000);
    }).join(" ");
    await Deno.writeTextFile(`${dir}/words.txt`, text);
    const sizes: number[] = [];
    for (const level of [["-1"], ["--level", "9"]]) {
      const result = await runCli([...level, "words.txt", "-o", "out.zip"], {
        cwd: dir,
      });
      assert.equal(result.code, 0, result.stderr);
      const [entry] = (await readWithPython(`${dir}/out.zip`)).entries;
      assert.equal(entry?.compressType, 8, "deflated");
      sizes.push(entry.compressSize);
    }
    assert.ok(
      sizes[1]! < sizes[0]!,
      `level 9 gave ${sizes[1]} bytes, level 1 ${sizes[0]}`,
    );
  });
});

Deno.test("zipstream --exclude leaves out names at any depth and whole paths", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, TREE);
    const result = await runCli([
      "project",
      "--exclude",
      "*.txt",
      "--exclude",
      "project/bin",
      "--exclude",
      "empty",
      "-o",
      "out.zip",
    ], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    const python = await readWithPython(`${dir}/out.zip`);
    assert.deepEqual(python.entries.map((entry) => entry.name), [
      "project/",
      "project/README",
      "project/dangling",
      "project/docs/",
      "project/docs/deep/",
      "project/docs/deep/deeper/",
      "project/latest",
    ]);
  });
});

Deno.test("zipstream --follow-symlinks adds what links point to", async () => {
  await withTempDir(async (dir) => {
    await makeTree(
      dir,
      TREE.filter((node) => node.path !== "project/dangling"),
    );
    const result = await runCli(
      ["project", "--follow-symlinks", "-o", "out.zip"],
      { cwd: dir },
    );
    assert.equal(result.code, 0, result.stderr);
    const python = await readWithPython(`${dir}/out.zip`);
    const names = python.entries.map((entry) => entry.name);
    assert.ok(names.includes("project/latest/"), names.join(", "));
    assert.ok(
      names.includes(`project/latest/deeper/${UNICODE_NAME}`),
      names.join(", "),
    );
  });
});

Deno.test("zipstream leaves the archive being written out of a directory it archives", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, TREE);
    await Deno.writeTextFile(`${dir}/project/out.zip`, "an older archive");
    const result = await runCli(["project", "-o", "project/out.zip"], {
      cwd: dir,
    });
    assert.equal(result.code, 0, result.stderr);
    const python = await readWithPython(`${dir}/project/out.zip`);
    assert.ok(!python.entries.some((entry) => entry.name.endsWith("out.zip")));
  });
});

Deno.test("zipstream exits 1 naming a missing path, and writes no archive", async () => {
  await withTempDir(async (dir) => {
    const result = await runCli(["missing.txt", "-o", "out.zip"], {
      cwd: dir,
    });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      'zipstream: Cannot add "missing.txt": no such file or directory\n',
    );
    await assert.rejects(Deno.stat(`${dir}/out.zip`), Deno.errors.NotFound);
  });
});

Deno.test("zipstream --strict exits 1 naming an unreadable file, and writes no archive", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, [
      { kind: "dir", path: "d" },
      { kind: "file", path: "d/ok.txt", data: "fine" },
      { kind: "file", path: "d/secret.txt", data: "hidden", mode: 0o000 },
    ]);
    // root reads any file; without these capabilities it meets the mode bits like anyone.
    const wrapper = Deno.uid() === 0
      ? ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
      : [];
    const result = await runCli(["d", "-o", "out.zip", "--strict"], {
      cwd: dir,
      wrapper,
    });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      'zipstream: Cannot add "d/secret.txt": permission denied\n',
    );
    await assert.rejects(Deno.stat(`${dir}/out.zip`), Deno.errors.NotFound);
  });
});

Deno.test("zipstream --strict exits 1 naming an unreadable directory", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, [{ kind: "dir", path: "d/locked" }]);
    await Deno.chmod(`${dir}/d/locked`, 0o000);
    const wrapper = Deno.uid() === 0
      ? ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
      : [];
    const result = await runCli(["d", "-o", "out.zip", "--strict"], {
      cwd: dir,
      wrapper,
    });
    await Deno.chmod(`${dir}/d/locked`, 0o755);
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      'zipstream: Cannot add "d/locked": permission denied\n',
    );
    await assert.rejects(Deno.stat(`${dir}/out.zip`), Deno.errors.NotFound);
  });
});

Deno.test("zipstream --follow-symlinks exits 1 naming a broken link and its target", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, TREE);
    const result = await runCli(
      ["project", "--follow-symlinks", "-o", "out.zip"],
      { cwd: dir },
    );
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      'zipstream: Cannot add "project/dangling": broken symbolic link to "nowhere.txt"\n',
    );
  });
});

Deno.test("zipstream --follow-symlinks exits 1 on a link that loops back to its directory", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, [
      { kind: "dir", path: "a/b" },
      { kind: "symlink", path: "a/b/up", target: ".." },
    ]);
    const result = await runCli(["a", "--follow-symlinks", "-o", "out.zip"], {
      cwd: dir,
    });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      `zipstream: Cannot add "a/b/up": symbolic link loop back to "${await Deno
        .realPath(`${dir}/a`)}"\n`,
    );
  });
});

Deno.test("zipstream adds a path given twice once, and exits 1 when two paths give the same name", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, [
      { kind: "dir", path: "one" },
      { kind: "dir", path: "two/one" },
      { kind: "file", path: "one/a.txt", data: "1" },
      { kind: "file", path: "two/one/a.txt", data: "2" },
    ]);
    const twice = await runCli(["one", "two/../one", "-o", "out.zip"], {
      cwd: dir,
    });
    assert.equal(twice.code, 0, twice.stderr);
    const python = await readWithPython(`${dir}/out.zip`);
    assert.deepEqual(python.entries.map((entry) => entry.name), [
      "one/",
      "one/a.txt",
    ]);
    const clash = await runCli(["one/a.txt", "../one/a.txt", "-o", "y.zip"], {
      cwd: `${dir}/two`,
    });
    assert.equal(clash.code, 1);
    assert.equal(
      clash.stderr,
      `zipstream: Cannot add "../one/a.txt" as "one/a.txt": "one/a.txt" already has that name in the archive\n`,
    );
  });
});

const USAGE_ERRORS: [string[], string][] = [
  [["--frobnicate", "a", "-o", "a.zip"], 'Unknown option "--frobnicate"'],
  [["a"], "Missing the output: expected -o FILE, -o - or -o s3://bucket/key"],
  [
    ["-o", "a.zip"],
    "Missing the paths to add: expected at least one file, directory or -, or -@ to read them from standard input",
  ],
  [["a", "-o"], "Option --output needs a value"],
  [
    ["--level", "11", "a", "-o", "a.zip"],
    'Invalid --level "11": expected a whole number from 0 to 9',
  ],
  [["--store=yes", "a", "-o", "a.zip"], "Option --store does not take a value"],
  [
    ["a", "-o", "s3://bucket-only"],
    'Invalid S3 output "s3://bucket-only": expected s3://bucket/key with an object key such as s3://backups/site.zip, or s3://bucket/folder/',
  ],
  [
    ["a", "-o", "a.zip", "--part-size", "8MiB"],
    "Option --part-size applies to s3:// targets only, but the output is a.zip",
  ],
  [
    ["a", "-o", "a.zip", "--workers", "65"],
    'Invalid --workers "65": expected a whole number from 0 to 64',
  ],
  [
    ["a", "-o", "a.zip", "--content-md5"],
    "Option --content-md5 applies to s3:// targets only, but the output is a.zip",
  ],
  [
    ["a", "-o", "a.zip", "--payload-signing", "never"],
    "Option --payload-signing applies to s3:// targets only, but the output is a.zip",
  ],
  [
    ["a", "-o", "s3://b/k.zip", "--payload-signing", "sometimes"],
    'Invalid --payload-signing "sometimes": expected one of auto, always, never',
  ],
  [
    ["a", "-o", "s3://b/k.zip", "--part-checksum", "md5"],
    'Invalid --part-checksum "md5": expected one of crc32, none',
  ],
  [
    ["a", "-o", "s3://b/k.zip", "--part-size", "lots"],
    'Invalid --part-size "lots": expected a size such as 8MiB, 16M or 5242880',
  ],
  [
    ["a", "-o", "s3://b/k.zip", "--part-size", "1MiB"],
    'Invalid --part-size "1MiB": expected from 5MiB to 5GiB (S3\'s limits) but got 1048576 bytes',
  ],
  [
    ["a", "-o", "s3://b/k.zip", "--concurrency", "0"],
    'Invalid --concurrency "0": expected a whole number from 1 to 64',
  ],
  [
    ["a", "-o", "s3://b/k.zip", "--endpoint", "not a url"],
    'Invalid --endpoint "not a url": expected a URL such as http://127.0.0.1:8080',
  ],
  [
    ["-", "-", "-o", "a.zip"],
    "Cannot read standard input twice: expected - at most once among the paths",
  ],
];

testUsageErrors(USAGE_ERRORS);

Deno.test("zipstream --help prints the usage and every option, and exits 0", async () => {
  const result = await runCli(["--help"]);
  assert.equal(result.code, 0);
  const help = new TextDecoder().decode(result.stdout);
  assert.match(
    help,
    /^Usage:\n {2}zipstream \[options\] <path>\.\.\. -o <target>$/m,
  );
  for (
    const option of [
      "-o, --output",
      "-0 ... -9",
      "--level N",
      "--store",
      "--comment",
      "-x, --exclude",
      "--follow-symlinks",
      "--endpoint",
      "--region",
      "--part-size",
      "--concurrency",
      "--no-progress",
      "-q, --quiet",
      "-v, --verbose",
      "-i, --include",
      "-j, --junk-paths",
      "-@, --names-stdin",
      "-n, --store-suffixes",
      "--strict",
      "--endpoint-url",
      "--profile",
      "--storage-class",
      "--sse",
      "--content-type",
      "--metadata",
      "-h, --help",
      "--version",
    ]
  ) assert.ok(help.includes(`  ${option}`), option);
  assert.match(help, /^ {2}2 {4}usage error$/m);
  assert.match(help, /^ {2}18 {3}the archive was written without the files/m);
  // The README shows the help whole: it must be this text, not an older one.
  const readme = await Deno.readTextFile(
    new URL("../../README.md", import.meta.url),
  );
  assert.ok(
    readme.includes(help),
    "README.md holds the --help text as printed",
  );
});

Deno.test("zipstream --version prints the package version", async () => {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("../../deno.json", import.meta.url)),
  );
  const result = await runCli(["--version"]);
  assert.equal(result.code, 0);
  assert.equal(
    new TextDecoder().decode(result.stdout),
    `zipstream ${config.version}\n`,
  );
});

Deno.test("zipstream writes plain progress lines, not a bar, when stderr is not a terminal", async () => {
  await withTempDir(async (dir) => {
    const child = new Deno.Command(Deno.execPath(), {
      args: cliCommand(["-", "-o", "out.zip"]),
      cwd: dir,
      stdin: "piped",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const { status, stderr: seen } = await feedAroundFirstLine(
      child,
      new Uint8Array(1 << 20),
      [new Uint8Array(1 << 20)],
    );
    assert.equal(status.code, 0, seen);
    const lines = seen.trimEnd().split("\n");
    assert.match(
      lines[0]!,
      /^zipstream: [\d.]+ [KM]iB, [\d.]+ [KMG]?i?B\/s, ETA --:--, 0\/1 entries, -$/,
    );
    assert.match(
      lines.at(-1)!,
      /^zipstream: 1 entry, 2\.00 MiB in, .* -> out\.zip$/,
    );
    assert.ok(!seen.includes("\x1b"), "no terminal escape codes");
  });
});

Deno.test("zipstream --no-progress prints only the summary, --quiet nothing", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, TREE);
    const summary = await runCli(["project", "-o", "a.zip", "--no-progress"], {
      cwd: dir,
    });
    assert.equal(summary.code, 0);
    assert.match(summary.stderr, /^zipstream: 11 entries, .* -> a\.zip\n$/);
    const quiet = await runCli(["project", "-o", "b.zip", "-q"], { cwd: dir });
    assert.equal(quiet.code, 0);
    assert.equal(quiet.stderr, "");
  });
});

for (
  const [signal, code, first, again] of [
    ["SIGINT", 130, "interrupted", "press Ctrl-C again"],
    ["SIGTERM", 143, "terminated", "signal again"],
  ] as const
) {
  Deno.test(`zipstream says it removes the partial file on ${signal}, removes it, and exits ${code}`, async () => {
    await withTempDir(async (dir) => {
      const child = new Deno.Command(Deno.execPath(), {
        args: cliCommand(["-", "-o", "out.zip", "--no-progress"]),
        cwd: dir,
        stdin: "piped",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      await withChild(child, async () => {
        const writer = child.stdin.getWriter();
        // Incompressible bytes reach the file at once, while deflate would
        // hold back most of a run of zeros.
        const noise = new Uint8Array(1 << 20);
        for (let i = 0; i < 16; i++) {
          crypto.getRandomValues(noise.subarray(i * 65536, (i + 1) * 65536));
        }
        await writer.write(noise);
        // The archive has started once its file holds the first bytes.
        await waitUntil(
          "out.zip holds the first bytes",
          async () =>
            ((await Deno.stat(`${dir}/out.zip`).catch(() => null))?.size ?? 0) >
              0,
        );
        const [status, stderr] = await Promise.all([
          signalAndWait(child, signal),
          new Response(child.stderr).text(),
        ]);
        await writer.close().catch(() => {});
        assert.equal(status.code, code, stderr);
        assert.equal(
          stderr,
          `zipstream: ${first}; removing the incomplete out.zip; ${again} to leave it\n` +
            `zipstream: Interrupted by ${signal}; removed the incomplete out.zip\n`,
        );
        await assert.rejects(Deno.stat(`${dir}/out.zip`), Deno.errors.NotFound);
      });
    });
  });
}

/** Runs the command with a terminal as stdout and stderr, through util-linux's `script`. */
async function runOnTerminal(args: string[], cwd: string) {
  const command = [Deno.execPath(), ...cliCommand(args)]
    .map((word) => `'${word.replaceAll("'", `'\\''`)}'`)
    .join(" ");
  const output = await new Deno.Command("script", {
    args: ["-qec", command, "/dev/null"],
    cwd,
    env: { TERM: "xterm", COLUMNS: "120" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: output.code,
    screen: new TextDecoder().decode(output.stdout).replaceAll("\r\n", "\n"),
  };
}

Deno.test("zipstream draws a progress bar on a terminal, then the summary line", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, TREE);
    const { code, screen } = await runOnTerminal(
      ["project", "-o", "out.zip"],
      dir,
    );
    assert.equal(code, 0, screen);
    assert.ok(
      screen.includes("\x1b[?25l"),
      "the cursor is hidden while the bar is drawn",
    );
    assert.match(
      screen,
      /[█░]{20} 100% \| [\d.]+ KiB of [\d.]+ KiB \| .* \| 11\/11 entries \| /,
    );
    assert.ok(screen.includes("\x1b[?25h"), "the cursor is shown again");
    assert.match(screen, /\nzipstream: 11 entries, .* -> out\.zip\n$/);
  });
});

Deno.test("zipstream refuses to write an archive to a terminal, with exit code 2", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, TREE);
    const { code, screen } = await runOnTerminal(["project", "-o", "-"], dir);
    assert.equal(code, 2);
    assert.equal(
      screen,
      "zipstream: Refusing to write a ZIP archive to a terminal: redirect standard output or give -o FILE\nTry 'zipstream --help' for more information\n",
    );
  });
});
