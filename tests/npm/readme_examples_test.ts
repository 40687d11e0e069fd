/**
 * README.md's library examples, as written, against the npm package installed
 * from its tarball: in Node 20 (type-checked by tsc against the package's
 * `.d.ts` files, then tsc's JavaScript run) and in Bun (the TypeScript run
 * directly). The setup and the checks of each example are the ones the Deno
 * README test uses (tests/_readme_examples.ts).
 */
import assert from "node:assert/strict";
import { blocksOf } from "../_readme.ts";
import { LIBRARY_EXAMPLES, type RunExample } from "../_readme_examples.ts";
import { withTempDir } from "../_readers.ts";
import {
  BUN,
  bunProject,
  nodeProject,
  packPackage,
  runOk,
  TSC,
} from "./_package.ts";

/**
 * tsc's options for a README block in a Node 20 ESM project, as
 * `@tsconfig/node20` sets them. Web globals (ReadableStream, Blob, fetch) come
 * from `@types/node`, not lib `dom`: with `dom`, TypeScript's ReadableStream
 * is not assignable to `@types/node` 20's `stream/web` one, so
 * `Readable.fromWeb(zip(...))` would not type-check whatever the package's
 * types say.
 */
const TSC_NODE_OPTIONS = [
  "--module",
  "nodenext",
  "--moduleResolution",
  "nodenext",
  "--target",
  "es2022",
  "--lib",
  "es2023",
  "--types",
  "node",
  "--strict",
  "--noUncheckedIndexedAccess",
  "--pretty",
  "false",
];

let examples = 0;

/**
 * Node has no TypeScript: the block is written into the project, so that it
 * imports the installed package, type-checked against the package's `.d.ts`
 * files by tsc, and tsc's JavaScript is run by Node in `cwd`.
 */
function nodeRunner(project: string): RunExample {
  return async (code, cwd, env) => {
    const name = `example_${++examples}`;
    await Deno.writeTextFile(`${project}/${name}.ts`, code);
    await runOk("node", [
      TSC,
      ...TSC_NODE_OPTIONS,
      "--outDir",
      `${project}/out`,
      `${project}/${name}.ts`,
    ], { cwd: project });
    return await runOk("node", [`${project}/out/${name}.js`], { cwd, env });
  };
}

/** Bun runs the block's TypeScript as it is, from inside the project. */
function bunRunner(project: string): RunExample {
  return async (code, cwd, env) => {
    const path = `${project}/example_${++examples}.ts`;
    await Deno.writeTextFile(path, code);
    return await runOk(BUN, ["run", path], { cwd, env });
  };
}

Deno.test("README has one set of checks for each of its library examples", () => {
  assert.equal(blocksOf("ts").length, LIBRARY_EXAMPLES.length);
});

Deno.test("README's library examples run from the npm package in Node 20 and in Bun", async (t) => {
  const version = await runOk("node", ["--version"], { cwd: "/" });
  assert.match(version, /^v20\./, "the Node the package must support");
  await withTempDir(async (dir) => {
    const tarball = await packPackage();
    const node = await nodeProject(`${dir}/node`, tarball, {
      extra: ["@types/node@20"],
    });
    const bun = await bunProject(`${dir}/bun`, tarball);
    const runtimes = [
      { runtime: "Node 20", run: nodeRunner(node) },
      { runtime: "Bun", run: bunRunner(bun) },
    ];
    const codes = blocksOf("ts");
    for (const [i, example] of LIBRARY_EXAMPLES.entries()) {
      for (const { runtime, run } of runtimes) {
        await t.step(`${runtime}: ${example.title}`, async () => {
          await example.check(codes[i]!, run);
        });
      }
    }
  });
});
