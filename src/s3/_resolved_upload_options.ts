/**
 * Checks `UploadOptions` and fills in their defaults, once, before anything
 * is sent.
 *
 * @module
 */

import type { PutObjectCommandInput, StorageClass } from "@aws-sdk/client-s3";
import type { S3ClientLike } from "./s3_client_like.ts";
import type { UploadOptions, UploadProgress } from "./upload_options.ts";
import {
  checkpointOffset,
  parseUploadCheckpoint,
  type UploadCheckpoint,
} from "./upload_checkpoint.ts";
import type { RetryPolicy } from "./_retry.ts";
import {
  checkClientAndBucket,
  checkInteger,
  CLEANUP_RETRY,
  type Fail,
  failer,
  isStringRecord,
  resolveRetryPolicy,
  show,
} from "./_option_checks.ts";
import {
  DEFAULT_PART_SIZE,
  MAX_CONCURRENCY,
  MAX_PART_SIZE,
  MAX_UPLOAD_SIZE,
  MIN_PART_SIZE,
} from "./_part_size_plan.ts";
import {
  PAYLOAD_SIGNING_MODES,
  type PayloadSigning,
} from "./_payload_signing.ts";

/** S3's longest key, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;

/** Every option checked, every default filled in. */
export interface ResolvedUploadOptions {
  client: S3ClientLike;
  bucket: string;
  key: string;
  partSize: number;
  concurrency: number;
  contentMd5: boolean;
  payloadSigning: PayloadSigning;
  partChecksum: "crc32" | "none";
  contentLength: number | undefined;
  signal: AbortSignal | undefined;
  onProgress: ((progress: UploadProgress) => void) | undefined;
  contentType: string;
  contentDisposition: string | undefined;
  metadata: Record<string, string> | undefined;
  tagging: string | undefined;
  storageClass: StorageClass | undefined;
  serverSideEncryption: "AES256" | "aws:kms" | "aws:kms:dsse" | undefined;
  sseKmsKeyId: string | undefined;
  retry: RetryPolicy;
  cleanupRetry: RetryPolicy;
  onCheckpoint:
    | ((checkpoint: UploadCheckpoint) => void | Promise<void>)
    | undefined;
  onUploadCreated: UploadOptions["onUploadCreated"];
  resume: UploadCheckpoint | undefined;
  bodyOffset: number;
  abortOnFailure: boolean;
  /** `deadline`, in milliseconds since the epoch. */
  deadline: number | undefined;
}

/**
 * Validates `options` and returns them with defaults.
 *
 * @throws {TypeError} An option of the wrong type, naming the option and value.
 * @throws {RangeError} An option out of range, naming the option and value.
 */
export function resolveUploadOptions(
  options: UploadOptions,
): ResolvedUploadOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `Cannot upload to S3: expected an options object with client, bucket and key but got ${
        show(options)
      }`,
    );
  }
  const {
    client,
    bucket,
    key,
    resume,
    partSize = resume?.partSize ?? DEFAULT_PART_SIZE,
    concurrency = 4,
    contentMd5 = false,
    payloadSigning = "auto",
    partChecksum = "crc32",
    contentLength = resume?.contentLength,
    signal,
    onProgress,
    contentType = "application/zip",
    contentDisposition,
    metadata,
    tagging,
    storageClass,
    serverSideEncryption,
    sseKmsKeyId,
    retry = {},
    cleanupRetry = {},
    onCheckpoint,
    onUploadCreated,
    bodyOffset = 0,
    abortOnFailure = true,
    deadline,
  } = options;
  const fail = failer(
    typeof bucket === "string" && typeof key === "string"
      ? `upload to s3://${bucket}/${key}`
      : "upload to S3",
  );

  checkClientAndBucket(client, bucket, fail);
  if (typeof key !== "string" || key === "") {
    fail(TypeError, "key", "a non-empty string", key);
  }
  if (new TextEncoder().encode(key).length > MAX_KEY_BYTES) {
    fail(
      RangeError,
      "key",
      `at most ${MAX_KEY_BYTES} bytes of UTF-8`,
      `${key.slice(0, 40)}... (${new TextEncoder().encode(key).length} bytes)`,
    );
  }
  checkInteger("partSize", partSize, MIN_PART_SIZE, MAX_PART_SIZE, fail);
  checkInteger("concurrency", concurrency, 1, MAX_CONCURRENCY, fail);
  if (typeof contentMd5 !== "boolean") {
    fail(TypeError, "contentMd5", "a boolean", contentMd5);
  }
  if (!PAYLOAD_SIGNING_MODES.includes(payloadSigning)) {
    fail(
      TypeError,
      "payloadSigning",
      `one of ${PAYLOAD_SIGNING_MODES.map((mode) => `"${mode}"`).join(", ")}`,
      payloadSigning,
    );
  }
  if (partChecksum !== "crc32" && partChecksum !== "none") {
    fail(TypeError, "partChecksum", '"crc32" or "none"', partChecksum);
  }
  if (contentLength !== undefined) {
    checkInteger("contentLength", contentLength, 0, MAX_UPLOAD_SIZE, fail);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    fail(TypeError, "signal", "an AbortSignal", signal);
  }
  if (onProgress !== undefined && typeof onProgress !== "function") {
    fail(TypeError, "onProgress", "a function", onProgress);
  }
  if (typeof contentType !== "string" || contentType === "") {
    fail(TypeError, "contentType", "a non-empty string", contentType);
  }
  if (
    contentDisposition !== undefined && typeof contentDisposition !== "string"
  ) {
    fail(TypeError, "contentDisposition", "a string", contentDisposition);
  }
  if (metadata !== undefined && !isStringRecord(metadata)) {
    fail(TypeError, "metadata", "a record of strings", metadata);
  }
  if (
    tagging !== undefined && typeof tagging !== "string" &&
    !isStringRecord(tagging)
  ) {
    fail(
      TypeError,
      "tagging",
      "a query string or a record of strings",
      tagging,
    );
  }
  if (
    storageClass !== undefined &&
    (typeof storageClass !== "string" || storageClass.length === 0)
  ) {
    fail(TypeError, "storageClass", "a non-empty string", storageClass);
  }
  if (
    serverSideEncryption !== undefined &&
    !["AES256", "aws:kms", "aws:kms:dsse"].includes(serverSideEncryption)
  ) {
    fail(
      TypeError,
      "serverSideEncryption",
      '"AES256", "aws:kms" or "aws:kms:dsse"',
      serverSideEncryption,
    );
  }
  if (
    sseKmsKeyId !== undefined &&
    (typeof sseKmsKeyId !== "string" || sseKmsKeyId.length === 0 ||
      !serverSideEncryption?.startsWith("aws:kms"))
  ) {
    fail(
      TypeError,
      "sseKmsKeyId",
      'a non-empty string, with serverSideEncryption "aws:kms" or "aws:kms:dsse"',
      sseKmsKeyId,
    );
  }
  const policy = resolveRetryPolicy(retry, fail);
  const cleanupPolicy = resolveRetryPolicy(
    cleanupRetry,
    fail,
    "cleanupRetry",
    CLEANUP_RETRY,
  );
  if (onCheckpoint !== undefined && typeof onCheckpoint !== "function") {
    fail(TypeError, "onCheckpoint", "a function", onCheckpoint);
  }
  if (onUploadCreated !== undefined && typeof onUploadCreated !== "function") {
    fail(TypeError, "onUploadCreated", "a function", onUploadCreated);
  }
  if (typeof abortOnFailure !== "boolean") {
    fail(TypeError, "abortOnFailure", "a boolean", abortOnFailure);
  }
  if (resume !== undefined) {
    checkResume(resume, { bucket, key, partSize, contentLength }, fail);
  }
  const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
  if (
    deadlineMs !== undefined &&
    (typeof deadlineMs !== "number" || !Number.isFinite(deadlineMs))
  ) {
    fail(
      TypeError,
      "deadline",
      "a Date or milliseconds since the epoch",
      deadline,
    );
  }
  if (deadlineMs !== undefined && onCheckpoint === undefined) {
    fail(
      TypeError,
      "onCheckpoint",
      "a function with deadline (a paused upload resumes from its checkpoint)",
      onCheckpoint,
    );
  }
  checkInteger("bodyOffset", bodyOffset, 0, MAX_UPLOAD_SIZE, fail);
  if (bodyOffset !== 0) {
    const ends = resume === undefined ? [] : gaplessPartEnds(resume);
    if (!ends.includes(bodyOffset)) {
      fail(
        RangeError,
        "bodyOffset",
        resume === undefined
          ? "0 without resume"
          : `0 or the end of a part from part 1 up to ${
            checkpointOffset(resume)
          } (checkpointOffset)`,
        bodyOffset,
      );
    }
  }

  return {
    client,
    bucket,
    key,
    partSize,
    concurrency,
    contentMd5,
    payloadSigning,
    partChecksum,
    contentLength,
    signal,
    onProgress,
    contentType,
    contentDisposition,
    metadata: metadata === undefined ? undefined : { ...metadata },
    tagging: typeof tagging === "object"
      ? new URLSearchParams(tagging).toString()
      : tagging,
    // The SDK types the known classes; S3-compatible servers may have others.
    storageClass: storageClass as StorageClass | undefined,
    serverSideEncryption,
    sseKmsKeyId,
    retry: policy,
    cleanupRetry: cleanupPolicy,
    onCheckpoint,
    onUploadCreated,
    resume,
    bodyOffset,
    abortOnFailure,
    deadline: deadlineMs,
  };
}

/** Checks that `resume` is a checkpoint of this upload, with its part plan. */
function checkResume(
  resume: unknown,
  given: {
    bucket: string;
    key: string;
    partSize: number;
    contentLength: number | undefined;
  },
  fail: Fail,
): void {
  let checkpoint: UploadCheckpoint;
  try {
    checkpoint = parseUploadCheckpoint(resume);
  } catch (error) {
    const Kind = error instanceof RangeError ? RangeError : TypeError;
    throw new Kind(
      `Cannot upload to s3://${given.bucket}/${given.key}: invalid option "resume": ${
        (error as Error).message
      }`,
      { cause: error },
    );
  }
  const target = `s3://${checkpoint.bucket}/${checkpoint.key}`;
  if (checkpoint.bucket !== given.bucket || checkpoint.key !== given.key) {
    fail(
      RangeError,
      "resume",
      `a checkpoint of s3://${given.bucket}/${given.key}`,
      `a checkpoint of ${target}`,
    );
  }
  if (given.partSize !== checkpoint.partSize) {
    fail(
      RangeError,
      "partSize",
      `the checkpoint's ${checkpoint.partSize}, since parts must be cut at the same bytes`,
      given.partSize,
    );
  }
  if (given.contentLength !== checkpoint.contentLength) {
    fail(
      RangeError,
      "contentLength",
      `the checkpoint's ${
        checkpoint.contentLength ?? "undefined (unknown)"
      }; a body of another length means the inputs changed`,
      given.contentLength,
    );
  }
}

/** The ends of the checkpoint's parts that run without a gap from part 1. */
function gaplessPartEnds(checkpoint: UploadCheckpoint): number[] {
  const ends: number[] = [];
  for (const [index, part] of checkpoint.parts.entries()) {
    if (part.partNumber !== index + 1) break;
    ends.push(part.offset + part.size);
  }
  return ends;
}

/** The object's fields besides its body, as PutObject takes them. */
export type ObjectFields = Omit<
  PutObjectCommandInput,
  "Bucket" | "Key" | "Body" | "ContentLength" | "ContentMD5"
>;

/** The object's fields from the upload's options, for CreateMultipartUpload or PutObject. */
export function objectFieldsOf(
  o: Pick<
    ResolvedUploadOptions,
    | "contentType"
    | "contentDisposition"
    | "metadata"
    | "tagging"
    | "storageClass"
    | "serverSideEncryption"
    | "sseKmsKeyId"
  >,
): ObjectFields {
  return {
    ContentType: o.contentType,
    ContentDisposition: o.contentDisposition,
    Metadata: o.metadata,
    Tagging: o.tagging,
    StorageClass: o.storageClass,
    ServerSideEncryption: o.serverSideEncryption,
    SSEKMSKeyId: o.sseKmsKeyId,
  };
}
