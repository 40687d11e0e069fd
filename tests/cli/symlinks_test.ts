import assert from "node:assert/strict";
import { readWithPython, withTempDir } from "../_readers.ts";
import { makeTree, runCli, type TreeNode } from "./_cli.ts";

const TAIL =
  "so it could point outside the folder the archive is extracted into; give --follow-symlinks to store what it points to, or --allow-escaping-symlinks to store the link anyway";

/**
 * `top/project/` with a link that stays inside it and one that climbs out of
 * `top/`, run from `top/`: the archive's names start at `project/`.
 */
const CLIMBING: TreeNode[] = [
  { kind: "dir", path: "top/project/docs" },
  { kind: "file", path: "top/project/docs/a.txt", data: "a" },
  { kind: "symlink", path: "top/project/docs/same", target: "../docs/a.txt" },
  { kind: "file", path: "shared.txt", data: "shared" },
  {
    kind: "symlink",
    path: "top/project/docs/shared",
    target: "../../../shared.txt",
  },
];

Deno.test("zipstream exits 1 naming a link that climbs out of the archive, and writes no archive", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, CLIMBING);
    const result = await runCli(["project", "-o", "out.zip"], {
      cwd: `${dir}/top`,
    });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      `zipstream: Cannot add "project/docs/shared": symbolic link to "../../../shared.txt" climbs above the archive's root, ${TAIL}\n`,
    );
    await assert.rejects(
      Deno.stat(`${dir}/top/out.zip`),
      Deno.errors.NotFound,
    );
  });
});

Deno.test("zipstream exits 1 naming a link with an absolute target", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, [
      { kind: "dir", path: "d" },
      { kind: "symlink", path: "d/abs", target: `${dir}/elsewhere` },
    ]);
    const result = await runCli(["d", "-o", "out.zip"], { cwd: dir });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      `zipstream: Cannot add "d/abs": symbolic link to "${dir}/elsewhere" is an absolute path, ${TAIL}\n`,
    );
  });
});

Deno.test("zipstream judges a link from where the archive's names start", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, CLIMBING);
    // Named top/project/docs/shared, the link leads to shared.txt at the root.
    const result = await runCli(["top/project", "-o", "out.zip", "-q"], {
      cwd: dir,
    });
    assert.equal(result.code, 0, result.stderr);
    const python = await readWithPython(`${dir}/out.zip`);
    const shared = python.entries.find((entry) =>
      entry.name === "top/project/docs/shared"
    );
    assert.equal(shared?.mode, 0o120777);
  });
});

Deno.test("zipstream --allow-escaping-symlinks stores the link as it is", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, CLIMBING);
    const result = await runCli(
      ["project", "--allow-escaping-symlinks", "-o", "out.zip", "-q"],
      { cwd: `${dir}/top` },
    );
    assert.equal(result.code, 0, result.stderr);
    const python = await readWithPython(`${dir}/top/out.zip`);
    const links = python.entries.filter((entry) =>
      (entry.mode & 0o170000) === 0o120000
    ).map((entry) => entry.name);
    assert.deepEqual(links, ["project/docs/same", "project/docs/shared"]);
    const shared = python.entries.find((entry) =>
      entry.name === "project/docs/shared"
    );
    assert.equal(shared?.size, "../../../shared.txt".length);
  });
});

Deno.test("zipstream --follow-symlinks stores what an escaping link points to", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, CLIMBING);
    const result = await runCli(
      ["project", "--follow-symlinks", "-o", "out.zip", "-q"],
      { cwd: `${dir}/top` },
    );
    assert.equal(result.code, 0, result.stderr);
    const python = await readWithPython(`${dir}/top/out.zip`);
    const shared = python.entries.find((entry) =>
      entry.name === "project/docs/shared"
    );
    assert.equal(shared?.mode, 0o100644);
    assert.equal(shared?.size, "shared".length);
  });
});

Deno.test("zipstream --help describes --allow-escaping-symlinks", async () => {
  const result = await runCli(["--help"]);
  assert.equal(result.code, 0);
  assert.match(
    new TextDecoder().decode(result.stdout),
    /^ {2}--allow-escaping-symlinks\n {23}store links that could point outside/m,
  );
});
