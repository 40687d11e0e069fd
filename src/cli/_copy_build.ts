/**
 * The archive built inside S3 with `copyPlanToS3`, instead of streamed:
 * when every path is an `s3://` one on the target's server and entries are
 * stored, the objects' bytes are copied server-side and only the glue
 * (headers, small objects, the central directory) is sent. Anything else
 * streams as before; so does a run whose options only a streamed upload
 * honours, and one whose server refuses copies, each with a line saying so.
 *
 * @module
 */

import type { S3Client } from "@aws-sdk/client-s3";
import { causeChain, describeError, reasonOf } from "../_errors.ts";
import type { CopyPlanResult } from "../s3/copy_plan_to_s3.ts";
import { S3UploadError } from "../s3/s3_upload_error.ts";
import type { CreatedUpload } from "../s3/upload_options.ts";
import type { PlanEntry } from "../zip/plan_entry.ts";
import type { RangedSource } from "../zip/ranged_source.ts";
import type { ZipPlan } from "../zip/zip_plan.ts";
import type { CliPlan } from "./_args.ts";
import { CliError, findCliError, messageOf } from "./_cli_error.ts";
import { type ArchiveItem, inputBytes, toZipEntries } from "./_entries.ts";
import { hasStoredSuffix } from "./_store_suffixes.ts";
import { MIN_PART_SIZE } from "../s3/_part_size_plan.ts";
import { openDefaultCrcCache } from "./_crc_cache_file.ts";
import type { Interrupt } from "./_interrupt.ts";
import type { Journal, JournalEntry } from "./_journal.ts";
import { writeLine } from "./_progress.ts";
import { requireCredentials, s3Client } from "./_s3_client.ts";
import { serverOf } from "./_s3_sink.ts";
import type { S3ObjectItem } from "./_s3_source.ts";
import { parseS3Uri } from "./_s3_uri.ts";
import { formatSummary } from "./_summary.ts";
import { type Leftover, OutputFailure } from "./_target.ts";
import { formatAdding } from "./_verbose.ts";

/** HeadObject requests at once, as many as `s3PlanEntries` sends. */
const HEADS_AT_ONCE = 16;

/**
 * How the archive is made: built in S3 (the stored objects copied, the
 * other items streamed after them), or streamed, with the line saying why
 * when the user could expect a build.
 */
export type BuildMethod =
  | { kind: "copy"; objects: S3ObjectItem[]; appended: ArchiveItem[] }
  | { kind: "stream"; note: string | undefined };

/**
 * Whether the run can build its archive server-side: an S3 target whose
 * endpoint, region and profile the S3 objects are read with (one client
 * must both read and copy them), no `--no-copy`, and none of the options
 * only a streamed upload honours (`--resume`, the parts' size and
 * checksums, the object's storage class, encryption and metadata,
 * `--cleanup-max-time`); those stream, with a note. Then the objects whose
 * entries are stored (`-0`, or a `-n` suffix) are copied, and the other
 * items (compressed objects, files) are streamed after them: when all are
 * stored, or when at least one stored object is large enough to copy.
 */
export function chooseBuild(
  plan: CliPlan,
  items: readonly ArchiveItem[],
): BuildMethod {
  const objects: S3ObjectItem[] = [];
  const appended: ArchiveItem[] = [];
  for (const item of items) {
    const stored = plan.compression === "store" ||
      hasStoredSuffix(item.name, plan.storeSuffixes);
    if (item.kind === "object" && stored) objects.push(item);
    else appended.push(item);
  }
  const sameServer = (plan.sourceEndpoint ?? plan.endpoint) === plan.endpoint &&
    (plan.sourceRegion ?? plan.region) === plan.region;
  // Streamed entries move after the copied ones: worth it only when
  // something is copied.
  const copies = appended.length === 0 ||
    objects.some((item) => item.size >= MIN_PART_SIZE);
  if (
    plan.target.kind !== "s3" || plan.noCopy || objects.length === 0 ||
    !copies || !sameServer
  ) {
    return { kind: "stream", note: undefined };
  }
  const { object } = plan;
  const given = [
    plan.resume !== undefined && "--resume",
    plan.partSize !== undefined && "--part-size",
    plan.contentMd5 && "--content-md5",
    plan.payloadSigning !== undefined && "--payload-signing",
    plan.partChecksum !== undefined && "--part-checksum",
    object.storageClass !== undefined && "--storage-class",
    object.serverSideEncryption !== undefined && "--sse",
    object.sseKmsKeyId !== undefined && "--sse-kms-key-id",
    object.metadata !== undefined && "--metadata",
    plan.cleanupRetry.maxTime !== undefined && "--cleanup-max-time",
  ].filter((option) => option !== false);
  if (given.length > 0) {
    return {
      kind: "stream",
      note: `zipstream: ${given.join(", ")} ${
        given.length === 1 ? "needs" : "need"
      } a streamed upload; streaming instead of building server-side (--no-copy streams without this line)`,
    };
  }
  return { kind: "copy", objects, appended };
}

/** What a server-side build needs besides the objects. */
export interface CopyBuildOptions {
  plan: CliPlan;
  /** The target, `-o s3://bucket/key`. */
  bucket: string;
  key: string;
  interrupt: Interrupt;
  /** Where the build's upload is recorded while it exists, for `zipstream cleanup`. */
  journal: Journal;
}

/**
 * Builds the archive of `objects` in S3 and prints the summary, or, when
 * the server refuses copies and the failed build left nothing, prints a
 * line saying so and resolves to `false` for the caller to stream.
 *
 * @returns `true` once `copyPlanToS3` returned (the archive is stored, its
 * size checked), `false` to stream instead
 * @throws {OutputFailure} The build failed for another reason; its
 * `leftover` is what `copyPlanToS3` said it left.
 * @throws {CliError} An object could not be headed or read for its CRC-32,
 * before anything was created.
 */
export async function buildServerSide(
  { objects, appended }: Extract<BuildMethod, { kind: "copy" }>,
  options: CopyBuildOptions,
): Promise<boolean> {
  const { plan, bucket, key, interrupt, journal } = options;
  const target = `s3://${bucket}/${key}`;
  const started = performance.now();
  const [client, { copyPlanToS3 }, { planZip }] = await Promise.all([
    s3Client(plan.endpoint, plan.region, false, plan.profile),
    import("../s3/mod.ts"),
    import("../zip/plan_zip.ts"),
  ]);
  const { signal } = interrupt;
  interrupt.activity = {
    kind: "upload",
    target,
    resumeFile: undefined,
    upload: undefined,
  };
  let zipPlan: ZipPlan;
  let result: CopyPlanResult;
  let entry: JournalEntry | undefined;
  // Recorded as soon as it exists: a second Ctrl-C or a kill leaves it for
  // `zipstream cleanup`, as a streamed upload's.
  const track = async (upload: CreatedUpload) => {
    interrupt.activity = {
      kind: "upload",
      target,
      resumeFile: undefined,
      upload: { uploadId: upload.uploadId, recorded: false },
    };
    entry = await journal.record({
      uploadId: upload.uploadId,
      bucket: upload.bucket,
      key: upload.key,
      ...await serverOf(client),
      profile: plan.profile ?? (Deno.env.get("AWS_PROFILE") || null),
      resumeFile: null,
    });
    interrupt.activity = {
      kind: "upload",
      target,
      resumeFile: undefined,
      upload: { uploadId: upload.uploadId, recorded: true },
    };
  };
  let crcBytes: number;
  try {
    await requireCredentials(client, target);
    const entries = await planEntries(client, objects, signal);
    const cache = await openDefaultCrcCache();
    // planZip reads every object whose CRC-32 neither S3's checksum nor the
    // cache gives, once.
    crcBytes = entries.reduce(
      (sum, entry) =>
        sum +
        (isSource(entry.data) && entry.data.crc32 === undefined &&
            cache?.get(entry.data.identity ?? "") === undefined
          ? entry.data.size
          : 0),
      0,
    );
    zipPlan = await planZip(entries, {
      ...(plan.comment === undefined ? {} : { comment: plan.comment }),
      ...(cache === undefined ? {} : { crcCache: cache }),
      signal,
    }).catch((error: unknown) => {
      throw signal.aborted
        ? error
        : new CliError(messageOf(error).split("\n")[0] ?? "", {
          cause: error,
        });
    });
    await cache?.save().catch((error: unknown) =>
      writeLine(`zipstream: could not save the CRC cache: ${messageOf(error)}`)
    );
    result = await copyPlanToS3(zipPlan, {
      client,
      bucket,
      key,
      signal,
      retry: plan.retry,
      onUploadCreated: track,
      ...(plan.concurrency === undefined
        ? {}
        : { concurrency: plan.concurrency }),
      ...(plan.object.contentType === undefined
        ? {}
        : { contentType: plan.object.contentType }),
      ...(appended.length === 0 ? {} : {
        append: {
          entries: toZipEntries(appended, UNOBSERVED, plan.storeSuffixes),
          compression: plan.compression,
          level: plan.level,
          ...(plan.workers === undefined ? {} : { workers: plan.workers }),
        },
      }),
    });
  } catch (error) {
    const failed = causeChain(error).find((cause): cause is S3UploadError =>
      cause instanceof S3UploadError
    );
    if (failed === undefined) {
      // Refused before the build began (CreateMultipartUpload), or a
      // failure the CLI has worded already.
      throw signal.aborted || findCliError(error) !== undefined
        ? error
        : new CliError(`Cannot build ${target}: ${reasonOf(error)}`, {
          cause: error,
        });
    }
    const leftover = leftoverOf(failed, target, entry !== undefined);
    // A record of an upload shown gone only costs a later cleanup a check.
    if (leftover.kind === "upload-pending") entry?.release();
    else await entry?.remove().catch(() => {});
    const refusal = copyRefusal(failed);
    if (
      refusal !== undefined && failed.outcome === "nothing-left" &&
      !signal.aborted
    ) {
      writeLine(
        `zipstream: the server refused server-side copies (${refusal}); streaming instead`,
      );
      return false;
    }
    // An interruption is reported as such by the caller.
    throw new OutputFailure(
      leftover,
      signal.aborted ? error : new CliError(failed.message, { cause: error }),
    );
  } finally {
    client.destroy();
  }
  await entry?.remove().catch(() => {});
  if (plan.verbose) {
    for (const entry of zipPlan.entries) {
      const end = entry.dataOffset + entry.size;
      writeLine(
        formatAdding({ ...entry, end, compressedSize: entry.size }, true),
      );
    }
  }
  if (plan.progress !== "none") {
    writeLine(formatSummary({
      entries: zipPlan.entries.length + appended.length,
      bytesIn: inputBytes([...objects, ...appended]),
      bytesOut: result.size,
      elapsedMs: performance.now() - started,
      target,
      object: result,
      built: {
        bytesSent: result.bytesSent,
        bytesCopied: result.bytesCopied,
        bytesRead: result.bytesRead + crcBytes,
        streamed: appended.length,
      },
    }));
  }
  return true;
}

/**
 * The plan entries of the objects, named and dated as the streamed archive
 * names and dates them (from the listing), each object headed once for the
 * ETag every copy is pinned to and the CRC-32 S3 may keep; folder markers
 * are directories.
 */
async function planEntries(
  client: S3Client,
  objects: readonly S3ObjectItem[],
  signal: AbortSignal,
): Promise<PlanEntry[]> {
  const { s3RangedSource } = await import("../s3/mod.ts");
  const entries = new Array<PlanEntry>(objects.length);
  const queue = objects.entries();
  // After one HEAD fails the plan is lost: no worker starts another.
  let failed = false;
  const head = async () => {
    // Each worker takes the next object from the one shared iterator.
    for (const [index, item] of queue) {
      if (failed) return;
      signal.throwIfAborted();
      const time = item.entry.lastModified === undefined
        ? {}
        : { lastModified: item.entry.lastModified };
      if (item.entry.data === undefined) {
        entries[index] = { name: item.name, ...time };
        continue;
      }
      const source = await s3RangedSource(client, parseS3Uri(item.uri)).catch(
        (error: unknown) => {
          failed = true;
          throw new CliError(
            `Cannot add "${item.uri}": ${
              messageOf(error).split("\n")[0] ?? ""
            }`,
            { cause: error },
          );
        },
      );
      entries[index] = { name: item.name, data: source, ...time };
    }
  };
  await Promise.all(Array.from({ length: HEADS_AT_ONCE }, head));
  return entries;
}

/** The appended entries' reads are not shown: a build prints its summary only. */
const UNOBSERVED = { entryStarted() {}, bytesRead() {} };

function isSource(
  data: PlanEntry["data"],
): data is RangedSource {
  return typeof data === "object" && data !== null && "read" in data;
}

/**
 * A message saying copies are not supported, whatever the server's code;
 * or, as Cloudflare R2 refuses to complete an upload whose parts but the
 * last differ in size (which a build's always do), that parts must be
 * equal.
 */
const COPIES_UNSUPPORTED =
  /\bcop(y|ies|ying)\b.{0,40}\bnot (supported|implemented)|non-trailing parts must have the same (length|size)/i;

/**
 * Why the server refused to copy, when the failure says it cannot copy at
 * all: 501 Not Implemented, InvalidRequest answered to an UploadPartCopy
 * (a server without ranged copies), or a message saying copies are not
 * supported. Anything else (an object changed, access denied) is a failure
 * of its own. A generous reading costs little: streaming then fails with
 * its own error if the server cannot take an upload either.
 */
function copyRefusal(error: S3UploadError): string | undefined {
  const chain = causeChain(error);
  // The innermost cause is the server's answer; the outer ones repeat it.
  const answer = chain.at(-1) ?? error;
  const { $metadata } = answer as { $metadata?: { httpStatusCode?: unknown } };
  const copying = chain.some((cause) =>
    (cause as { operation?: unknown }).operation === "UploadPartCopy"
  );
  const refused = answer.name === "NotImplemented" ||
    $metadata?.httpStatusCode === 501 ||
    (copying && answer.name === "InvalidRequest") ||
    chain.some((cause) => COPIES_UNSUPPORTED.test(cause.message));
  return refused ? describeError(answer) : undefined;
}

/**
 * What the failed build left, as `copyPlanToS3` checked it. A build that
 * stored the archive but not removed all its seams names them in its
 * message, which is the whole report.
 */
function leftoverOf(
  failed: S3UploadError,
  target: string,
  recorded: boolean,
): Leftover {
  if (failed.outcome === "nothing-left") {
    return { kind: "upload-gone", target, uploadId: failed.uploadId };
  }
  // The upload was shown gone but seams are left: the error's own message
  // says so, and no line must call the upload pending.
  if (failed.uploadId === undefined) return { kind: "nothing" };
  return {
    kind: "upload-pending",
    target,
    uploadId: failed.uploadId,
    resumeFile: undefined,
    recorded,
  };
}
