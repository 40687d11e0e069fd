/**
 * The uploaded object's own fields, from `--storage-class`, `--sse`,
 * `--sse-kms-key-id`, `--content-type` and `--metadata`.
 *
 * @module
 */

import { UsageError } from "./_cli_error.ts";

/** The server-side encryption `--sse` names, as S3 spells them. */
export const SSE_MODES = ["AES256", "aws:kms", "aws:kms:dsse"] as const;

/** What the uploaded object is stored with; each member unset leaves the server's default. */
export interface ObjectOptions {
  storageClass?: string;
  serverSideEncryption?: typeof SSE_MODES[number];
  sseKmsKeyId?: string;
  contentType?: string;
  metadata?: Record<string, string>;
}

/** The option values parseArgs gave, as far as they concern the object. */
interface ObjectValues {
  "storage-class"?: string | undefined;
  sse?: string | undefined;
  "sse-kms-key-id"?: string | undefined;
  "content-type"?: string | undefined;
  metadata?: string | undefined;
}

/**
 * Checks and gathers the object's options.
 *
 * @throws {UsageError} naming the option and its value
 */
export function parseObjectOptions(values: ObjectValues): ObjectOptions {
  const options: ObjectOptions = {};
  const storageClass = values["storage-class"];
  if (storageClass !== undefined) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(storageClass)) {
      throw new UsageError(
        `Invalid --storage-class "${storageClass}": expected a class such as STANDARD_IA, GLACIER_IR or DEEP_ARCHIVE`,
      );
    }
    options.storageClass = storageClass;
  }
  const sse = values.sse;
  if (sse !== undefined) {
    const mode = SSE_MODES.find((known) => known === sse);
    if (mode === undefined) {
      throw new UsageError(
        `Invalid --sse "${sse}": expected one of ${SSE_MODES.join(", ")}`,
      );
    }
    options.serverSideEncryption = mode;
  }
  const keyId = values["sse-kms-key-id"];
  if (keyId !== undefined) {
    if (sse !== "aws:kms" && sse !== "aws:kms:dsse") {
      throw new UsageError(
        `Option --sse-kms-key-id needs --sse aws:kms or --sse aws:kms:dsse, but --sse is ${
          sse === undefined ? "not given" : `"${sse}"`
        }`,
      );
    }
    options.sseKmsKeyId = keyId;
  }
  const contentType = values["content-type"];
  if (contentType !== undefined) {
    if (!/^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/.test(contentType)) {
      throw new UsageError(
        `Invalid --content-type "${contentType}": expected a media type such as application/zip`,
      );
    }
    options.contentType = contentType;
  }
  if (values.metadata !== undefined) {
    options.metadata = parseMetadata(values.metadata);
  }
  return options;
}

/** `key=value,key2=value2`, as the AWS CLI's shorthand for `--metadata`. */
function parseMetadata(text: string): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const pair of text.split(",")) {
    const equals = pair.indexOf("=");
    const key = pair.slice(0, equals).trim();
    if (equals === -1 || !/^[A-Za-z0-9_-]+$/.test(key)) {
      throw new UsageError(
        `Invalid --metadata "${text}": expected key=value pairs separated by commas, keys of letters, digits, - and _, but got "${pair}"`,
      );
    }
    if (key.toLowerCase() in metadata) {
      throw new UsageError(
        `Invalid --metadata "${text}": key "${key}" given twice`,
      );
    }
    metadata[key.toLowerCase()] = pair.slice(equals + 1);
  }
  return metadata;
}
