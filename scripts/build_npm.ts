/**
 * Builds the npm package of zipstream into `dist/npm/`: ESM JavaScript and
 * `.d.ts` files emitted by the TypeScript compiler pinned in
 * `scripts/npm-build/` from `mod.ts` and `src/`, a `package.json` whose
 * exports mirror deno.json's and whose dependencies are the npm packages the
 * emitted code imports (ranges from deno.json's import map), README and
 * LICENSE, and the `zipstream` command as a Node launcher that runs the CLI
 * under Deno.
 *
 * `deno task build:npm` runs it; any type error, emit error or unmapped
 * import fails the build with a message saying which.
 *
 * @module
 */

import {
  dependenciesOf,
  exportsOf,
  packageJson,
} from "./npm-build/_package_json.ts";

const ROOT = new URL("../", import.meta.url);
const TOOLS = new URL("npm-build/", import.meta.url);
/** Where the package is written; gitignored. */
export const NPM_DIR: string = new URL("dist/npm/", ROOT).pathname;

/** The compiler's options: ESM as Node 20 runs it, `.ts` imports rewritten to `.js`. */
const TSC_OPTIONS = [
  "--module",
  "esnext",
  "--moduleResolution",
  "bundler",
  // es2022 keeps classes and #private fields as written and lowers anything
  // newer (the CLI's `using`) for Node 20.
  "--target",
  "es2022",
  "--rewriteRelativeImportExtensions",
  "--allowImportingTsExtensions",
  "--declaration",
  // Types are checked by `deno check` first, with the Deno namespace and the
  // npm packages' types Deno resolves; tsc only emits. Syntax and option
  // errors still fail it.
  "--noCheck",
  "--skipLibCheck",
  "--newLine",
  "lf",
  "--pretty",
  "false",
];

/** Every file under `dir`, recursively, as paths starting with `dir`. */
async function* walk(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir.replace(/\/$/, "")}/${entry.name}`;
    if (entry.isDirectory) yield* walk(path);
    else if (entry.isFile) yield path;
  }
}

/**
 * Runs `command` with its output passed through, failing with its exit code
 * and command line unless it succeeds: the build stops at the first error.
 */
async function run(
  command: string,
  args: string[],
  cwd?: string,
): Promise<void> {
  const { code } = await new Deno.Command(command, {
    args,
    cwd,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) {
    // tsc's arguments name every source: the first few say which step it was.
    const shown = args.length > 4 ? [...args.slice(0, 4), "..."] : args;
    throw new Error(
      `Expected \`${command} ${
        shown.join(" ")
      }\` to succeed (its errors are printed above), but it exited with ${code}`,
    );
  }
}

/**
 * Installs the pinned compiler with `npm ci` unless `node_modules` already
 * matches `package-lock.json` (npm ci writes `node_modules/.package-lock.json`
 * after it; an older one means the lock changed since).
 */
async function installTools(): Promise<void> {
  // Builds may run at once (the tests run in parallel): one installs while
  // the others wait, then find the compiler in place. flock works on a file
  // opened read-only, so the lock file is the committed package-lock.json.
  using lockFile = await Deno.open(new URL("package-lock.json", TOOLS));
  await lockFile.lock(true);
  const lock = await lockFile.stat();
  const installed = await Deno.stat(
    new URL("node_modules/.package-lock.json", TOOLS),
  ).catch(() => undefined);
  if (installed?.mtime && lock.mtime && installed.mtime >= lock.mtime) return;
  await run("npm", [
    "ci",
    "--prefix",
    TOOLS.pathname,
    "--no-audit",
    "--no-fund",
  ]);
}

/** The files that ship: `mod.ts` and every `.ts` file under `src/`. */
async function sources(): Promise<string[]> {
  const files = ["mod.ts"];
  for await (const path of walk(new URL("src/", ROOT).pathname)) {
    if (path.endsWith(".ts") && !path.endsWith(".d.ts")) {
      files.push(path.slice(ROOT.pathname.length));
    }
  }
  return files.sort();
}

/**
 * Builds the package into `outDir`, replacing what was there.
 *
 * @param outDir The package's directory (the tests build into their own).
 * @returns The package's directory, ending with `/`.
 * @throws {Error} When `deno check` finds an error, tsc reports one or emits
 * nothing for a source, or the emitted code imports a package deno.json does
 * not map to npm.
 */
export async function buildNpm(outDir: string = NPM_DIR): Promise<string> {
  const out = outDir.endsWith("/") ? outDir : `${outDir}/`;
  const config = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", ROOT)),
  );
  const files = await sources();
  await run(Deno.execPath(), ["check", "--quiet", ...files], ROOT.pathname);
  await installTools();
  await Deno.remove(out, { recursive: true }).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  await run("node", [
    new URL("node_modules/typescript/bin/tsc", TOOLS).pathname,
    ...TSC_OPTIONS,
    "--rootDir",
    ROOT.pathname,
    "--outDir",
    out,
    ...files,
  ], ROOT.pathname);
  for (const file of files) {
    for (const suffix of [".js", ".d.ts"]) {
      const emitted = out + file.replace(/\.ts$/, suffix);
      await Deno.stat(emitted).catch((error) => {
        throw new Error(
          `Expected tsc to emit ${emitted} for ${file}, but it is not there`,
          { cause: error },
        );
      });
    }
  }

  const emitted: Record<string, string> = {};
  for await (const path of walk(out)) {
    if (path.endsWith(".js") || path.endsWith(".d.ts")) {
      emitted[path.slice(out.length)] = await Deno.readTextFile(path);
    }
  }
  const manifest = packageJson(config, {
    exports: exportsOf(config.exports),
    dependencies: dependenciesOf(emitted, config.imports),
    bin: { zipstream: "./bin/zipstream.mjs" },
  });
  await Deno.writeTextFile(
    `${out}package.json`,
    JSON.stringify(manifest, null, 2) + "\n",
  );
  // src/cli/mod.js reads its version from ../../deno.json, as in the
  // repository; the package gets only the fields it may read, so Deno finds
  // no import map there that would send `pako` to npm instead of
  // node_modules.
  await Deno.writeTextFile(
    `${out}deno.json`,
    JSON.stringify({ name: config.name, version: config.version }, null, 2) +
      "\n",
  );
  await Deno.mkdir(`${out}bin`);
  await Deno.copyFile(
    new URL("bin/zipstream.mjs", TOOLS),
    `${out}bin/zipstream.mjs`,
  );
  await Deno.chmod(`${out}bin/zipstream.mjs`, 0o755);
  for (const file of ["README.md", "LICENSE"]) {
    await Deno.copyFile(new URL(file, ROOT), out + file);
  }
  return out;
}

/**
 * Packs the package built in `built` with `npm pack` into `destination` and
 * resolves to the tarball's path, which `npm install` and `bun add` take.
 */
export async function packNpm(
  built: string,
  destination: string,
): Promise<string> {
  const output = await new Deno.Command("npm", {
    args: ["pack", "--json", "--pack-destination", destination, built],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (output.code !== 0) {
    throw new Error(
      `Expected \`npm pack ${built}\` to succeed (its errors are printed above), but it exited with ${output.code}`,
    );
  }
  const [packed] = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    filename: string;
  }[];
  return `${destination.replace(/\/$/, "")}/${packed!.filename}`;
}

if (import.meta.main) {
  const built = await buildNpm();
  const tarball = await packNpm(built, new URL("dist/", ROOT).pathname);
  console.log(`wrote the npm package to ${built} and packed it as ${tarball}`);
}
