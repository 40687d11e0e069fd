/**
 * The npm package's `package.json`, derived from deno.json: the same name,
 * version, licence and exports, and the npm packages the emitted code
 * imports, at the ranges deno.json's import map gives them.
 *
 * @module
 */

/** The parts of deno.json the package is made from. */
export interface DenoConfig {
  name: string;
  version: string;
  license?: string;
  exports: Record<string, string>;
  imports: Record<string, string>;
}

/** One `exports` entry of package.json: the types and the code of a module. */
export interface PackageExport {
  types: string;
  default: string;
}

/**
 * The Deno versions the `zipstream` launcher may install as the optional
 * `deno` dependency: the major version the CLI is written and tested for.
 */
export const DENO_RANGE = "^2.9.0";

/**
 * The oldest Node the package supports: 20 runs the library; 20.10 is needed
 * for the JSON import attribute of `./cli`, which runs under Deno anyway.
 */
export const NODE_RANGE = ">=20";

/**
 * Maps deno.json's `exports` (`"./s3": "./src/s3/mod.ts"`) to package.json's,
 * pointing at the emitted `.js` and `.d.ts` files.
 *
 * @throws {TypeError} When an export is not a `.ts` file.
 */
export function exportsOf(
  exports: Record<string, string>,
): Record<string, PackageExport> {
  return Object.fromEntries(
    Object.entries(exports).map(([subpath, file]) => {
      if (!file.endsWith(".ts")) {
        throw new TypeError(
          `Expected deno.json's export "${subpath}" to be a .ts file, but it is ${
            JSON.stringify(file)
          }`,
        );
      }
      const base = file.slice(0, -".ts".length);
      return [subpath, { types: `${base}.d.ts`, default: `${base}.js` }];
    }),
  );
}

/** The bare specifiers a module imports: `pako`, `@aws-sdk/client-s3/x`. */
function bareImportsOf(code: string): string[] {
  const specifiers = [];
  // JSDoc examples import the package by its own name; they are not code.
  code = code.replace(/\/\*[\s\S]*?\*\//g, "");
  // tsc's output writes every import on these shapes: `from "x"`,
  // `import "x"` and, in `.d.ts` files, `import("x")`.
  const pattern =
    /\bfrom\s*"([^"]+)"|\bimport\s*"([^"]+)"|\bimport\s*\(\s*"([^"]+)"\s*\)/g;
  for (const match of code.matchAll(pattern)) {
    const specifier = match[1] ?? match[2] ?? match[3] ?? "";
    if (!/^(\.|\/|node:)/.test(specifier)) specifiers.push(specifier);
  }
  return specifiers;
}

/** `@aws-sdk/client-s3/sub` gives `@aws-sdk/client-s3`, `pako/x` gives `pako`. */
function packageNameOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@")
    ? parts.slice(0, 2).join("/")
    : parts[0] ?? "";
}

/**
 * The `dependencies` of the package: every npm package imported by the
 * emitted files, at the range deno.json's import map gives it
 * (`"pako": "npm:pako@^3.0.3"` gives `"pako": "^3.0.3"`).
 *
 * @param files The emitted `.js` and `.d.ts` files' text, by path.
 * @param imports deno.json's import map.
 * @throws {Error} When an import is not mapped to an `npm:` specifier of the
 * same package with a version, naming the file.
 */
export function dependenciesOf(
  files: Record<string, string>,
  imports: Record<string, string>,
): Record<string, string> {
  const dependencies: Record<string, string> = {};
  for (const [path, code] of Object.entries(files).sort()) {
    for (const specifier of bareImportsOf(code)) {
      const name = packageNameOf(specifier);
      const mapped = imports[name];
      const match = mapped === undefined
        ? null
        : /^npm:((?:@[^/@]+\/)?[^/@]+)@([^/]+)$/.exec(mapped);
      if (match === null || match[1] !== name) {
        throw new Error(
          `Expected "${specifier}", imported by ${path}, to be mapped in deno.json's imports to npm:${name}@<range>, but it is ${
            JSON.stringify(mapped ?? null)
          }`,
        );
      }
      dependencies[name] = match[2]!;
    }
  }
  return Object.fromEntries(
    Object.entries(dependencies).sort(([a], [b]) => a < b ? -1 : 1),
  );
}

/**
 * The package's `package.json`.
 *
 * @param config deno.json.
 * @param parts The exports, dependencies and commands of the package.
 */
export function packageJson(
  config: DenoConfig,
  parts: {
    exports: Record<string, PackageExport>;
    dependencies: Record<string, string>;
    bin: Record<string, string>;
  },
): Record<string, unknown> {
  return {
    name: config.name,
    version: config.version,
    description:
      "ZIP archives as web streams, ZIP64 where needed, streamed into S3 with a multipart upload",
    license: config.license,
    type: "module",
    types: parts.exports["."]?.types,
    exports: parts.exports,
    bin: parts.bin,
    engines: { node: NODE_RANGE },
    dependencies: parts.dependencies,
    // The `zipstream` command runs under Deno; the launcher finds it here
    // when no deno is on PATH.
    optionalDependencies: { deno: DENO_RANGE },
  };
}
