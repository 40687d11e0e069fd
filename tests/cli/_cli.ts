/**
 * Runs the `zipstream` command as a user would, in a child process, and builds
 * the file trees the CLI tests archive.
 *
 * @module
 */

import { pseudoRandomBytes } from "../_pseudo_random.ts";

/** The command's entry point. */
export const CLI_PATH = new URL("../../src/cli/mod.ts", import.meta.url)
  .pathname;
const CONFIG_PATH = new URL("../../deno.json", import.meta.url).pathname;

/** What a finished run of the command gave. */
export interface CliResult {
  code: number;
  stdout: Uint8Array;
  stderr: string;
}

/** How to run the command. */
export interface CliRunOptions {
  cwd?: string;
  stdin?: Uint8Array;
  env?: Record<string, string>;
  /** Prefix the command, e.g. with `setpriv` to drop root's file access. */
  wrapper?: string[];
}

/** The `deno` arguments that run the command. */
export function cliCommand(args: readonly string[]): string[] {
  return ["run", "-A", "--config", CONFIG_PATH, CLI_PATH, ...args];
}

/** Runs `zipstream ARGS` to completion. */
export async function runCli(
  args: readonly string[],
  options: CliRunOptions = {},
): Promise<CliResult> {
  const { wrapper = [] } = options;
  const [program, ...prefix] = [...wrapper, Deno.execPath()];
  const child = new Deno.Command(program as string, {
    args: [...prefix, ...cliCommand(args)],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    env: { NO_COLOR: "1", ...options.env },
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(options.stdin);
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  return { code, stdout, stderr: new TextDecoder().decode(stderr) };
}

/**
 * `data/` holding `count` pseudo-random files of `size` bytes,
 * `data/file-0.bin` onwards, file `i` made from seed `firstSeed + i`:
 * incompressible, and the same on every run.
 */
export function randomDataTree(
  count: number,
  size: number,
  firstSeed: number,
): TreeNode[] {
  const nodes: TreeNode[] = [{ kind: "dir", path: "data" }];
  for (let i = 0; i < count; i++) {
    nodes.push({
      kind: "file",
      path: `data/file-${i}.bin`,
      data: pseudoRandomBytes(size, firstSeed + i),
    });
  }
  return nodes;
}

/**
 * An environment in which the AWS SDK finds no credentials: no keys (it
 * takes empty variables for absent ones), no files under `dir`, no
 * instance metadata.
 */
export function noCredentialsEnv(dir: string): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: "",
    AWS_SECRET_ACCESS_KEY: "",
    AWS_SHARED_CREDENTIALS_FILE: `${dir}/no-credentials`,
    AWS_CONFIG_FILE: `${dir}/no-config`,
    AWS_EC2_METADATA_DISABLED: "true",
  };
}

/** A file, directory or link to create; `mode` and `mtime` are applied after. */
export type TreeNode =
  | { kind: "file"; path: string; data: string | Uint8Array; mode?: number }
  | { kind: "dir"; path: string; mode?: number }
  | { kind: "symlink"; path: string; target: string };

/** Fixed times, so that archived times can be compared exactly. */
export const TREE_MTIME = new Date("2021-03-04T05:06:08Z");

/** Creates the nodes under `root`, everything but links with mtime {@linkcode TREE_MTIME}. */
export async function makeTree(
  root: string,
  nodes: readonly TreeNode[],
): Promise<void> {
  for (const node of nodes) {
    const path = `${root}/${node.path}`;
    switch (node.kind) {
      case "file":
        if (typeof node.data === "string") {
          await Deno.writeTextFile(path, node.data);
        } else {
          await Deno.writeFile(path, node.data);
        }
        break;
      case "dir":
        await Deno.mkdir(path, { recursive: true });
        break;
      case "symlink":
        await Deno.symlink(node.target, path);
        break;
    }
  }
  for (const node of nodes) {
    if (node.kind !== "symlink" && node.mode !== undefined) {
      await Deno.chmod(`${root}/${node.path}`, node.mode);
    }
  }
  await setTimes(root);
}

/** Gives everything below `root` (not links) the time {@linkcode TREE_MTIME}. */
async function setTimes(dir: string): Promise<void> {
  for await (const child of Deno.readDir(dir)) {
    if (child.isSymlink) continue;
    const path = `${dir}/${child.name}`;
    if (child.isDirectory) await setTimes(path);
    await Deno.utime(path, TREE_MTIME, TREE_MTIME);
  }
}

/** Reads the Unix mtime (seconds) from a hex-encoded extra field's 0x5455 block. */
export function extendedTimestamp(extraHex: string): number | undefined {
  const extra = Uint8Array.from(
    extraHex.match(/../g) ?? [],
    (byte) => parseInt(byte, 16),
  );
  const view = new DataView(extra.buffer);
  for (let offset = 0; offset + 4 <= extra.length;) {
    const id = view.getUint16(offset, true);
    const size = view.getUint16(offset + 2, true);
    if (id === 0x5455 && size >= 5 && (extra[offset + 4]! & 1) === 1) {
      return view.getUint32(offset + 5, true);
    }
    offset += 4 + size;
  }
  return undefined;
}

/**
 * Polls `check` until it holds. The bound only keeps a broken build from
 * hanging the suite; it is far beyond any normal wait.
 */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
): Promise<void> {
  for (let attempt = 0; attempt < 3000; attempt++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`Gave up waiting until ${what}`);
}

/** How long a CLI may take to exit after a signal before the test gives up on it. */
const EXIT_WATCHDOG_MS = 30_000;

/**
 * Sends `signal` and waits for the CLI to exit. A CLI still running after
 * `EXIT_WATCHDOG_MS` is killed, so a hang fails the test (exit 137) instead
 * of hanging the suite.
 */
export async function signalAndWait(
  child: Deno.ChildProcess,
  signal: Deno.Signal,
): Promise<Deno.CommandStatus> {
  child.kill(signal);
  const watchdog = setTimeout(() => killQuietly(child), EXIT_WATCHDOG_MS);
  try {
    return await child.status;
  } finally {
    clearTimeout(watchdog);
  }
}

/**
 * Runs `body` with a spawned CLI and makes sure the CLI is gone afterwards,
 * even when `body` fails before it could stop it.
 */
export async function withChild<T>(
  child: Deno.ChildProcess,
  body: (child: Deno.ChildProcess) => Promise<T>,
): Promise<T> {
  let exited = false;
  const status = child.status.then(() => {
    exited = true;
  });
  try {
    return await body(child);
  } finally {
    if (!exited) killQuietly(child);
    await status;
  }
}

function killQuietly(child: Deno.ChildProcess): void {
  try {
    child.kill("SIGKILL");
  } catch {
    // It exited between the check and the kill.
  }
}

/**
 * Feeds `first` to the CLI's standard input and holds the rest back until
 * the CLI's first line reaches stderr, so the run is certainly past its first
 * progress line whatever the machine's speed; then feeds `rest`, closes
 * standard input, and collects stderr and the exit status.
 */
export async function feedAroundFirstLine(
  child: Deno.ChildProcess,
  first: Uint8Array,
  rest: readonly Uint8Array[] = [],
): Promise<{ status: Deno.CommandStatus; stderr: string }> {
  const writer = child.stdin.getWriter();
  await writer.write(first);
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let stderr = "";
  let done = false;
  while (!done && !stderr.includes("\n")) {
    const read = await lines.read();
    done = read.done;
    stderr += read.value ?? "";
  }
  for (const chunk of rest) await writer.write(chunk);
  await writer.close();
  while (!done) {
    const read = await lines.read();
    done = read.done;
    stderr += read.value ?? "";
  }
  return { status: await child.status, stderr };
}
