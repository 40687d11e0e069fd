#!/usr/bin/env node
// The `zipstream` command of the npm package. The CLI is a Deno program (it
// uses Deno's files, signals and locks), so this launcher runs the built
// src/cli/mod.js under Deno: the one the optional `deno` dependency installed
// (the version the package was tested with), else a `deno` on PATH. Standard
// streams are shared, signals are passed on and the exit code is Deno's.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { delimiter, dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const EXE = process.platform === "win32" ? "deno.exe" : "deno";
const CLI = fileURLToPath(new URL("../src/cli/mod.js", import.meta.url));

/** The binary of the `deno` npm package, if it is installed. */
function packagedDeno() {
  let dir;
  try {
    dir = dirname(require.resolve("deno/package.json"));
  } catch {
    return undefined;
  }
  const exe = join(dir, EXE);
  if (existsSync(exe)) return exe;
  // Without its postinstall script (npm --ignore-scripts), the package finds
  // its platform's binary itself, as its own bin does.
  try {
    return require(join(dir, "install_api.cjs")).runInstall();
  } catch {
    return undefined;
  }
}

/** A `deno` on PATH, if there is one. */
function pathDeno() {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir !== "" && existsSync(join(dir, EXE))) return join(dir, EXE);
  }
  return undefined;
}

const deno = packagedDeno() ?? pathDeno();
if (deno === undefined) {
  process.stderr.write(
    "zipstream: the zipstream command runs on Deno, but no Deno was found: " +
      "expected the optional dependency `deno` (npm install deno) or a deno " +
      "on PATH (https://docs.deno.com/runtime/getting_started/installation/)\n",
  );
  process.exit(1);
}

const child = spawn(
  deno,
  [
    "run",
    "-A",
    // The package's code is plain Node ESM: its imports resolve from
    // node_modules, as Node resolves them (manual), and no deno.json or
    // deno.lock of the user's folder applies to it or is written.
    "--no-config",
    "--no-lock",
    "--node-modules-dir=manual",
    CLI,
    ...process.argv.slice(2),
  ],
  { stdio: "inherit" },
);
// Ctrl-C reaches Deno too (the terminal signals the whole process group),
// and Deno's CLI decides what it means; the launcher waits for its answer.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    if (signal !== "SIGINT") child.kill(signal);
  });
}
child.on("error", (error) => {
  process.stderr.write(
    `zipstream: could not start ${deno}: ${error.message}\n`,
  );
  process.exit(1);
});
child.on("exit", (code, signal) => {
  if (signal !== null) {
    // Die of the same signal, so that a shell sees what happened.
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  } else {
    process.exit(code ?? 1);
  }
});
