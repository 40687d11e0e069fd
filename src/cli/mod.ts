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
import { predictLength, zip } from "../zip/mod.ts";
import type { ZipOptions } from "../zip/zip_options.ts";
import { parseCliArgs } from "./_args.ts";
import { collectArchiveItems } from "./_archive_items.ts";
import { EXIT_FAILURE, findCliError, UsageError } from "./_cli_error.ts";
import { type ArchiveItem, entryShapes, toZipEntries } from "./_entries.ts";
import { refuseEscapingLinks } from "./_escaping_links.ts";
import { writeToFile, writeToStdout } from "./_file_sink.ts";
import { Excluder } from "./_glob.ts";
import { HELP } from "./_help.ts";
import { Interrupt } from "./_interrupt.ts";
import { Progress, type ProgressStyle, writeLine } from "./_progress.ts";
import { type S3Object, writeToS3 } from "./_s3_sink.ts";
import { S3Sources } from "./_s3_source.ts";
import {
  checkOutsideInputs,
  fingerprintInputs,
  ResumeFile,
} from "./_resume_file.ts";
import { formatCompletedEarlier, formatSummary } from "./_summary.ts";
import { describeTarget } from "./_target.ts";
import type { CliPlan } from "./_args.ts";

/**
 * Runs the `zipstream` command with `args` (without the program name) and
 * resolves to its exit code: 0 success, 1 failure, 2 usage error, 130 / 143
 * when interrupted by SIGINT / SIGTERM. Errors are reported on standard error
 * as one line; nothing is thrown.
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
      plan.endpoint,
      plan.region,
      plan.progress === "none",
    );
  }
  using interrupt = new Interrupt();
  const state: RunState = { writing: false, resumeNote: undefined };
  try {
    await run(plan, interrupt, state);
    return 0;
  } catch (error) {
    return report(error, plan, interrupt, state);
  }
}

/** How far a run got, for the report of its failure. */
interface RunState {
  writing: boolean;
  /** With `--resume`, what became of the upload and FILE after a failure. */
  resumeNote: string | undefined;
}

async function run(
  plan: CliPlan,
  interrupt: Interrupt,
  state: RunState,
): Promise<void> {
  const { target } = plan;
  if (target.kind === "stdout" && Deno.stdout.isTerminal()) {
    throw new UsageError(
      "Refusing to write a ZIP archive to a terminal: redirect standard output or give -o FILE",
    );
  }
  if (plan.resume !== undefined) checkOutsideInputs(plan.resume, plan.inputs);
  const excluder = new Excluder(plan.exclude);
  // Its client lives until the archive is written: the objects are read then.
  using sources = new S3Sources({
    endpoint: plan.sourceEndpoint ?? plan.endpoint,
    region: plan.sourceRegion ?? plan.region,
    excluder,
    signal: interrupt.signal,
  });
  const items = await collectArchiveItems(plan.inputs, {
    followSymlinks: plan.followSymlinks,
    excluder,
    stdinName: plan.stdinName,
    skip: target.kind === "file" ? await identify(target.path) : undefined,
    signal: interrupt.signal,
  }, sources);
  if (!plan.allowEscapingSymlinks) refuseEscapingLinks(items);
  const options: ZipOptions = {
    compression: plan.compression,
    level: plan.level,
    allowEscapingSymlinks: plan.allowEscapingSymlinks,
    ...(plan.comment === undefined ? {} : { comment: plan.comment }),
    ...(plan.workers === undefined ? {} : { workers: plan.workers }),
  };
  const style: ProgressStyle = plan.progress !== "bar"
    ? "off"
    : Deno.stderr.isTerminal()
    ? "bar"
    : "lines";
  const progress = new Progress(style, {
    bytes: items.some((item) => item.kind === "stdin")
      ? undefined
      : items.reduce(
        (sum, item) =>
          sum +
          (item.kind === "file" || item.kind === "object" ? item.size : 0),
        0,
      ),
    entries: items.length,
    uploads: target.kind === "s3",
  });
  const entries = toZipEntries(items, {
    entryStarted: (item) => progress.entryStarted(item.name),
    bytesRead: (count) => progress.bytesRead(count),
    entryFinished: () => progress.entryFinished(),
  });
  const contentLength = target.kind === "s3"
    ? exactLength(items, options)
    : undefined;
  const resume = plan.resume === undefined
    ? undefined
    : await ResumeFile.open(plan.resume, describeTarget(target), {
      compression: plan.compression,
      level: plan.level,
      comment: plan.comment ?? null,
      entries: items.length,
      inputs: fingerprintInputs(items),
    }, plan.partSize);
  const archive = zip(
    entries,
    resume === undefined ? options : {
      ...options,
      onEntry: (entry) => resume.onEntry(entry),
      resume: resume.resumePoint,
    },
  ).pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        progress.bytesWritten(chunk.byteLength);
        controller.enqueue(chunk);
      },
    }),
  );

  let object: S3Object | undefined;
  state.writing = true;
  try {
    switch (target.kind) {
      case "file":
        await writeToFile(archive, target.path, interrupt.signal);
        break;
      case "stdout":
        await writeToStdout(archive, interrupt.signal);
        break;
      case "s3":
        object = await writeToS3(archive, {
          ...(resume === undefined ? {} : {
            resume: {
              checkpoint: resume.checkpoint,
              bodyOffset: resume.resumePoint.offset,
              save: (checkpoint) => resume.save(checkpoint),
            },
          }),
          bucket: target.bucket,
          key: target.key,
          endpoint: plan.endpoint,
          region: plan.region,
          partSize: plan.partSize,
          concurrency: plan.concurrency,
          contentMd5: plan.contentMd5,
          contentLength,
          signal: interrupt.signal,
          onUploaded: (bytes) => progress.bytesUploaded(bytes),
        });
        break;
    }
    await resume?.remove();
  } catch (error) {
    state.resumeNote = await resume?.afterFailure(error);
    throw error;
  } finally {
    progress.stop();
  }
  if (plan.progress !== "none") {
    writeLine(
      object?.completedEarlier && plan.resume !== undefined
        ? formatCompletedEarlier(plan.resume, describeTarget(target), object)
        : formatSummary({
          entries: progress.entriesDone,
          bytesIn: progress.bytesIn,
          bytesOut: progress.bytesOut,
          elapsedMs: progress.elapsed,
          target: describeTarget(target),
          object,
        }),
    );
  }
}

/** The archive's length when `predictLength` can know it (stored entries of known size). */
function exactLength(
  items: readonly ArchiveItem[],
  options: ZipOptions,
): number | undefined {
  if (
    options.compression !== "store" ||
    items.some((item) => item.kind === "stdin")
  ) return undefined;
  try {
    return predictLength(entryShapes(items), options);
  } catch {
    return undefined;
  }
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

function report(
  error: unknown,
  plan: CliPlan,
  interrupt: Interrupt,
  state: RunState,
): number {
  const cleanup = state.resumeNote ??
    (state.writing ? cleanupNote(plan) : undefined);
  const interruption = interrupt.reason;
  if (interruption !== undefined) {
    writeLine(
      `zipstream: ${interruption.message}${
        cleanup === undefined ? "" : `; ${cleanup}`
      }`,
    );
    return interruption.exitCode;
  }
  const known = findCliError(error);
  // Errors from the archive itself (a file that changed size while being
  // read, a name the format rejects) carry their own explanation.
  const message = known?.message ??
    (error instanceof Error ? error.message : String(error));
  writeLine(`zipstream: ${message.split("\n")[0]}`);
  if (known instanceof UsageError) {
    writeLine("Try 'zipstream --help' for more information");
  } else if (cleanup !== undefined) {
    writeLine(`zipstream: ${cleanup}`);
  }
  return known?.exitCode ?? EXIT_FAILURE;
}

/** What was done about the incomplete output, or undefined when nothing could be. */
function cleanupNote(plan: CliPlan): string | undefined {
  const where = describeTarget(plan.target);
  switch (plan.target.kind) {
    case "file":
      return `removed the incomplete ${where}`;
    case "stdout":
      return undefined;
    case "s3":
      return `aborted the upload to ${where}; nothing was stored`;
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
