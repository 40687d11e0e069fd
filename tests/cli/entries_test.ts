import assert from "node:assert/strict";
import { predictLength } from "../../mod.ts";
import { entryShapes } from "../../src/cli/_entries.ts";
import { Excluder } from "../../src/cli/_glob.ts";
import { collectInputs } from "../../src/cli/_walk.ts";
import { withTempDir } from "../_readers.ts";
import { makeTree, runCli } from "./_cli.ts";

Deno.test("entryShapes() lets predictLength() give the exact length of the archive zipstream -0 writes", async () => {
  await withTempDir(async (dir) => {
    await makeTree(dir, [
      { kind: "dir", path: "t/sub/empty" },
      { kind: "file", path: "t/a.txt", data: "alpha\n".repeat(1000) },
      { kind: "file", path: "t/sub/ünï.bin", data: new Uint8Array(70_000) },
      { kind: "file", path: "t/sub/empty.txt", data: "" },
      { kind: "symlink", path: "t/link", target: "sub/ünï.bin" },
    ]);
    const items = await collectInputs([`${dir}/t`], {
      followSymlinks: false,
      excluder: new Excluder([]),
      stdinName: "-",
    });
    const predicted = predictLength(entryShapes(items), {
      compression: "store",
      level: 0,
    });
    const result = await runCli(["-0", `${dir}/t`, "-o", "t.zip", "-q"], {
      cwd: dir,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(predicted, (await Deno.stat(`${dir}/t.zip`)).size);
  });
});
