/**
 * What the npm package holds: its package.json, derived from deno.json, and
 * its files, as `npm pack` packs them.
 */
import assert from "node:assert/strict";
import {
  dependenciesOf,
  exportsOf,
} from "../../scripts/npm-build/_package_json.ts";
import { withTempDir } from "../_readers.ts";
import { blocksOf } from "../_readme.ts";
import { packPackage, runOk, sharedPackage } from "./_package.ts";
import { basename } from "node:path";

const CONFIG = JSON.parse(
  await Deno.readTextFile(new URL("../../deno.json", import.meta.url)),
);

/** deno.json's range for an npm package: `npm:pako@^3.0.3` gives `^3.0.3`. */
function rangeOf(name: string): string {
  return String(CONFIG.imports[name]).slice(`npm:${name}@`.length);
}

Deno.test("dependenciesOf() takes each imported package's range from the import map", () => {
  const files = {
    "a.js": `import { Deflate } from "pako";\nimport x from "./x.js";`,
    "b.d.ts":
      `import type { S3Client } from "@aws-sdk/client-s3";\n/** import { zip } from "@zipstream/zipstream"; */\nexport declare const c: import("@aws-sdk/client-s3/dist-types/x").X;`,
    "c.js": `import { createHash } from "node:crypto";`,
  };
  assert.deepEqual(
    dependenciesOf(files, {
      "pako": "npm:pako@^3.0.3",
      "@aws-sdk/client-s3": "npm:@aws-sdk/client-s3@^3.1.0",
      "unused": "npm:unused@1.0.0",
    }),
    { "@aws-sdk/client-s3": "^3.1.0", "pako": "^3.0.3" },
  );
});

Deno.test("dependenciesOf() fails on an import the import map does not give an npm range", () => {
  assert.throws(
    () => dependenciesOf({ "src/a.js": `import "left-pad";` }, {}),
    {
      name: "Error",
      message:
        `Expected "left-pad", imported by src/a.js, to be mapped in deno.json's imports to npm:left-pad@<range>, but it is null`,
    },
  );
  assert.throws(
    () =>
      dependenciesOf({ "a.js": `export * from "pako/x";` }, {
        pako: "jsr:@x/pako@1",
      }),
    {
      name: "Error",
      message:
        `Expected "pako/x", imported by a.js, to be mapped in deno.json's imports to npm:pako@<range>, but it is "jsr:@x/pako@1"`,
    },
  );
});

Deno.test("exportsOf() points each export at its emitted .js and .d.ts", () => {
  assert.deepEqual(exportsOf({ ".": "./mod.ts", "./s3": "./src/s3/mod.ts" }), {
    ".": { types: "./mod.d.ts", default: "./mod.js" },
    "./s3": { types: "./src/s3/mod.d.ts", default: "./src/s3/mod.js" },
  });
  assert.throws(() => exportsOf({ ".": "./mod.js" }), {
    name: "TypeError",
    message:
      `Expected deno.json's export "." to be a .ts file, but it is "./mod.js"`,
  });
});

Deno.test("the npm package has deno.json's name, version and exports, its npm dependencies, and only the library's files", async () => {
  await withTempDir(async (dir) => {
    const { built } = await sharedPackage();
    const manifest = JSON.parse(
      await Deno.readTextFile(`${built}package.json`),
    );
    assert.deepEqual(manifest, {
      name: "@zipstream/zipstream",
      version: CONFIG.version,
      description:
        "ZIP archives as web streams, ZIP64 where needed, streamed into S3 with a multipart upload",
      license: "MIT",
      type: "module",
      types: "./mod.d.ts",
      exports: {
        ".": { types: "./mod.d.ts", default: "./mod.js" },
        "./s3": { types: "./src/s3/mod.d.ts", default: "./src/s3/mod.js" },
        "./http": {
          types: "./src/http/mod.d.ts",
          default: "./src/http/mod.js",
        },
        "./segments": {
          types: "./src/segments/mod.d.ts",
          default: "./src/segments/mod.js",
        },
        "./cli": { types: "./src/cli/mod.d.ts", default: "./src/cli/mod.js" },
      },
      bin: { zipstream: "./bin/zipstream.mjs" },
      engines: { node: ">=20" },
      dependencies: {
        "@aws-sdk/client-s3": rangeOf("@aws-sdk/client-s3"),
        "bullmq": rangeOf("bullmq"),
        "cli-progress": rangeOf("cli-progress"),
        "content-disposition": rangeOf("content-disposition"),
        "pako": rangeOf("pako"),
        "range-parser": rangeOf("range-parser"),
      },
      optionalDependencies: { deno: manifest.optionalDependencies.deno },
    });
    assert.match(manifest.optionalDependencies.deno, /^\^2\.\d+\.\d+$/);

    const packed = JSON.parse(
      await runOk("npm", ["pack", "--dry-run", "--json", built], { cwd: dir }),
    );
    const paths: string[] = packed[0].files.map((file: { path: string }) =>
      file.path
    );
    const outside = paths.filter((path) =>
      !/^(mod|src\/.+)\.(js|d\.ts)$/.test(path) &&
      ![
        "bin/zipstream.mjs",
        "deno.json",
        "package.json",
        "README.md",
        "LICENSE",
      ]
        .includes(path)
    );
    assert.deepEqual(outside, [], "only the library, its command and docs");
    for (const path of ["README.md", "LICENSE", "src/cli/mod.js"]) {
      assert.ok(paths.includes(path), `the package has ${path}`);
    }
    assert.deepEqual(
      JSON.parse(await Deno.readTextFile(`${built}deno.json`)),
      { name: CONFIG.name, version: CONFIG.version },
    );
  });
});

Deno.test("README's Node install lines name the tarball deno task build:npm packs", async () => {
  const install = blocksOf("sh").find((block) => block.includes("build:npm"));
  assert.ok(install !== undefined, "README shows how to build the package");
  const named = /npm install \.\.\/zipstream\/dist\/(\S+\.tgz)/.exec(install);
  assert.ok(
    named !== null,
    `expected an npm install of dist/*.tgz in:\n${install}`,
  );
  const tarball = await packPackage();
  assert.equal(basename(tarball), named[1]);
});
