/**
 * The npm package loaded the ways other code loads it: `require()` from
 * CommonJS in Node 20, an esbuild CommonJS bundle loaded with `require()`,
 * and an esbuild ESM bundle loaded from a `blob:` URL (where the deflate
 * workers cannot be files next to the module). Each deflates an input larger
 * than 2 MiB, so the deflate pool is asked to start where the runtime has
 * workers.
 */
import assert from "node:assert/strict";
import * as esbuild from "esbuild";
import {
  assertOpensEverywhere,
  readWithPython,
  withTempDir,
} from "../_readers.ts";
import { nodeProject, packPackage, runOk } from "./_package.ts";

/** Over 2 MiB of text that deflates well but not to nothing. */
function input(): Uint8Array {
  const lines = [];
  for (let i = 0; lines.length < 200_000; i++) {
    lines.push(`row ${i}: ${(i * 7919) % 104_729}\n`);
  }
  const bytes = new TextEncoder().encode(lines.join(""));
  assert.ok(bytes.length > 2 * 1024 * 1024, "the input passes 2 MiB");
  return bytes;
}

/**
 * A CommonJS program that requires the module named by its first argument,
 * zips the file named by its second and writes the archive to its third.
 */
const REQUIRE_AND_ZIP = `"use strict";
const { readFileSync, writeFileSync } = require("node:fs");
const [specifier, input, output] = process.argv.slice(2);
const { zip } = require(specifier);
const data = readFileSync(input);
new Response(zip([{ name: "rows.txt", data }]))
  .arrayBuffer()
  .then((buffer) => writeFileSync(output, new Uint8Array(buffer)));
`;

/** Checks that `path` holds `data` deflated as rows.txt, by every reader. */
async function assertDeflatedRows(path: string, data: Uint8Array) {
  const python = await readWithPython(path);
  assert.equal(python.entries[0]?.compressType, 8, "rows.txt is deflated");
  assert.ok(python.entries[0].compressSize < data.length / 2);
  await assertOpensEverywhere(path, [{ name: "rows.txt", data }]);
}

/** esbuild's bundle of the installed package's main module, as text. */
async function bundle(
  project: string,
  options: { format: "cjs" | "esm"; platform: "node" | "neutral" },
): Promise<string> {
  try {
    const result = await esbuild.build({
      stdin: {
        contents: `export * from "@zipstream/zipstream";`,
        resolveDir: project,
        loader: "js",
      },
      bundle: true,
      write: false,
      logLevel: "silent",
      ...options,
    });
    return result.outputFiles[0]!.text;
  } finally {
    await esbuild.stop();
  }
}

Deno.test("the npm package loads with require(), as an esbuild CommonJS bundle and as an ESM bundle from a blob: URL", async (t) => {
  await withTempDir(async (dir) => {
    const tarball = await packPackage();
    const project = await nodeProject(`${dir}/node`, tarball);
    const data = input();
    await Deno.writeFile(`${dir}/rows.txt`, data);
    await Deno.writeTextFile(`${project}/require_and_zip.cjs`, REQUIRE_AND_ZIP);

    await t.step(
      "Node 20 require()s the package and deflates an archive",
      async () => {
        await runOk("node", [
          "require_and_zip.cjs",
          "@zipstream/zipstream",
          `${dir}/rows.txt`,
          `${dir}/required.zip`,
        ], { cwd: project });
        await assertDeflatedRows(`${dir}/required.zip`, data);
      },
    );

    await t.step(
      "Node 20 require()s an esbuild CommonJS bundle of the package",
      async () => {
        // Outside the project, so that nothing it needs comes from node_modules.
        await Deno.writeTextFile(
          `${dir}/bundle.cjs`,
          await bundle(project, { format: "cjs", platform: "node" }),
        );
        await runOk("node", [
          `${project}/require_and_zip.cjs`,
          `${dir}/bundle.cjs`,
          `${dir}/rows.txt`,
          `${dir}/bundled.zip`,
        ], { cwd: dir });
        await assertDeflatedRows(`${dir}/bundled.zip`, data);
      },
    );

    await t.step(
      "an esbuild ESM bundle of the package imported from a blob: URL zips",
      async () => {
        const code = await bundle(project, {
          format: "esm",
          platform: "neutral",
        });
        const url = URL.createObjectURL(
          new Blob([code], { type: "text/javascript" }),
        );
        try {
          const { zip } = await import(url);
          const archive: ReadableStream<Uint8Array> = zip([
            { name: "rows.txt", data },
          ]);
          const file = await Deno.open(`${dir}/blob.zip`, {
            write: true,
            createNew: true,
          });
          await archive.pipeTo(file.writable);
        } finally {
          URL.revokeObjectURL(url);
        }
        await assertDeflatedRows(`${dir}/blob.zip`, data);
      },
    );
  });
});
