/**
 * The command line, parsed with `node:util`'s `parseArgs` into a plan.
 *
 * @module
 */

import type { RetryOptions } from "../s3/upload_options.ts";
import { MAX_CONCURRENCY } from "../s3/_part_size_plan.ts";
import { MAX_WORKERS } from "../zip/_resolved_options.ts";
import type { CompressionMethod } from "../zip/zip_entry.ts";
import { UsageError } from "./_cli_error.ts";
import {
  checkAbortResume,
  checkMaxTime,
  checkQueue,
  checkResume,
} from "./_option_combinations.ts";
import { isS3Uri, parseS3Uri } from "./_s3_uri.ts";
import {
  checkGivenOnce,
  oneOf,
  parseCommandLine,
  parsePartSize,
  parseRetries,
  parseSeconds,
  parseSegmentSize,
  parseWholeNumber,
} from "./_option_values.ts";
import { LEVEL_OPTIONS, levelOf } from "./_level_flags.ts";
import { parseTarget, type Target } from "./_target.ts";
import { type ObjectOptions, parseObjectOptions } from "./_object_options.ts";
import {
  DEFAULT_STORE_SUFFIXES,
  parseStoreSuffixes,
} from "./_store_suffixes.ts";

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
  /** `-i GLOB`: only names matching one of these (all when empty). */
  include: string[];
  /** `-j`: files by their base name alone, no directory entries. */
  junkPaths: boolean;
  /** `-@`: more paths from standard input, one per line. */
  namesStdin: boolean;
  /** `-n`: name suffixes stored without compression, lowercase. */
  storeSuffixes: readonly string[];
  /** `-v`: one line per entry as it is written. */
  verbose: boolean;
  /** `--strict`: an unreadable file or directory fails the run instead of being skipped. */
  strict: boolean;
  followSymlinks: boolean;
  /** `--allow-escaping-symlinks`: store links that point outside the archive. */
  allowEscapingSymlinks: boolean;
  stdinName: string;
  /** `-e` or `--password-file`: encrypt the files with WinZip AES-256. */
  encrypt: boolean;
  /** `--password-file FILE`: where the password is, on the first line. */
  passwordFile: string | undefined;
  /** `--workers N`: deflate workers; `undefined` leaves zip()'s default. */
  workers: number | undefined;
  /** `--endpoint` or `--endpoint-url`. */
  endpoint: string | undefined;
  region: string | undefined;
  /** `--profile`: the AWS SDK profile of credentials and region. */
  profile: string | undefined;
  /** The uploaded object's fields: `--storage-class`, `--sse`, `--content-type`, `--metadata`. */
  object: ObjectOptions;
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
  /** `--max-time SECONDS`, in milliseconds: pause the upload for `--resume` then. */
  maxTime: number | undefined;
  /** `--abort-resume FILE`: abort the upload FILE records, and nothing else. */
  abortResume: string | undefined;
  /** `--no-copy`: stream into S3 even when the archive could be built there by copies. */
  noCopy: boolean;
  /** `--queue URL`: have `zipstream worker` processes write the archive in segments. */
  queue: string | undefined;
  /** `--segment-size SIZE`: input bytes per segment, with `--queue`. */
  segmentSize: number | undefined;
  /** `bar` draws the terminal bar or plain lines; `summary` only the last line; `none` nothing. */
  progress: "bar" | "summary" | "none";
}

const OPTIONS = {
  output: { type: "string", short: "o" },
  level: { type: "string" },
  store: { type: "boolean" },
  comment: { type: "string" },
  exclude: { type: "string", multiple: true, short: "x" },
  include: { type: "string", multiple: true, short: "i" },
  "junk-paths": { type: "boolean", short: "j" },
  "names-stdin": { type: "boolean", short: "@" },
  "store-suffixes": { type: "string", short: "n" },
  verbose: { type: "boolean", short: "v" },
  strict: { type: "boolean" },
  "follow-symlinks": { type: "boolean" },
  "allow-escaping-symlinks": { type: "boolean" },
  "stdin-name": { type: "string" },
  workers: { type: "string" },
  encrypt: { type: "boolean", short: "e" },
  "password-file": { type: "string" },
  endpoint: { type: "string" },
  "endpoint-url": { type: "string" },
  region: { type: "string" },
  profile: { type: "string" },
  "storage-class": { type: "string" },
  sse: { type: "string" },
  "sse-kms-key-id": { type: "string" },
  "content-type": { type: "string" },
  metadata: { type: "string" },
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
  "max-time": { type: "string" },
  "abort-resume": { type: "string" },
  "no-copy": { type: "boolean" },
  queue: { type: "string" },
  "segment-size": { type: "string" },
  "no-progress": { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
  ...LEVEL_OPTIONS,
} as const;

/**
 * Turns the arguments into a plan, or throws a {@linkcode UsageError} saying
 * which argument is wrong and why.
 */
export function parseCliArgs(args: readonly string[]): CliPlan {
  const { values, positionals, tokens } = parseCommandLine(args, OPTIONS);
  const help = values.help === true;
  const version = values.version === true;
  const progress = values.quiet === true
    ? "none"
    : values["no-progress"] === true
    ? "summary"
    : "bar";

  checkGivenOnce(tokens, SINGLE_VALUED);
  const level = levelOf(tokens, args);
  if (values.verbose === true && values.quiet === true) {
    throw new UsageError(
      "Options --verbose and --quiet contradict each other: --verbose prints a line per entry, --quiet nothing but errors; choose one",
    );
  }
  if (values.endpoint !== undefined && values["endpoint-url"] !== undefined) {
    throw new UsageError(
      "Options --endpoint and --endpoint-url are the same option: give one",
    );
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
    include: values.include ?? [],
    junkPaths: values["junk-paths"] === true,
    namesStdin: values["names-stdin"] === true,
    storeSuffixes: values["store-suffixes"] === undefined
      ? DEFAULT_STORE_SUFFIXES
      : parseStoreSuffixes(values["store-suffixes"]),
    verbose: values.verbose === true,
    strict: values.strict === true,
    followSymlinks: values["follow-symlinks"] === true,
    allowEscapingSymlinks: values["allow-escaping-symlinks"] === true,
    stdinName: values["stdin-name"] ?? "-",
    encrypt: values.encrypt === true || values["password-file"] !== undefined,
    passwordFile: values["password-file"],
    workers: values.workers === undefined
      ? undefined
      : parseWholeNumber("--workers", values.workers, 0, MAX_WORKERS),
    endpoint: values.endpoint ?? values["endpoint-url"],
    region: values.region,
    profile: values.profile,
    object: parseObjectOptions(values),
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
    maxTime: values["max-time"] === undefined
      ? undefined
      : parseSeconds("--max-time", values["max-time"]),
    abortResume: values["abort-resume"],
    noCopy: values["no-copy"] === true,
    queue: values.queue,
    segmentSize: values["segment-size"] === undefined
      ? undefined
      : parseSegmentSize(values["segment-size"]),
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
  plan.target = parseTarget(
    output,
    plan.namesStdin ? undefined : positionals,
  );
  if (positionals.length === 0 && !plan.namesStdin) {
    throw new UsageError(
      "Missing the paths to add: expected at least one file, directory or -, or -@ to read them from standard input",
    );
  }
  if (positionals.filter((path) => path === "-").length > 1) {
    throw new UsageError(
      "Cannot read standard input twice: expected - at most once among the paths",
    );
  }
  if (plan.namesStdin && positionals.includes("-")) {
    throw new UsageError(
      "Cannot read standard input twice: -@ reads the paths from it, so - cannot be one of them",
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
      "no-copy",
      "storage-class",
      "sse",
      "sse-kms-key-id",
      "content-type",
      "metadata",
    ];
    const targetOnly = s3Sources.length > 0 ? uploadOnly : [
      "endpoint",
      "endpoint-url",
      "region",
      "profile",
      "retries",
      "retry-max-time",
      ...uploadOnly,
    ];
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
      [
        values.endpoint === undefined ? "endpoint-url" : "endpoint",
        plan.endpoint,
      ],
      ["source-endpoint", plan.sourceEndpoint],
    ]
  ) {
    if (url !== undefined && !URL.canParse(url)) {
      throw new UsageError(
        `Invalid --${option} "${url}": expected a URL such as http://127.0.0.1:8080`,
      );
    }
  }
  if (plan.passwordFile === "") {
    throw new UsageError(
      'Invalid --password-file "": expected a FILE whose first line is the password',
    );
  }
  // The queue first: it rules out --resume, which --max-time would ask for.
  if (plan.queue !== undefined) checkQueue(plan);
  if (plan.resume !== undefined) checkResume(plan, output);
  if (plan.maxTime !== undefined) checkMaxTime(plan);
  return plan;
}

/** Options that take one value, which a second one would silently replace. */
const SINGLE_VALUED = Object.entries(OPTIONS)
  .filter(([, option]) => option.type === "string" && !("multiple" in option))
  .map(([name]) => name);
