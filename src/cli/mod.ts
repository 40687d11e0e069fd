/**
 * The `zipstream` command: archives files, directories or standard input as a
 * ZIP stream into a file, standard output or an S3 object, with a progress
 * bar, without a temporary file and without holding the archive in memory.
 *
 * ```sh
 * deno run -A jsr:@zipstream/zipstream/cli photos/ notes.txt -o s3://backups/2026.zip
 * ```
 *
 * Run with `--help` for the options. {@linkcode main} is the whole command as
 * a function, for embedding and tests.
 *
 * @module
 */

import denoConfig from "../../deno.json" with { type: "json" };
import { parseCliArgs } from "./_args.ts";
import type { CliPlan } from "./_args.ts";
import { collectArchiveItems } from "./_archive_items.ts";
import { EXIT_PAUSED, EXIT_SKIPPED, UsageError } from "./_cli_error.ts";
import { sweepBeforeRun } from "./_abandoned_uploads.ts";
import { runCleanup } from "./_cleanup_command.ts";
import {
  type BuildMethod,
  buildServerSide,
  chooseBuild,
} from "./_copy_build.ts";
import { runPlan } from "./_plan_command.ts";
import { refuseEscapingLinks } from "./_escaping_links.ts";
import { Excluder, Includer } from "./_glob.ts";
import { HELP } from "./_help.ts";
import { Interrupt } from "./_interrupt.ts";
import { reportFailure } from "./_failure_report.ts";
import { Journal, journalDirectory } from "./_journal.ts";
import { writeLine } from "./_progress.ts";
import { S3Sources } from "./_s3_source.ts";
import { checkOutsideInputs } from "./_resume_inputs.ts";
import { readNames } from "./_names_stdin.ts";
import { readPassword } from "./_password.ts";
import { type RunState, streamBuild } from "./_stream_build.ts";

/**
 * Runs the `zipstream` command with `args` (without the program name) and
 * resolves to its exit code: 0 success (also when an S3 object was stored
 * but could not be checked, which a warning line says), 1 failure, 2 usage
 * error, 130 / 143 when interrupted by SIGINT / SIGTERM. `zipstream cleanup
 * ...` aborts uploads left behind instead (and removes the temporary seam
 * objects of server-side builds); `zipstream plan ...` writes the
 * manifest of a stored archive, and `zipstream serve ...` serves one over
 * HTTP until interrupted. Errors are reported on standard
 * error as one line, followed by what became of the target; nothing is
 * thrown.
 *
 * @param args The command-line arguments, as in `Deno.args`.
 * @returns The process exit code.
 *
 * @example Archive a directory into a file
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "./mod.ts";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/notes`);
 * await Deno.writeTextFile(`${dir}/notes/hello.txt`, "Hello world!");
 * const code = await main([`${dir}/notes`, "-o", `${dir}/notes.zip`, "--quiet"]);
 * assert.equal(code, 0);
 * assert.ok((await Deno.stat(`${dir}/notes.zip`)).size > 0);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @example Bad arguments give exit code 2
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "./mod.ts";
 *
 * assert.equal(await main(["--level", "11", "a.txt", "-o", "a.zip"]), 2);
 * ```
 */
export async function main(args: readonly string[]): Promise<number> {
  // A file named cleanup, plan, serve or worker is still archived as ./cleanup etc.
  if (args[0] === "cleanup") return await runCleanup(args.slice(1));
  if (args[0] === "plan") return await runPlan(args.slice(1));
  if (args[0] === "worker") {
    const { runWorker } = await import("./_worker_command.ts");
    return await runWorker(args.slice(1));
  }
  if (args[0] === "serve") {
    // Loaded only to serve: the HTTP layer's packages cost every other run.
    const { runServe } = await import("./_serve_command.ts");
    return await runServe(args.slice(1));
  }
  let plan: CliPlan;
  try {
    plan = parseCliArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    writeLine(`zipstream: ${error.message}`);
    writeLine("Try 'zipstream --help' for more information");
    return error.exitCode;
  }
  if (plan.help) {
    await writeStdout(HELP);
    return 0;
  }
  if (plan.version) {
    await writeStdout(`zipstream ${denoConfig.version}\n`);
    return 0;
  }
  if (plan.abortResume !== undefined) {
    const { runAbortResume } = await import("./_abort_resume.ts");
    return await runAbortResume(
      plan.abortResume,
      plan,
      plan.progress === "none",
    );
  }
  // Counted from the start: the walk and listings take of the budget too.
  const deadline = plan.maxTime === undefined
    ? undefined
    : Date.now() + plan.maxTime;
  using interrupt = new Interrupt();
  const state: RunState = { resumeNote: undefined };
  try {
    return await run(plan, {
      journal: openJournal(),
      interrupt,
      state,
      deadline,
    });
  } catch (error) {
    return reportFailure(error, interrupt.reason, state.resumeNote);
  }
}

/**
 * The journal of uploads, or `undefined` when the environment names no
 * place for it: only an upload needs one, and then fails saying so.
 */
function openJournal(): Journal | undefined {
  try {
    return new Journal(journalDirectory());
  } catch {
    return undefined;
  }
}

/** What a run is given besides its options. */
interface RunContext {
  journal: Journal | undefined;
  interrupt: Interrupt;
  state: RunState;
  /** `--max-time`'s end, in milliseconds since the epoch. */
  deadline: number | undefined;
}

/**
 * Runs the command and resolves to its exit code: 0, or
 * {@linkcode EXIT_SKIPPED} when unreadable paths were left out, or
 * {@linkcode EXIT_PAUSED} when `--max-time` came first.
 */
async function run(plan: CliPlan, context: RunContext): Promise<number> {
  const { journal, interrupt, state, deadline } = context;
  const { target } = plan;
  const inputs = plan.namesStdin
    ? [...plan.inputs, ...await readNames(Deno.stdin.readable)]
    : plan.inputs;
  if (target.kind === "stdout" && Deno.stdout.isTerminal()) {
    throw new UsageError(
      "Refusing to write a ZIP archive to a terminal: redirect standard output or give -o FILE",
    );
  }
  // Asked before anything is walked or listed, which may take a while.
  const password = plan.encrypt
    ? await readPassword({
      passwordFile: plan.passwordFile,
      stdinTaken: plan.namesStdin || inputs.includes("-"),
    })
    : undefined;
  if (plan.resume !== undefined) checkOutsideInputs(plan.resume, inputs);
  if (journal !== undefined) {
    await sweepBeforeRun(journal, {
      cleanupRetry: plan.cleanupRetry,
      signal: interrupt.signal,
      quiet: plan.progress === "none",
      resumeFile: plan.resume,
    });
  }
  const excluder = new Excluder(plan.exclude);
  // Its client lives until the archive is written: the objects are read then.
  using sources = new S3Sources({
    endpoint: plan.sourceEndpoint ?? plan.endpoint,
    region: plan.sourceRegion ?? plan.region,
    profile: plan.profile,
    excluder,
    signal: interrupt.signal,
    retry: plan.retry,
  });
  let skipped = 0;
  const items = await collectArchiveItems(
    inputs,
    {
      followSymlinks: plan.followSymlinks,
      excluder,
      includer: new Includer(plan.include),
      stdinName: plan.stdinName,
      skip: target.kind === "file" ? await identify(target.path) : undefined,
      signal: interrupt.signal,
      // Like zip: warn, leave it out, finish the archive, exit 18.
      ...(plan.strict ? {} : {
        onUnreadable: (path: string, cause: string) => {
          skipped++;
          writeLine(`zipstream: warning: skipped "${path}": ${cause}`);
        },
      }),
    },
    sources,
    plan.junkPaths,
  );
  if (!plan.allowEscapingSymlinks) refuseEscapingLinks(items);
  if (plan.queue !== undefined) {
    // Loaded only for a queued build: BullMQ costs every other run.
    const { buildOnQueue } = await import("./_queue_build.ts");
    await buildOnQueue(items, {
      plan,
      queue: plan.queue,
      target,
      interrupt,
    });
    return skipped > 0 ? EXIT_SKIPPED : 0;
  }
  // S3 copies the objects as they are: an encrypted archive is streamed.
  const method: BuildMethod = password === undefined
    ? chooseBuild(plan, items)
    : { kind: "stream", note: undefined };
  if (method.kind === "stream" && method.note !== undefined) {
    writeLine(method.note);
  }
  if (
    method.kind === "copy" && target.kind === "s3" &&
    await buildServerSide(method, {
      plan,
      ...target,
      interrupt,
      journal: journal ?? new Journal(journalDirectory()),
    })
  ) return skipped > 0 ? EXIT_SKIPPED : 0;
  const built = await streamBuild({
    plan,
    items,
    password,
    interrupt,
    journal,
    skipped,
    deadline,
    state,
  });
  return built === "paused" ? EXIT_PAUSED : skipped > 0 ? EXIT_SKIPPED : 0;
}

/** The device and inode of an existing output file, so the walk leaves it out. */
async function identify(
  path: string,
): Promise<{ dev: number; ino: number } | undefined> {
  try {
    const info = await Deno.stat(path);
    return info.ino === null ? undefined : { dev: info.dev, ino: info.ino };
  } catch {
    return undefined;
  }
}

async function writeStdout(text: string): Promise<void> {
  const writer = Deno.stdout.writable.getWriter();
  await writer.write(new TextEncoder().encode(text));
  writer.releaseLock();
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
