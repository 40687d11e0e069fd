import assert from "node:assert/strict";
import { assertOpensEverywhere, withTempDir } from "../_readers.ts";
import { makeTree, runCli } from "./_cli.ts";

/** root reads any file; without these capabilities it meets the mode bits like anyone. */
const AS_USER = Deno.uid() === 0
  ? ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
  : [];

/** A tree with an unreadable file and an unreadable directory beside readable ones. */
async function makeLockedTree(dir: string): Promise<void> {
  await makeTree(dir, [
    { kind: "dir", path: "etc/locked" },
    { kind: "file", path: "etc/hosts", data: "127.0.0.1 localhost\n" },
    { kind: "file", path: "etc/locked/key", data: "inside" },
    { kind: "file", path: "etc/shadow", data: "secret", mode: 0o000 },
    { kind: "file", path: "etc/z.conf", data: "z = 1\n" },
  ]);
  await Deno.chmod(`${dir}/etc/locked`, 0o000);
}

/** Lets the temporary directory be removed again. */
async function unlock(dir: string): Promise<void> {
  await Deno.chmod(`${dir}/etc/locked`, 0o755);
}

Deno.test("zipstream warns about each unreadable file and directory, writes the rest, says how many it skipped and exits 18", async () => {
  await withTempDir(async (dir) => {
    await makeLockedTree(dir);
    const result = await runCli(["etc", "-o", "out.zip", "--no-progress"], {
      cwd: dir,
      wrapper: AS_USER,
    });
    await unlock(dir);
    assert.equal(result.code, 18, result.stderr);
    const lines = result.stderr.split("\n");
    assert.deepEqual(lines.slice(0, 2), [
      'zipstream: warning: skipped "etc/locked": permission denied',
      'zipstream: warning: skipped "etc/shadow": permission denied',
    ]);
    assert.match(lines[2]!, /^zipstream: 3 entries, .* -> out\.zip$/);
    assert.deepEqual(lines.slice(3), [
      "zipstream: skipped 2 unreadable paths (see the warnings above); the archive holds everything else",
      "",
    ]);
    await assertOpensEverywhere(`${dir}/out.zip`, [
      { name: "etc/" },
      { name: "etc/hosts", data: "127.0.0.1 localhost\n" },
      { name: "etc/z.conf", data: "z = 1\n" },
    ]);
  });
});

Deno.test("zipstream --quiet still warns about what it skipped, and exits 18", async () => {
  await withTempDir(async (dir) => {
    await makeLockedTree(dir);
    const result = await runCli(["etc/shadow", "etc/z.conf", "-o", "-", "-q"], {
      cwd: dir,
      wrapper: AS_USER,
    });
    await unlock(dir);
    assert.equal(result.code, 18, result.stderr);
    assert.equal(
      result.stderr,
      'zipstream: warning: skipped "etc/shadow": permission denied\n',
    );
    await assertOpensEverywhere(result.stdout, [
      { name: "etc/z.conf", data: "z = 1\n" },
    ]);
  });
});

Deno.test("zipstream --strict stops at the first unreadable path, exits 1 and leaves no archive", async () => {
  await withTempDir(async (dir) => {
    await makeLockedTree(dir);
    const result = await runCli(["etc", "-o", "out.zip", "--strict"], {
      cwd: dir,
      wrapper: AS_USER,
    });
    await unlock(dir);
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      'zipstream: Cannot add "etc/locked": permission denied\n',
    );
    await assert.rejects(Deno.stat(`${dir}/out.zip`), Deno.errors.NotFound);
  });
});

Deno.test("zipstream skips what it cannot reach in a directory it may list but not enter, and exits 18", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, [
      { kind: "dir", path: "d/listed" },
      { kind: "file", path: "d/listed/inner.txt", data: "out of reach" },
      { kind: "file", path: "d/ok.txt", data: "fine" },
    ]);
    await Deno.chmod(`${dir}/d/listed`, 0o444);
    const result = await runCli(["d", "-o", "out.zip", "-q"], {
      cwd: dir,
      wrapper: AS_USER,
    });
    await Deno.chmod(`${dir}/d/listed`, 0o755);
    assert.equal(result.code, 18, result.stderr);
    assert.equal(
      result.stderr,
      'zipstream: warning: skipped "d/listed/inner.txt": permission denied\n',
    );
    await assertOpensEverywhere(`${dir}/out.zip`, [
      { name: "d/" },
      { name: "d/listed/" },
      { name: "d/ok.txt", data: "fine" },
    ]);
  });
});
