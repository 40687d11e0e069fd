import assert from "node:assert/strict";
import { crc32 as nativeCrc32 } from "node:zlib";
import {
  CrcCacheFile,
  defaultCrcCachePath,
} from "../../src/cli/_crc_cache_file.ts";
import { parsePlanArgs } from "../../src/cli/_plan_args.ts";
import { makePlan } from "../../src/cli/_plan_command.ts";
import {
  buildPlan,
  DEFAULT_LAST_MODIFIED,
} from "../../src/cli/_plan_inputs.ts";
import { PlanS3 } from "../../src/cli/_plan_s3.ts";
import type { RangedSource } from "../../mod.ts";
import { pseudoRandom } from "../_data.ts";
import { withTempDir } from "../_readers.ts";
import { makeTree, runCli, TREE_MTIME } from "./_cli.ts";
import { testUsageErrors } from "./_usage_errors.ts";

const decoder = new TextDecoder();
const crcOf = (data: Uint8Array | string) =>
  (nativeCrc32(
    typeof data === "string" ? new TextEncoder().encode(data) : data,
  ) >>>
    0).toString(16).padStart(8, "0");

/** root reads any file; without these capabilities it meets the mode bits like anyone. */
const AS_USER = Deno.uid() === 0
  ? ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
  : [];

/** Where Deno keeps downloaded modules. */
async function denoCacheDir(): Promise<string> {
  const { stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stderr: "null",
  }).output();
  return JSON.parse(decoder.decode(stdout)).denoDir;
}

const BIG = pseudoRandom(300_000, 7);

async function tree(dir: string): Promise<void> {
  await Deno.mkdir(`${dir}/site`);
  await makeTree(`${dir}/site`, [
    { kind: "file", path: "a.txt", data: "hello\n" },
    { kind: "dir", path: "sub", mode: 0o750 },
    { kind: "file", path: "sub/big.bin", data: BIG, mode: 0o600 },
    { kind: "file", path: "sub/with space.txt", data: "" },
    { kind: "symlink", path: "latest", target: "a.txt" },
  ]);
  await Deno.utime(`${dir}/site`, TREE_MTIME, TREE_MTIME);
}

Deno.test("zipstream plan writes the manifest of a tree and keeps the CRCs it read in the cache", async () => {
  await withTempDir(async (dir) => {
    await tree(dir);
    const result = await runCli(
      ["plan", "site", "-o", "site.json", "--crc-cache", "crc.json"],
      { cwd: dir },
    );
    assert.equal(result.code, 0, result.stderr);
    const manifest = JSON.parse(await Deno.readTextFile(`${dir}/site.json`));
    const time = TREE_MTIME.toISOString();
    const inode = async (path: string) =>
      (await Deno.stat(`${dir}/site/${path}`)).ino;
    const fileSource = async (path: string) => ({
      file: `${dir}/site/${path}`,
      mtime: time,
      inode: await inode(path),
    });
    const linkTime = (await Deno.lstat(`${dir}/site/latest`)).mtime!
      .toISOString();
    assert.deepEqual(manifest.entries, [
      {
        name: "site/",
        size: 0,
        crc32: "00000000",
        lastModified: time,
        mode: "755",
      },
      {
        name: "site/a.txt",
        size: 6,
        crc32: crcOf("hello\n"),
        lastModified: time,
        mode: "644",
        source: await fileSource("a.txt"),
      },
      {
        name: "site/latest",
        size: 5,
        crc32: crcOf("a.txt"),
        lastModified: linkTime,
        mode: "120777",
        source: { symlink: "a.txt" },
      },
      {
        name: "site/sub/",
        size: 0,
        crc32: "00000000",
        lastModified: time,
        mode: "750",
      },
      {
        name: "site/sub/big.bin",
        size: BIG.length,
        crc32: crcOf(BIG),
        lastModified: time,
        mode: "600",
        source: await fileSource("sub/big.bin"),
      },
      {
        name: "site/sub/with space.txt",
        size: 0,
        crc32: "00000000",
        lastModified: time,
        mode: "644",
        source: await fileSource("sub/with space.txt"),
      },
    ]);
    assert.equal(manifest.zipstream, "manifest");
    assert.equal(manifest.version, 1);
    assert.equal(
      manifest.lastModified,
      new Date(DEFAULT_LAST_MODIFIED).toISOString(),
    );
    assert.equal(manifest.timeZone, "UTC");
    assert.match(manifest.etag, /^"zs1-[0-9a-f]{32}"$/);
    assert.equal(
      result.stderr,
      `zipstream: wrote the manifest site.json: 6 entries, an archive of ${
        manifest.size.toLocaleString("en-US")
      } bytes, ETag ${manifest.etag}\n`,
    );
    // Only CRCs read from data are cached: the empty file's and the link's are known.
    const cache = JSON.parse(await Deno.readTextFile(`${dir}/crc.json`));
    const key = async (path: string, size: number) =>
      `file ${size} ${TREE_MTIME.getTime()} ${await inode(
        path,
      )} ${dir}/site/${path}`;
    assert.deepEqual(cache, {
      zipstream: "crc32-cache",
      version: 1,
      crc32: {
        [await key("a.txt", 6)]: crcOf("hello\n"),
        [await key("sub/big.bin", BIG.length)]: crcOf(BIG),
      },
    });
  });
});

Deno.test("zipstream plan takes CRCs from the cache for files whose path, size, mtime and inode are unchanged", async () => {
  await withTempDir(async (dir) => {
    await tree(dir);
    const denoDir = await denoCacheDir();
    const plan = async (...extra: string[]) => {
      const result = await runCli(
        ["plan", "site/a.txt", "-o", "-", "-q", ...extra],
        // Deno's own cache stays where it is: it too defaults to
        // XDG_CACHE_HOME. The test scripts' ZIPSTREAM_CACHE_DIR, which would
        // come first, is emptied (an empty variable counts as unset).
        {
          cwd: dir,
          env: {
            XDG_CACHE_HOME: `${dir}/cache`,
            DENO_DIR: denoDir,
            ZIPSTREAM_CACHE_DIR: "",
          },
        },
      );
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, "");
      return JSON.parse(decoder.decode(result.stdout)).entries[0].crc32;
    };
    assert.equal(await plan(), crcOf("hello\n"));
    assert.ok((await Deno.stat(`${dir}/cache/zipstream/crc32.json`)).isFile);
    // Rewritten in place with the same size and given its time back: the
    // identity is the same, so the cached CRC is taken without reading.
    await Deno.writeTextFile(`${dir}/site/a.txt`, "HELLO\n");
    await Deno.utime(`${dir}/site/a.txt`, TREE_MTIME, TREE_MTIME);
    assert.equal(await plan(), crcOf("hello\n"));
    assert.equal(await plan("--no-crc-cache"), crcOf("HELLO\n"));
    // Touched: another identity, read again.
    await Deno.utime(`${dir}/site/a.txt`, new Date(0), new Date(0));
    assert.equal(await plan(), crcOf("HELLO\n"));
  });
});

Deno.test("buildPlan() reads each source once, then takes every CRC from the cache file", async () => {
  await withTempDir(async (dir) => {
    await tree(dir);
    using s3 = new PlanS3({
      endpoint: undefined,
      region: undefined,
      profile: undefined,
    });
    const args = parsePlanArgs("plan", [
      `${dir}/site`,
      "-o",
      "-",
      "--no-crc-cache",
    ]);
    const { entries, options } = await makePlan(args, s3);
    let reads = 0;
    const counted = entries.map((entry) => {
      const source = entry.data as RangedSource;
      if (
        typeof source !== "object" || source === null || !("read" in source)
      ) {
        return entry;
      }
      const counting: RangedSource = {
        size: source.size,
        identity: source.identity!,
        read: (start, end) => {
          reads++;
          return source.read(start, end);
        },
      };
      return { ...entry, data: counting };
    });
    const first = await buildPlan(
      counted,
      options,
      await CrcCacheFile.open(`${dir}/crc.json`),
    );
    assert.equal(reads, 2, "a.txt and big.bin (the empty file needs no read)");
    reads = 0;
    const cache = await CrcCacheFile.open(`${dir}/crc.json`);
    const second = await buildPlan(counted, options, cache);
    assert.equal(reads, 0);
    assert.equal(cache.learnt, 0);
    assert.equal(second.etag, first.etag);
    assert.deepEqual(
      await new Response(second.slice(0)).bytes(),
      await new Response(first.slice(0)).bytes(),
    );
  });
});

Deno.test("zipstream plan refuses a CRC cache file that is not one, naming it, and leaves it as it is", async () => {
  await withTempDir(async (dir) => {
    await tree(dir);
    const cases: [string, string][] = [
      ["{ not json", "it is not JSON ("],
      ['{"entries": []}', "it is another kind of file;"],
      [
        '{"zipstream": "crc32-cache", "version": 2, "crc32": {}}',
        "it has version 2;",
      ],
      [
        '{"zipstream": "crc32-cache", "version": 1, "crc32": {"x": 5}}',
        'it holds 5 for "x", not eight hex digits;',
      ],
    ];
    for (const [contents, received] of cases) {
      await Deno.writeTextFile(`${dir}/crc.json`, contents);
      const result = await runCli(
        ["plan", "site", "-o", "out.json", "--crc-cache", "crc.json"],
        { cwd: dir },
      );
      assert.equal(result.code, 1);
      assert.ok(
        result.stderr.startsWith(
          'zipstream: Cannot use the CRC cache "crc.json": expected a zipstream CRC cache (JSON with "zipstream": "crc32-cache", "version": 1) but ',
        ) && result.stderr.includes(received) &&
          result.stderr.endsWith(
            "delete it, name another file with --crc-cache FILE, or give --no-crc-cache\n",
          ),
        result.stderr,
      );
      assert.equal(await Deno.readTextFile(`${dir}/crc.json`), contents);
      await assert.rejects(Deno.stat(`${dir}/out.json`), Deno.errors.NotFound);
    }
  });
});

Deno.test("zipstream plan --manifest reads mod_zip lines, computing the CRCs given as -", async () => {
  await withTempDir(async (dir) => {
    await tree(dir);
    await Deno.writeTextFile(
      `${dir}/site/files.txt`,
      `- 6 a.txt docs/a copy.txt\n${
        crcOf(BIG)
      } ${BIG.length} sub/big.bin big.bin\n- 6 ${dir}/site/a.txt abs.txt\n`,
    );
    const result = await runCli(
      [
        "plan",
        "--manifest",
        "site/files.txt",
        "-o",
        "-",
        "-q",
        "--no-crc-cache",
      ],
      { cwd: dir },
    );
    assert.equal(result.code, 0, result.stderr);
    const manifest = JSON.parse(decoder.decode(result.stdout));
    assert.deepEqual(
      manifest.entries.map((
        entry: { name: string; crc32: string; source: unknown },
      ) => [entry.name, entry.crc32, entry.source]),
      [
        ["docs/a copy.txt", crcOf("hello\n"), {
          file: `${dir}/site/a.txt`,
          mtime: TREE_MTIME.toISOString(),
          inode: (await Deno.stat(`${dir}/site/a.txt`)).ino,
        }],
        ["big.bin", crcOf(BIG), {
          file: `${dir}/site/sub/big.bin`,
          mtime: TREE_MTIME.toISOString(),
          inode: (await Deno.stat(`${dir}/site/sub/big.bin`)).ino,
        }],
        ["abs.txt", crcOf("hello\n"), {
          file: `${dir}/site/a.txt`,
          mtime: TREE_MTIME.toISOString(),
          inode: (await Deno.stat(`${dir}/site/a.txt`)).ino,
        }],
      ],
    );
  });
});

Deno.test("zipstream plan --manifest names the manifest, line or entry that is wrong", async () => {
  await withTempDir(async (dir) => {
    await tree(dir);
    const fails = async (name: string, contents: string, message: string) => {
      await Deno.writeTextFile(`${dir}/${name}`, contents);
      const result = await runCli(
        ["plan", "--manifest", name, "-o", "out.json", "--no-crc-cache"],
        { cwd: dir },
      );
      assert.equal(result.code, 1, result.stderr);
      assert.equal(result.stderr, `zipstream: ${message}\n`);
      await assert.rejects(Deno.stat(`${dir}/out.json`), Deno.errors.NotFound);
    };
    await fails(
      "sizes.txt",
      "- 6 site/a.txt a.txt\n- 7 site/a.txt b.txt\n",
      `Invalid manifest "sizes.txt" line 2: expected "${dir}/site/a.txt" to hold 7 bytes, as the line says, but it holds 6`,
    );
    await fails(
      "missing.txt",
      "- 6 site/nope.txt a.txt\n",
      `Invalid manifest "missing.txt" line 1: cannot read "${dir}/site/nope.txt": no such file or directory`,
    );
    await fails(
      "bad.json",
      '{"zipstream": "manifest", "version": 1, "lastModified": "1980-01-01T00:00:00Z", "timeZone": "UTC", "entries": [{"name": "a", "size": 1, "crc32": "xyz", "lastModified": "1980-01-01T00:00:00Z"}]}',
      `Invalid manifest "bad.json": entry 1 ("a"), "crc32": expected eight hex digits but got "xyz"`,
    );
    await fails(
      "none.json",
      "{}",
      `Invalid manifest "none.json": "zipstream": expected "manifest" but got undefined`,
    );
    await fails(
      "nothing.txt",
      "",
      'Invalid manifest "nothing.txt": expected JSON or lines "CRC32 SIZE LOCATION NAME" but it has neither',
    );
  });
});

Deno.test("zipstream plan --manifest of its own manifest writes it again, reading no data; an edited one is refused", async () => {
  await withTempDir(async (dir) => {
    await tree(dir);
    const first = await runCli(
      ["plan", "site", "-o", "m.json", "--no-crc-cache", "-q"],
      { cwd: dir },
    );
    assert.equal(first.code, 0, first.stderr);
    const text = await Deno.readTextFile(`${dir}/m.json`);
    // Unreadable now, yet planned again: the manifest holds every CRC.
    await Deno.chmod(`${dir}/site/sub/big.bin`, 0o000);
    const again = await runCli(
      ["plan", "--manifest", "m.json", "-o", "-", "-q", "--no-crc-cache"],
      { cwd: dir, wrapper: AS_USER },
    );
    await Deno.chmod(`${dir}/site/sub/big.bin`, 0o600);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(decoder.decode(again.stdout), text);

    const manifest = JSON.parse(text);
    manifest.entries[1].crc32 = "00000001";
    await Deno.writeTextFile(`${dir}/edited.json`, JSON.stringify(manifest));
    const edited = await runCli(
      ["plan", "--manifest", "edited.json", "-o", "-", "--no-crc-cache"],
      { cwd: dir },
    );
    assert.equal(edited.code, 1);
    assert.match(
      edited.stderr,
      new RegExp(
        `^zipstream: Invalid manifest "edited\\.json": it says the archive has ${manifest.size} bytes and ETag "zs1-[0-9a-f]{32}", but its entries make ${manifest.size} bytes with ETag "zs1-[0-9a-f]{32}"; was it edited, or written by another version of zipstream\\?\n$`,
      ),
    );
  });
});

testUsageErrors([
  [
    ["plan", "a.txt"],
    "Missing the output: expected -o FILE, or -o - for standard output",
  ],
  [
    ["plan", "-o", "m.json"],
    "Missing what to plan: expected files, directories or s3:// paths, or --manifest FILE",
  ],
  [
    ["plan", "-", "-o", "m.json"],
    "Cannot plan standard input: a planned archive reads its sources again for every request; give files instead",
  ],
  [
    ["plan", "a.txt", "--manifest", "m.txt", "-o", "m.json"],
    'Option --manifest takes the place of paths, but "a.txt" was given too: give one or the other',
  ],
  [
    ["plan", "--manifest", "m.txt", "--comment", "c", "-o", "m.json"],
    "Option --comment applies to paths only: with --manifest, the manifest says what the archive holds",
  ],
  [
    ["plan", "a.txt", "-o", "m.json", "--port", "80"],
    "Option --port applies to zipstream serve only, not to zipstream plan",
  ],
  [
    [
      "plan",
      "a.txt",
      "-o",
      "m.json",
      "--crc-cache",
      "c.json",
      "--no-crc-cache",
    ],
    "Options --crc-cache and --no-crc-cache contradict each other: choose one",
  ],
  [
    ["plan", "s3://b/x/", "-x", "*.log", "-o", "m.json"],
    "Options --exclude and --include apply to local paths only in zipstream plan, but s3://b/x/ is an S3 path",
  ],
  [
    ["serve", "a.txt", "--port", "70000"],
    'Invalid --port "70000": expected a whole number from 0 to 65535',
  ],
  [
    ["serve", "a.txt", "--name", "a/b.zip"],
    'Invalid --name "a/b.zip": expected a file name such as archive.zip, without / or control characters',
  ],
  [
    ["serve", "a.txt", "-o", "m.json"],
    "Option --output applies to zipstream plan only, not to zipstream serve",
  ],
  [
    ["serve", "a.txt", "--endpoint", "nope"],
    'Invalid --endpoint "nope": expected a URL such as http://127.0.0.1:8080',
  ],
]);

Deno.test("defaultCrcCachePath() takes ZIPSTREAM_CACHE_DIR, else XDG_CACHE_HOME/zipstream, else ~/.cache/zipstream, else none", () => {
  const from = (variables: Record<string, string>) =>
    defaultCrcCachePath((name) => variables[name]);
  assert.equal(
    from({ ZIPSTREAM_CACHE_DIR: "/z", XDG_CACHE_HOME: "/x", HOME: "/h" }),
    "/z/crc32.json",
  );
  assert.equal(
    from({ ZIPSTREAM_CACHE_DIR: "", XDG_CACHE_HOME: "/x", HOME: "/h" }),
    "/x/zipstream/crc32.json",
  );
  assert.equal(
    from({ XDG_CACHE_HOME: "relative", HOME: "/h" }),
    "/h/.cache/zipstream/crc32.json",
  );
  assert.equal(from({}), undefined);
});
