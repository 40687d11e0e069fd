/**
 * The npm package as users get it: built by `scripts/build_npm.ts` into a
 * temporary folder, packed with `npm pack`, and installed from the tarball
 * into fresh Node and Bun projects outside the repository.
 *
 * @module
 */

import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { createHash } from "node:crypto";
import { buildNpm, packNpm } from "../../scripts/build_npm.ts";

const ROOT = new URL("../../", import.meta.url);

/** Bun, pinned in tests/npm/tools (installed by scripts/install_test_tools.sh). */
export const BUN: string =
  new URL("tools/node_modules/.bin/bun", import.meta.url).pathname;

/** The TypeScript compiler the build pins, installed by the build. */
export const TSC: string = new URL(
  "scripts/npm-build/node_modules/typescript/bin/tsc",
  ROOT,
).pathname;

/** How a command ended, its output decoded. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** What {@linkcode run} runs a command with. */
export interface RunOptions {
  cwd: string;
  /** Added to the environment, or the whole environment with `clearEnv`. */
  env?: Record<string, string>;
  clearEnv?: boolean;
}

const decoder = new TextDecoder();

/** Runs `command` with no input and resolves to how it ended. */
export async function run(
  command: string,
  args: string[],
  options: RunOptions,
): Promise<Run> {
  const output = await new Deno.Command(command, {
    args,
    cwd: options.cwd,
    env: options.env,
    clearEnv: options.clearEnv,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** Runs `command`, failing with its output unless it exits with 0; resolves to its stdout. */
export async function runOk(
  command: string,
  args: string[],
  options: RunOptions,
): Promise<string> {
  const result = await run(command, args, options);
  assert.equal(
    result.code,
    0,
    `expected \`${command} ${
      args.join(" ")
    }\` in ${options.cwd} to exit with 0, but it exited with ${result.code}:\n${result.stdout}${result.stderr}`,
  );
  return result.stdout;
}

/**
 * The range deno.json gives `name` (`npm:@aws-sdk/client-s3@^3.1175.0` gives
 * `@aws-sdk/client-s3@^3.1175.0`), so scratch projects get the version the
 * repository tests with.
 */
export async function npmSpecifierOf(name: string): Promise<string> {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", ROOT)),
  );
  const mapped: unknown = config.imports[name];
  assert.ok(
    typeof mapped === "string" && mapped.startsWith(`npm:${name}@`),
    `expected deno.json to map ${name} to npm:${name}@<range>, but it maps it to ${mapped}`,
  );
  return mapped.slice("npm:".length);
}

/** The package built from the repository as it is now, and its tarball. */
export interface BuiltPackage {
  /** The package's directory, ending with `/`. */
  built: string;
  /** Its `npm pack` tarball. */
  tarball: string;
}

/**
 * The package built and packed from the repository as it is now. The tests
 * that use it (in parallel, `deno test --parallel`) share one build per
 * content: the first builds into `$TMPDIR/zipstream-npm-<digest>/` holding
 * an exclusive lock, the others wait for it and take its result. The digest
 * covers every file the package is made from, so an edit gets a fresh build.
 */
export async function sharedPackage(): Promise<BuiltPackage> {
  const dir = `${tmpdir()}/zipstream-npm-${await sourceDigest()}`;
  await Deno.mkdir(dir, { recursive: true });
  using lock = await Deno.open(`${dir}/.lock`, { write: true, create: true });
  await lock.lock(true);
  const built = `${dir}/package/`;
  const packed = [...Deno.readDirSync(dir)]
    .find((entry) => entry.name.endsWith(".tgz"));
  if (packed !== undefined) return { built, tarball: `${dir}/${packed.name}` };
  await buildNpm(built);
  return { built, tarball: await packNpm(built, dir) };
}

/** The tarball of {@linkcode sharedPackage}. */
export async function packPackage(): Promise<string> {
  return (await sharedPackage()).tarball;
}

/** What the package is made from: the library, deno.json and the build. */
const PACKAGE_SOURCES = [
  "mod.ts",
  "deno.json",
  "src/",
  "scripts/build_npm.ts",
  "scripts/npm-build/",
];

/** SHA-256 of the paths and contents of every file of {@linkcode PACKAGE_SOURCES}. */
async function sourceDigest(): Promise<string> {
  const hash = createHash("sha256");
  const add = async (path: string): Promise<void> => {
    const url = new URL(path, ROOT);
    if (!path.endsWith("/")) {
      hash.update(`${path}\0`).update(await Deno.readFile(url));
      return;
    }
    const names = [...Deno.readDirSync(url)]
      .filter((entry) => entry.name !== "node_modules")
      .map((entry) => entry.isDirectory ? `${entry.name}/` : entry.name)
      .sort();
    for (const name of names) await add(`${path}${name}`);
  };
  for (const path of PACKAGE_SOURCES) await add(path);
  return hash.digest("hex").slice(0, 16);
}

/** What {@linkcode nodeProject} installs besides the tarball. */
export interface NodeProjectOptions {
  /** npm install --omit=optional: no `deno` package for the launcher. */
  omitOptional?: boolean;
  /** More packages to install (`@types/node@20`). */
  extra?: string[];
}

/**
 * Makes a fresh ESM Node project in `dir` with the tarball and
 * `@aws-sdk/client-s3` (the README's examples import it) installed by npm.
 */
export async function nodeProject(
  dir: string,
  tarball: string,
  options: NodeProjectOptions = {},
): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(
    `${dir}/package.json`,
    JSON.stringify({ name: "scratch", private: true, type: "module" }),
  );
  await runOk("npm", [
    "install",
    "--no-audit",
    "--no-fund",
    ...(options.omitOptional ? ["--omit=optional"] : []),
    tarball,
    await npmSpecifierOf("@aws-sdk/client-s3"),
    ...(options.extra ?? []),
  ], { cwd: dir });
  return dir;
}

/** Makes a fresh Bun project in `dir` with the tarball and `@aws-sdk/client-s3` added by `bun add`. */
export async function bunProject(
  dir: string,
  tarball: string,
): Promise<string> {
  await Deno.stat(BUN).catch((error) => {
    throw new Error(
      `Expected Bun at ${BUN}, but it is not there: run \`bash scripts/install_test_tools.sh\``,
      { cause: error },
    );
  });
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(
    `${dir}/package.json`,
    JSON.stringify({ name: "scratch", private: true, type: "module" }),
  );
  await runOk(BUN, [
    "add",
    tarball,
    await npmSpecifierOf("@aws-sdk/client-s3"),
  ], { cwd: dir });
  return dir;
}
