/**
 * The command line, parsed with `node:util`'s `parseArgs` into a plan.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { RetryOptions } from "../s3/upload_options.ts";
import {
  MAX_CONCURRENCY,
  MAX_PART_SIZE,
  MIN_PART_SIZE,
} from "../s3/_part_size_plan.ts";
import { MAX_WORKERS } from "../zip/_resolved_options.ts";
import { MAX_LEVEL } from "../zip/_resolved_entry.ts";
import { MAX_ATTEMPTS } from "../s3/_option_checks.ts";
import type { CompressionMethod } from "../zip/zip_entry.ts";
import { UsageError } from "./_cli_error.ts";
import { isS3Uri, parseS3Uri } from "./_s3_uri.ts";
import { parseSize } from "./_size.ts";
import { parseTarget, type Target } from "./_target.ts";

/** Everything the command line asked for. */
export interface CliPlan {
  /** Print the help text and exit. */
  help: boolean;
  /** Print the version and exit. */
  version: boolean;
  /** Paths to add, `-` for standard input. */
  inputs: string[];
  /** Where the archive goes. */
  target: Target;
  compression: CompressionMethod;
  level: number;
  comment: string | undefined;
  exclude: string[];
  followSymlinks: boolean;
  /** `--allow-escaping-symlinks`: store links that point outside the archive. */
  allowEscapingSymlinks: boolean;
  stdinName: string;
  /** `--workers N`: deflate workers; `undefined` leaves zip()'s default. */
  workers: number | undefined;
  endpoint: string | undefined;
  region: string | undefined;
  /** The server of `s3://` paths, when it is not `endpoint`'s. */
  sourceEndpoint: string | undefined;
  /** The region of `s3://` paths, when it is not `region`. */
  sourceRegion: string | undefined;
  partSize: number | undefined;
  concurrency: number | undefined;
  /** `--content-md5`: send each part's MD5 for the server to check. */
  contentMd5: boolean;
  /** `--payload-signing`: whether part bodies are signed; `undefined` leaves the library's "auto". */
  payloadSigning: "auto" | "always" | "never" | undefined;
  /** `--part-checksum`: the checksum parts carry; `undefined` leaves the library's CRC-32. */
  partChecksum: "crc32" | "none" | undefined;
  /** `--retries`, `--retry-max-time`: the budget of each S3 request's work. */
  retry: RetryOptions;
  /** `--cleanup-max-time`: the budget of aborting the upload after a failure. */
  cleanupRetry: RetryOptions;
  /** `--resume FILE`: the checkpoint file of a resumable upload. */
  resume: string | undefined;
  /** `--abort-resume FILE`: abort the upload FILE records, and nothing else. */
  abortResume: string | undefined;
  /** `bar` draws the terminal bar or plain lines; `summary` only the last line; `none` nothing. */
  progress: "bar" | "summary" | "none";
}

const LEVEL_FLAGS = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"] as const;

const OPTIONS = {
  output: { type: "string", short: "o" },
  level: { type: "string" },
  store: { type: "boolean" },
  comment: { type: "string" },
  exclude: { type: "string", multiple: true },
  "follow-symlinks": { type: "boolean" },
  "allow-escaping-symlinks": { type: "boolean" },
  "stdin-name": { type: "string" },
  workers: { type: "string" },
  endpoint: { type: "string" },
  region: { type: "string" },
  "source-endpoint": { type: "string" },
  "source-region": { type: "string" },
  "part-size": { type: "string" },
  concurrency: { type: "string" },
  "content-md5": { type: "boolean" },
  "payload-signing": { type: "string" },
  "part-checksum": { type: "string" },
  retries: { type: "string" },
  "retry-max-time": { type: "string" },
  "cleanup-max-time": { type: "string" },
  resume: { type: "string" },
  "abort-resume": { type: "string" },
  "no-progress": { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
  ...Object.fromEntries(
    LEVEL_FLAGS.map((digit) => [digit, { type: "boolean", short: digit }]),
  ),
} as const;

/**
 * Turns the arguments into a plan, or throws a {@linkcode UsageError} saying
 * which argument is wrong and why.
 */
export function parseCliArgs(args: readonly string[]): CliPlan {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
  } catch (error) {
    throw new UsageError(describeParseError(error));
  }
  const { values, positionals, tokens } = parsed;
  const help = values.help === true;
  const version = values.version === true;
  const progress = values.quiet === true
    ? "none"
    : values["no-progress"] === true
    ? "summary"
    : "bar";

  // The last compression flag wins, as with zip(1): `-9 --store` stores.
  let level = 6;
  for (const token of tokens) {
    if (token.kind !== "option") continue;
    if (token.name === "store") level = 0;
    else if (token.name === "level") {
      level = parseWholeNumber("--level", token.value ?? "", 0, MAX_LEVEL);
    } else if ((LEVEL_FLAGS as readonly string[]).includes(token.name)) {
      if (token.rawName !== `-${token.name}`) {
        throw new UsageError(`Unknown option "${token.rawName}"`);
      }
      level = Number(token.name);
    }
  }

  const output = values.output;
  const plan: CliPlan = {
    help,
    version,
    inputs: positionals,
    target: { kind: "stdout" },
    compression: level === 0 ? "store" : "deflate",
    level,
    comment: values.comment,
    exclude: values.exclude ?? [],
    followSymlinks: values["follow-symlinks"] === true,
    allowEscapingSymlinks: values["allow-escaping-symlinks"] === true,
    stdinName: values["stdin-name"] ?? "-",
    workers: values.workers === undefined
      ? undefined
      : parseWholeNumber("--workers", values.workers, 0, MAX_WORKERS),
    endpoint: values.endpoint,
    region: values.region,
    sourceEndpoint: values["source-endpoint"],
    sourceRegion: values["source-region"],
    partSize: values["part-size"] === undefined
      ? undefined
      : parsePartSize(values["part-size"]),
    concurrency: values.concurrency === undefined
      ? undefined
      : parseWholeNumber(
        "--concurrency",
        values.concurrency,
        1,
        MAX_CONCURRENCY,
      ),
    contentMd5: values["content-md5"] === true,
    payloadSigning: oneOf(
      "--payload-signing",
      values["payload-signing"],
      [
        "auto",
        "always",
        "never",
      ] as const,
    ),
    partChecksum: oneOf(
      "--part-checksum",
      values["part-checksum"],
      [
        "crc32",
        "none",
      ] as const,
    ),
    retry: {
      ...(values.retries === undefined
        ? {}
        : { attempts: parseRetries(values.retries) }),
      ...(values["retry-max-time"] === undefined ? {} : {
        maxTime: parseSeconds("--retry-max-time", values["retry-max-time"]),
      }),
    },
    cleanupRetry: values["cleanup-max-time"] === undefined ? {} : {
      maxTime: parseSeconds("--cleanup-max-time", values["cleanup-max-time"]),
    },
    resume: values.resume,
    abortResume: values["abort-resume"],
    progress,
  };
  if (help || version) return plan;
  if (plan.abortResume !== undefined) {
    checkAbortResume(plan, output);
    return plan;
  }

  if (output === undefined) {
    throw new UsageError(
      "Missing the output: expected -o FILE, -o - or -o s3://bucket/key",
    );
  }
  plan.target = parseTarget(output);
  if (positionals.length === 0) {
    throw new UsageError(
      "Missing the paths to add: expected at least one file, directory or -",
    );
  }
  if (positionals.filter((path) => path === "-").length > 1) {
    throw new UsageError(
      "Cannot read standard input twice: expected - at most once among the paths",
    );
  }
  if (plan.stdinName === "" || plan.stdinName.endsWith("/")) {
    throw new UsageError(
      `Invalid --stdin-name "${plan.stdinName}": expected a file name`,
    );
  }
  // Checked here so that a bad one is a usage error before anything is listed.
  const s3Sources = positionals.filter(isS3Uri).map(parseS3Uri);
  if (plan.target.kind !== "s3") {
    // --endpoint, --region and the retries also serve s3:// paths.
    const uploadOnly = [
      "part-size",
      "concurrency",
      "content-md5",
      "payload-signing",
      "part-checksum",
      "cleanup-max-time",
    ];
    const targetOnly = s3Sources.length > 0
      ? uploadOnly
      : ["endpoint", "region", "retries", "retry-max-time", ...uploadOnly];
    for (const s3Only of targetOnly) {
      if (values[s3Only as keyof typeof values] !== undefined) {
        throw new UsageError(
          `Option --${s3Only} applies to s3:// targets only, but the output is ${output}`,
        );
      }
    }
  }
  if (s3Sources.length === 0) {
    for (const sourceOnly of ["source-endpoint", "source-region"]) {
      if (values[sourceOnly as keyof typeof values] !== undefined) {
        throw new UsageError(
          `Option --${sourceOnly} applies to s3:// paths only, but no path is one`,
        );
      }
    }
  }
  for (
    const [option, url] of [
      ["endpoint", plan.endpoint],
      ["source-endpoint", plan.sourceEndpoint],
    ]
  ) {
    if (url !== undefined && !URL.canParse(url)) {
      throw new UsageError(
        `Invalid --${option} "${url}": expected a URL such as http://127.0.0.1:8080`,
      );
    }
  }
  if (plan.resume !== undefined) checkResume(plan, output);
  return plan;
}

/** `--resume FILE` needs an S3 target and inputs that can be read again. */
function checkResume(plan: CliPlan, output: string): void {
  if (plan.resume === "") {
    throw new UsageError('Invalid --resume "": expected a checkpoint FILE');
  }
  if (plan.target.kind !== "s3") {
    throw new UsageError(
      `Option --resume applies to s3:// targets only, but the output is ${output}`,
    );
  }
  if (plan.inputs.includes("-")) {
    throw new UsageError(
      "Cannot resume an archive of standard input: - cannot be read again; give files instead",
    );
  }
}

/** `--abort-resume FILE` stands alone, with only the options that reach the server. */
function checkAbortResume(plan: CliPlan, output: string | undefined): void {
  if (plan.abortResume === "") {
    throw new UsageError(
      'Invalid --abort-resume "": expected the checkpoint FILE',
    );
  }
  if (
    plan.inputs.length > 0 || output !== undefined || plan.resume !== undefined
  ) {
    throw new UsageError(
      "Option --abort-resume FILE takes no paths, -o or --resume: it only aborts the upload FILE records",
    );
  }
}

function parsePartSize(text: string): number {
  const size = parseSize(text);
  if (size === undefined) {
    throw new UsageError(
      `Invalid --part-size "${text}": expected a size such as 8MiB, 16M or 5242880`,
    );
  }
  if (size < MIN_PART_SIZE || size > MAX_PART_SIZE) {
    throw new UsageError(
      `Invalid --part-size "${text}": expected from ${
        MIN_PART_SIZE / 1024 ** 2
      }MiB to ${
        MAX_PART_SIZE / 1024 ** 3
      }GiB (S3's limits) but got ${size} bytes`,
    );
  }
  return size;
}

/** `--retries N`: attempts per request, the first included. */
export function parseRetries(text: string): number {
  return parseWholeNumber("--retries", text, 1, MAX_ATTEMPTS);
}

/** One of `choices`, or `undefined` when the flag was not given. */
function oneOf<T extends string>(
  flag: string,
  text: string | undefined,
  choices: readonly T[],
): T | undefined {
  if (text === undefined || (choices as readonly string[]).includes(text)) {
    return text as T | undefined;
  }
  throw new UsageError(
    `Invalid ${flag} "${text}": expected one of ${choices.join(", ")}`,
  );
}

/** A time budget in seconds (`--retry-max-time 90`, `2.5`), as milliseconds. */
export function parseSeconds(flag: string, text: string): number {
  const seconds = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || seconds <= 0) {
    throw new UsageError(
      `Invalid ${flag} "${text}": expected a number of seconds greater than 0, such as 30 or 2.5`,
    );
  }
  return Math.round(seconds * 1000);
}

/** A whole number from `min` to `max`, or a usage error naming `flag`. */
export function parseWholeNumber(
  flag: string,
  text: string,
  min: number,
  max: number,
): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new UsageError(
      `Invalid ${flag} "${text}": expected a whole number from ${min} to ${max}`,
    );
  }
  return value;
}

/** parseArgs' own messages suggest Node-specific workarounds; this says it plainly. */
export function describeParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const unknown = /^Unknown option '([^']*)'/.exec(message);
  if (unknown !== null) return `Unknown option "${unknown[1]}"`;
  const missing = /^Option '(?:-\w, )?(--[\w-]+)[^']*' argument missing/.exec(
    message,
  );
  if (missing !== null) return `Option ${missing[1]} needs a value`;
  const extra = /^Option '(?:-\w, )?(--[\w-]+)' does not take an argument/
    .exec(message);
  if (extra !== null) return `Option ${extra[1]} does not take a value`;
  return message;
}
