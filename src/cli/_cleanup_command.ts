/**
 * `zipstream cleanup`: aborts multipart uploads left behind, so that their
 * parts stop being billed.
 *
 * - `zipstream cleanup`: the journal's uploads whose process is gone, with
 *   the full cleanup budget (every run makes the same pass briefly);
 * - `zipstream cleanup s3://bucket/prefix --older-than AGE`: every
 *   incomplete upload under the prefix initiated more than AGE ago, recorded
 *   or not (a run on another machine, another tool, a lost journal).
 *
 * `--dry-run` lists what would be aborted. Each upload gets one line saying
 * what the server confirmed.
 *
 * @module
 */

import type { S3Client } from "@aws-sdk/client-s3";
import { parseArgs } from "node:util";
import { describeError } from "../_errors.ts";
import type { RetryOptions } from "../s3/upload_options.ts";
import {
  describeAbort,
  formatTime,
  sweepJournal,
} from "./_abandoned_uploads.ts";
import {
  describeParseError,
  parseRetries,
  parseSeconds,
} from "./_option_values.ts";
import {
  CliError,
  EXIT_FAILURE,
  EXIT_USAGE,
  messageOf,
  UsageError,
} from "./_cli_error.ts";
import { HELP } from "./_help.ts";
import { Interrupt } from "./_interrupt.ts";
import { Journal, journalDirectory } from "./_journal.ts";
import { writeLine } from "./_progress.ts";
import { s3Client } from "./_s3_client.ts";
import { sweepSeams } from "./_seam_sweep.ts";
import { isS3Uri, parseS3Uri } from "./_s3_uri.ts";

const DURATION_UNITS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** What `zipstream cleanup` was asked to do. */
export interface CleanupPlan {
  help: boolean;
  /** `s3://bucket/prefix`: sweep the bucket instead of the journal. */
  bucket: { bucket: string; prefix: string } | undefined;
  /** `--older-than`, in milliseconds. */
  olderThan: number | undefined;
  dryRun: boolean;
  endpoint: string | undefined;
  region: string | undefined;
  /** `--profile`: the SDK profile of the credentials for s3://bucket/prefix. */
  profile: string | undefined;
  /** `--retries` and `--cleanup-max-time`, for each request. */
  retry: RetryOptions;
  quiet: boolean;
}

/** Parses the arguments after `zipstream cleanup`. */
export function parseCleanupArgs(args: readonly string[]): CleanupPlan {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        "older-than": { type: "string" },
        "dry-run": { type: "boolean" },
        endpoint: { type: "string" },
        region: { type: "string" },
        profile: { type: "string" },
        retries: { type: "string" },
        "cleanup-max-time": { type: "string" },
        quiet: { type: "boolean", short: "q" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(describeParseError(error));
  }
  const { values, positionals } = parsed;
  const plan: CleanupPlan = {
    help: values.help === true,
    bucket: undefined,
    olderThan: values["older-than"] === undefined
      ? undefined
      : parseDuration(values["older-than"]),
    dryRun: values["dry-run"] === true,
    endpoint: values.endpoint,
    region: values.region,
    profile: values.profile,
    retry: {
      ...(values.retries === undefined
        ? {}
        : { attempts: parseRetries(values.retries) }),
      ...(values["cleanup-max-time"] === undefined ? {} : {
        maxTime: parseSeconds("--cleanup-max-time", values["cleanup-max-time"]),
      }),
    },
    quiet: values.quiet === true,
  };
  if (plan.help) return plan;
  if (positionals.length > 1) {
    throw new UsageError(
      `Cleanup takes at most one s3://bucket/prefix, but got ${positionals.length} paths`,
    );
  }
  const [uri] = positionals;
  if (uri === undefined) {
    for (
      const option of ["older-than", "endpoint", "region", "profile"] as const
    ) {
      if (values[option] !== undefined) {
        throw new UsageError(
          `Option --${option} applies to "zipstream cleanup s3://bucket/prefix" only: the journal records each upload's server and profile`,
        );
      }
    }
    return plan;
  }
  if (!isS3Uri(uri)) {
    throw new UsageError(
      `Invalid cleanup path "${uri}": expected s3://bucket/prefix`,
    );
  }
  const { bucket, key } = parseS3Uri(uri);
  if (plan.olderThan === undefined) {
    throw new UsageError(
      `Missing --older-than for ${uri}: expected an age such as --older-than 1d, so that uploads in progress are spared`,
    );
  }
  if (
    plan.endpoint !== undefined && !URL.canParse(plan.endpoint)
  ) {
    throw new UsageError(
      `Invalid --endpoint "${plan.endpoint}": expected a URL such as http://127.0.0.1:8080`,
    );
  }
  plan.bucket = { bucket, prefix: key };
  return plan;
}

/** `--older-than`: `90s`, `30m`, `12h`, `1d`, in milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)([smhd])$/.exec(text);
  const amount = Number(match?.[1]);
  if (match === null || amount === 0) {
    throw new UsageError(
      `Invalid --older-than "${text}": expected a whole number greater than 0 and a unit, s, m, h or d, such as 30m, 12h or 1d`,
    );
  }
  return amount * DURATION_UNITS[match[2] as keyof typeof DURATION_UNITS];
}

/**
 * `zipstream cleanup [s3://bucket/prefix --older-than AGE] [--dry-run]`:
 * resolves to the exit code: 0 when every upload it meant to abort is gone
 * (or, with `--dry-run`, was listed), 1 when one could not be shown gone or
 * the journal or the bucket could not be read, 2 for a usage error, 130 /
 * 143 when interrupted.
 */
export async function runCleanup(args: readonly string[]): Promise<number> {
  let plan: CleanupPlan;
  try {
    plan = parseCleanupArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    writeLine(`zipstream: ${error.message}`);
    writeLine("Try 'zipstream --help' for more information");
    return EXIT_USAGE;
  }
  if (plan.help) {
    const writer = Deno.stdout.writable.getWriter();
    await writer.write(new TextEncoder().encode(HELP));
    writer.releaseLock();
    return 0;
  }
  using interrupt = new Interrupt();
  interrupt.activity = { kind: "cleanup" };
  let failures: number;
  try {
    const journal = new Journal(journalDirectory());
    failures = plan.bucket === undefined
      ? await sweepJournal(journal, {
        retry: plan.retry,
        signal: interrupt.signal,
        dryRun: plan.dryRun,
        reportLive: true,
        quiet: plan.quiet,
      })
      : await sweepBucket(plan, plan.bucket, journal, interrupt.signal);
  } catch (error) {
    writeLine(
      `zipstream: ${messageOf(error)}`,
    );
    failures = 1;
  }
  const interruption = interrupt.reason;
  if (interruption !== undefined) {
    writeLine(`zipstream: ${interruption.message}`);
    return interruption.exitCode;
  }
  return failures === 0 ? 0 : EXIT_FAILURE;
}

/**
 * Aborts the incomplete uploads under a prefix initiated before now −
 * `--older-than`, then removes the seam folders of server-side builds last
 * written before it.
 */
async function sweepBucket(
  plan: CleanupPlan,
  where: { bucket: string; prefix: string },
  journal: Journal,
  signal: AbortSignal,
): Promise<number> {
  const { bucket, prefix } = where;
  const cutoff = new Date(Date.now() - (plan.olderThan ?? 0));
  const say = (line: string) => {
    if (!plan.quiet) writeLine(`zipstream: ${line}`);
  };
  const client = await s3Client(
    plan.endpoint,
    plan.region,
    false,
    plan.profile,
  );
  let failures = 0;
  let found = 0;
  try {
    const { abortUpload } = await import("../s3/mod.ts");
    for await (const upload of listIncompleteUploads(client, where, signal)) {
      if (upload.initiated >= cutoff) continue;
      found++;
      const what =
        `upload ID ${upload.uploadId} of s3://${bucket}/${upload.key}`;
      const initiated = `initiated ${formatTime(upload.initiated)}`;
      if (plan.dryRun) {
        say(`would abort ${what} (${initiated})`);
        continue;
      }
      try {
        const result = await abortUpload({
          client,
          bucket,
          key: upload.key,
          uploadId: upload.uploadId,
          retry: plan.retry,
          signal,
        });
        say(describeAbort(result, initiated));
        await journal.forget(result);
      } catch (error) {
        failures++;
        writeLine(
          `zipstream: ${messageOf(error)}`,
        );
      }
    }
    if (found === 0) {
      say(
        `no incomplete upload under s3://${bucket}/${prefix} was initiated before ${
          formatTime(cutoff)
        }`,
      );
    }
    // Then what killed server-side builds left besides uploads, unless
    // interrupted, which the caller reports.
    if (!signal.aborted) {
      failures += await sweepSeams(client, plan, where, signal).catch(
        (error: unknown) => {
          if (signal.aborted) return 0;
          writeLine(`zipstream: ${messageOf(error)}`);
          return 1;
        },
      );
    }
  } finally {
    client.destroy();
  }
  return failures;
}

/** An incomplete multipart upload as ListMultipartUploads gives it. */
export interface IncompleteUpload {
  key: string;
  uploadId: string;
  initiated: Date;
}

/**
 * Every incomplete multipart upload under `prefix`, page after page.
 *
 * @throws {CliError} A listing request failed, or a truncated page gave no
 * marker to continue from.
 */
export async function* listIncompleteUploads(
  client: Pick<S3Client, "send">,
  where: { bucket: string; prefix: string },
  signal: AbortSignal,
): AsyncGenerator<IncompleteUpload> {
  const { ListMultipartUploadsCommand } = await import("@aws-sdk/client-s3");
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  const cannot =
    `Cannot list the incomplete uploads of s3://${where.bucket}/${where.prefix}`;
  for (;;) {
    const page = await client.send(
      new ListMultipartUploadsCommand({
        Bucket: where.bucket,
        Prefix: where.prefix,
        ...(keyMarker === undefined ? {} : { KeyMarker: keyMarker }),
        ...(uploadIdMarker === undefined
          ? {}
          : { UploadIdMarker: uploadIdMarker }),
      }),
      { abortSignal: signal },
    ).catch((error: unknown) => {
      throw new CliError(`${cannot}: ${describeError(error)}`, {
        cause: error,
      });
    });
    for (const upload of page.Uploads ?? []) {
      if (
        upload.Key === undefined || upload.UploadId === undefined ||
        upload.Initiated === undefined
      ) continue;
      yield {
        key: upload.Key,
        uploadId: upload.UploadId,
        initiated: upload.Initiated,
      };
    }
    if (page.IsTruncated !== true) return;
    if (page.NextKeyMarker === undefined) {
      throw new CliError(
        `${cannot}: a truncated page gave no NextKeyMarker to continue from`,
      );
    }
    keyMarker = page.NextKeyMarker;
    uploadIdMarker = page.NextUploadIdMarker;
  }
}
