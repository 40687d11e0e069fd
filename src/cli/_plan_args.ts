/**
 * The command lines of `zipstream plan` and `zipstream serve`, which share
 * how the archive is made (paths or a manifest, the CRC cache, S3) and
 * differ in where it goes: a manifest file, or an HTTP server.
 *
 * @module
 */

import { UsageError } from "./_cli_error.ts";
import { defaultCrcCachePath } from "./_crc_cache_file.ts";
import {
  checkGivenOnce,
  parseCommandLine,
  parseWholeNumber,
} from "./_option_values.ts";
import { isS3Uri, parseS3Uri } from "./_s3_uri.ts";

/** Which command the arguments are for. */
export type PlanCommand = "plan" | "serve";

/** What `zipstream plan` or `zipstream serve` was asked to do. */
export interface PlanArgs {
  help: boolean;
  /** Paths and `s3://` paths, when no `--manifest` is given. */
  sources: string[];
  /** `--manifest FILE`: ours or mod_zip's, instead of paths. */
  manifest: string | undefined;
  comment: string | undefined;
  exclude: string[];
  include: string[];
  followSymlinks: boolean;
  allowEscapingSymlinks: boolean;
  /** The CRC cache file; `undefined` with `--no-crc-cache` or without a home. */
  crcCache: string | undefined;
  endpoint: string | undefined;
  region: string | undefined;
  profile: string | undefined;
  quiet: boolean;
  /** `plan -o`: FILE, or `-` for standard output. */
  output: string | undefined;
  /** `serve --host`. */
  host: string;
  /** `serve --port`; 0 for a free one. */
  port: number;
  /** `serve --name`: the archive's file name and URL path. */
  name: string;
}

const SHARED = {
  manifest: { type: "string" },
  comment: { type: "string" },
  exclude: { type: "string", multiple: true, short: "x" },
  include: { type: "string", multiple: true, short: "i" },
  "follow-symlinks": { type: "boolean" },
  "allow-escaping-symlinks": { type: "boolean" },
  "crc-cache": { type: "string" },
  "no-crc-cache": { type: "boolean" },
  endpoint: { type: "string" },
  "endpoint-url": { type: "string" },
  region: { type: "string" },
  profile: { type: "string" },
  quiet: { type: "boolean", short: "q" },
  help: { type: "boolean", short: "h" },
} as const;

const OWN = {
  plan: { output: { type: "string", short: "o" } },
  serve: {
    host: { type: "string" },
    port: { type: "string" },
    name: { type: "string" },
  },
} as const;

const OPTIONS = { ...SHARED, ...OWN.plan, ...OWN.serve };

/** What the manifest decides, which paths' options cannot change. */
const PATH_ONLY = [
  "comment",
  "exclude",
  "include",
  "follow-symlinks",
  "allow-escaping-symlinks",
] as const;

/**
 * Parses the arguments after `zipstream plan` or `zipstream serve`.
 *
 * @throws {UsageError} naming the argument that is wrong and why
 */
export function parsePlanArgs(
  command: PlanCommand,
  args: readonly string[],
  env: (name: string) => string | undefined = (name) => Deno.env.get(name),
): PlanArgs {
  const { values, positionals, tokens } = parseCommandLine(args, OPTIONS);
  const other = command === "plan" ? "serve" : "plan";
  for (const option of Object.keys(OWN[other])) {
    if (values[option as keyof typeof values] !== undefined) {
      throw new UsageError(
        `Option --${option} applies to zipstream ${other} only, not to zipstream ${command}`,
      );
    }
  }
  checkGivenOnce(
    tokens,
    Object.keys(OPTIONS).filter((name) =>
      name !== "exclude" && name !== "include"
    ),
  );
  if (values["crc-cache"] !== undefined && values["no-crc-cache"] === true) {
    throw new UsageError(
      "Options --crc-cache and --no-crc-cache contradict each other: choose one",
    );
  }
  if (values.endpoint !== undefined && values["endpoint-url"] !== undefined) {
    throw new UsageError(
      "Options --endpoint and --endpoint-url are the same option: give one",
    );
  }
  const plan: PlanArgs = {
    help: values.help === true,
    sources: positionals,
    manifest: values.manifest,
    comment: values.comment,
    exclude: values.exclude ?? [],
    include: values.include ?? [],
    followSymlinks: values["follow-symlinks"] === true,
    allowEscapingSymlinks: values["allow-escaping-symlinks"] === true,
    crcCache: values["no-crc-cache"] === true
      ? undefined
      : values["crc-cache"] ?? defaultCrcCachePath(env),
    endpoint: values.endpoint ?? values["endpoint-url"],
    region: values.region,
    profile: values.profile,
    quiet: values.quiet === true,
    output: values.output,
    host: values.host ?? "127.0.0.1",
    port: values.port === undefined
      ? 0
      : parseWholeNumber("--port", values.port, 0, 65_535),
    name: values.name ?? "archive.zip",
  };
  if (plan.help) return plan;
  checkInputs(command, plan, values);
  if (command === "plan" && plan.output === undefined) {
    throw new UsageError(
      "Missing the output: expected -o FILE, or -o - for standard output",
    );
  }
  // Control characters have no place in a file name, and CR or LF would
  // end the Content-Disposition header.
  // deno-lint-ignore no-control-regex
  if (plan.name === "" || /[/\\\x00-\x1f\x7f]/.test(plan.name)) {
    throw new UsageError(
      `Invalid --name "${plan.name}": expected a file name such as archive.zip, without / or control characters`,
    );
  }
  if (plan.host === "") {
    throw new UsageError(
      'Invalid --host "": expected an address such as 127.0.0.1 or ::1',
    );
  }
  if (plan.crcCache === "") {
    throw new UsageError('Invalid --crc-cache "": expected a FILE');
  }
  if (plan.endpoint !== undefined && !URL.canParse(plan.endpoint)) {
    throw new UsageError(
      `Invalid --endpoint "${plan.endpoint}": expected a URL such as http://127.0.0.1:8080`,
    );
  }
  return plan;
}

/** Paths or a manifest, and the options that go with each. */
function checkInputs(
  command: PlanCommand,
  plan: PlanArgs,
  values: Readonly<Record<string, unknown>>,
): void {
  if (plan.manifest !== undefined) {
    if (plan.sources.length > 0) {
      throw new UsageError(
        `Option --manifest takes the place of paths, but "${
          plan.sources[0]
        }" was given too: give one or the other`,
      );
    }
    for (const option of PATH_ONLY) {
      if (values[option] !== undefined) {
        throw new UsageError(
          `Option --${option} applies to paths only: with --manifest, the manifest says what the archive holds`,
        );
      }
    }
    return;
  }
  if (plan.sources.length === 0) {
    throw new UsageError(
      `Missing what to ${command}: expected files, directories or s3:// paths, or --manifest FILE`,
    );
  }
  if (plan.sources.includes("-")) {
    throw new UsageError(
      `Cannot ${command} standard input: a planned archive reads its sources again for every request; give files instead`,
    );
  }
  const s3 = plan.sources.filter(isS3Uri);
  // Checked here so that a bad one is a usage error before anything is listed.
  s3.forEach(parseS3Uri);
  if (s3.length > 0 && (plan.exclude.length > 0 || plan.include.length > 0)) {
    throw new UsageError(
      `Options --exclude and --include apply to local paths only in zipstream ${command}, but ${
        s3[0]
      } is an S3 path`,
    );
  }
}
