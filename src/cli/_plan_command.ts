/**
 * `zipstream plan SOURCES… -o manifest.json`: lays out a stored archive of
 * the sources (CRCs read in parallel, or taken from S3's checksums and the
 * CRC cache) and writes its manifest, from which `zipstream serve
 * --manifest` serves it without reading any data first.
 *
 * @module
 */

import type { PlanEntry } from "../zip/plan_entry.ts";
import type { ZipPlan } from "../zip/zip_plan.ts";
import { writeAtomically } from "./_atomic_write.ts";
import {
  CliError,
  EXIT_FAILURE,
  findCliError,
  messageOf,
  UsageError,
} from "./_cli_error.ts";
import { CrcCacheFile } from "./_crc_cache_file.ts";
import { formatCount } from "./_format.ts";
import { HELP } from "./_help.ts";
import { type ArchiveOptions, manifestText, originOf } from "./_manifest.ts";
import {
  parsePlanArgs,
  type PlanArgs,
  type PlanCommand,
} from "./_plan_args.ts";
import {
  buildPlan,
  DEFAULT_LAST_MODIFIED,
  entriesOfManifest,
  entriesOfPaths,
} from "./_plan_inputs.ts";
import { PlanS3 } from "./_plan_s3.ts";
import { writeLine } from "./_progress.ts";
import { Excluder, Includer } from "./_glob.ts";

/** A plan made from the command line, with what went into it. */
export interface MadePlan {
  plan: ZipPlan;
  /** The entries, in the plan's order. */
  entries: PlanEntry[];
  options: ArchiveOptions;
}

/**
 * Parses the arguments of `zipstream COMMAND`; the exit code instead when
 * the command is done: 0 once `--help` is printed, 2 after a usage error.
 */
export async function commandArgs(
  command: PlanCommand,
  args: readonly string[],
): Promise<PlanArgs | number> {
  let parsed: PlanArgs;
  try {
    parsed = parsePlanArgs(command, args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    writeLine(`zipstream: ${error.message}`);
    writeLine("Try 'zipstream --help' for more information");
    return error.exitCode;
  }
  if (!parsed.help) return parsed;
  const writer = Deno.stdout.writable.getWriter();
  await writer.write(new TextEncoder().encode(HELP));
  writer.releaseLock();
  return 0;
}

/** The one line of a failure, and its exit code. */
export function reportError(error: unknown): number {
  writeLine(`zipstream: ${messageOf(error)}`);
  return findCliError(error)?.exitCode ?? EXIT_FAILURE;
}

/**
 * `zipstream plan`: resolves to the exit code, 0 when the manifest was
 * written, 1 when it was not (the line before says why), 2 for a usage
 * error.
 */
export async function runPlan(args: readonly string[]): Promise<number> {
  const parsed = await commandArgs("plan", args);
  if (typeof parsed === "number") return parsed;
  try {
    using s3 = new PlanS3(parsed);
    const { plan, entries, options } = await makePlan(parsed, s3);
    const text = manifestText(plan, entries, options, originOf);
    // parsePlanArgs requires -o for plan.
    const output = parsed.output!;
    if (output === "-") {
      const writer = Deno.stdout.writable.getWriter();
      await writer.write(new TextEncoder().encode(text));
      writer.releaseLock();
    } else {
      await writeAtomically(output, text, "the manifest");
    }
    if (!parsed.quiet) {
      writeLine(
        `zipstream: wrote the manifest ${
          output === "-" ? "to standard output" : output
        }: ${formatCount(plan.entries.length)} entries, an archive of ${
          formatCount(plan.size)
        } bytes, ETag ${plan.etag}`,
      );
    }
    return 0;
  } catch (error) {
    return reportError(error);
  }
}

/**
 * The plan the arguments describe: of the paths, or of the manifest (whose
 * recorded size and ETag it must have), with the CRC cache the arguments
 * name, saved afterwards.
 *
 * @throws {CliError} naming what could not be read or planned
 */
export async function makePlan(args: PlanArgs, s3: PlanS3): Promise<MadePlan> {
  const fromManifest = args.manifest === undefined
    ? undefined
    : await entriesOfManifest(args.manifest, s3);
  const entries = fromManifest?.entries ?? await entriesOfPaths(
    args.sources,
    {
      followSymlinks: args.followSymlinks,
      excluder: new Excluder(args.exclude),
      includer: new Includer(args.include),
      stdinName: "-",
    },
    s3,
  );
  const options: ArchiveOptions = fromManifest?.options ?? {
    comment: args.comment,
    lastModified: DEFAULT_LAST_MODIFIED,
    timeZone: "UTC",
    allowEscapingSymlinks: args.allowEscapingSymlinks,
  };
  const cache = args.crcCache === undefined
    ? undefined
    : await CrcCacheFile.open(args.crcCache);
  const plan = await buildPlan(entries, options, cache);
  const expected = fromManifest?.expected;
  if (
    expected !== undefined &&
    ((expected.etag !== undefined && expected.etag !== plan.etag) ||
      (expected.size !== undefined && expected.size !== plan.size))
  ) {
    throw new CliError(
      `Invalid manifest "${args.manifest}": it says the archive has ${expected.size} bytes and ETag ${expected.etag}, but its entries make ${plan.size} bytes with ETag ${plan.etag}; was it edited, or written by another version of zipstream?`,
    );
  }
  return { plan, entries, options };
}
