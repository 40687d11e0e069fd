/**
 * `s3://` path arguments: the objects they name, listed with `s3Entries`
 * before the archive starts (so the progress bar has a total and stored
 * archives an exact length), and read only when the archive reaches them.
 *
 * @module
 */

import { messageOf } from "../_errors.ts";
import type { S3Client } from "@aws-sdk/client-s3";
import type { ZipEntry } from "../zip/zip_entry.ts";
import type { RetryOptions } from "../s3/upload_options.ts";
import { CliError } from "./_cli_error.ts";
import type { Excluder } from "./_glob.ts";
import { requireCredentials, s3Client } from "./_s3_client.ts";
import { parseS3Uri } from "./_s3_uri.ts";

/** One object (or folder marker, a key ending in `/`) to archive. */
export interface S3ObjectItem {
  kind: "object";
  /** The archive name. */
  name: string;
  /** Bytes, from the listing; 0 for a folder marker. */
  size: number;
  /** `s3://bucket/key`, for messages. */
  uri: string;
  /** The entry `s3Entries` made, its data not yet read. */
  entry: ZipEntry;
}

/** Where the objects are read from. */
export interface S3SourceOptions {
  /** `--source-endpoint`, else `--endpoint`; else the environment's. */
  endpoint: string | undefined;
  /** `--source-region`, else `--region`; else the environment's. */
  region: string | undefined;
  /** `--profile`: the SDK profile of credentials and region. */
  profile?: string | undefined;
  /** Names to leave out. */
  excluder: Excluder;
  /** Stops listing, and lets go of objects fetched ahead. */
  signal: AbortSignal;
  /** `--retries`, `--retry-max-time`: the budget of each listing and read. */
  retry: RetryOptions;
}

/** S3 error codes that mean the listing can never succeed, as the CLI says them. */
const LISTING_REFUSALS: Record<string, (bucket: string) => string> = {
  NoSuchBucket: (bucket) => `no bucket named "${bucket}"`,
  AccessDenied: () => "access denied",
  AllAccessDisabled: () => "access denied",
  InvalidAccessKeyId: () => "the server does not know the access key",
  SignatureDoesNotMatch: () => "the server refused the secret key",
};

/**
 * Lists the objects of `s3://` paths with one client, made on first use and
 * destroyed with `using`.
 */
export class S3Sources implements Disposable {
  #options: S3SourceOptions;
  #client: S3Client | undefined;
  /** Aborted on dispose, so objects fetched ahead of a failed archive let go. */
  #done = new AbortController();
  #signal: AbortSignal;

  constructor(options: S3SourceOptions) {
    this.#options = options;
    this.#signal = AbortSignal.any([options.signal, this.#done.signal]);
  }

  /**
   * The objects `path` names, in key order: everything under a prefix
   * ending in `/` (named from the prefix's last folder on, as a directory
   * argument is), or the one object with that key, or else the folder.
   *
   * @throws {CliError} naming the path: no such bucket, access denied, no
   * objects under it, or the listing's own failure
   */
  async list(path: string): Promise<S3ObjectItem[]> {
    const { bucket, key } = parseS3Uri(path);
    const { s3Entries } = await import("../s3/mod.ts");
    const client = await this.#connect(path);
    const { excluder } = this.#options;
    const signal = this.#signal;
    const uri = (objectKey: string) => `s3://${bucket}/${objectKey}`;
    const listFolder = async (
      prefix: string,
      nothing: string,
    ): Promise<S3ObjectItem[]> => {
      // "x/logs/" -> "logs/": the folder the archive names, like a directory argument.
      const top = prefix.slice(prefix.lastIndexOf("/", prefix.length - 2) + 1);
      if (top !== "" && excluder.excludes(top.slice(0, -1))) return [];
      const items: S3ObjectItem[] = [];
      let listed = 0;
      for await (
        const entry of s3Entries({
          client,
          bucket,
          prefix,
          signal,
          retry: this.#options.retry,
        })
      ) {
        listed++;
        const name = top + entry.name;
        if (excluded(name, excluder)) continue;
        items.push({
          kind: "object",
          name,
          size: entry.size ?? 0,
          uri: uri(prefix + entry.name),
          entry,
        });
      }
      if (listed === 0) throw new CliError(`Cannot add "${path}": ${nothing}`);
      return items;
    };

    try {
      if (key === "" || key.endsWith("/")) {
        return await listFolder(key, "no objects under that prefix");
      }
      // The key itself, when it exists, is the first key the listing gives:
      // every other key that starts with it is longer.
      const base = key.slice(key.lastIndexOf("/") + 1);
      const probe = s3Entries({
        client,
        bucket,
        prefix: key,
        pageSize: 1,
        readAhead: 0,
        signal,
        retry: this.#options.retry,
      })[Symbol.asyncIterator]();
      const first = await probe.next();
      if (first.done !== true && first.value.name === base) {
        // The probe is left suspended, not returned: returning would cancel
        // the entry it gave.
        if (excluded(base, excluder)) return [];
        return [{
          kind: "object",
          name: base,
          size: first.value.size ?? 0,
          uri: uri(key),
          entry: first.value,
        }];
      }
      await probe.return?.();
      return await listFolder(
        `${key}/`,
        `no object with that key and no objects under "${key}/"`,
      );
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(
        `Cannot add "${path}": ${describeListingError(error, bucket)}`,
        { cause: error },
      );
    }
  }

  [Symbol.dispose](): void {
    this.#done.abort(new Error("The archive is finished"));
    this.#client?.destroy();
  }

  async #connect(path: string): Promise<S3Client> {
    if (this.#client !== undefined) return this.#client;
    const { endpoint, region, profile } = this.#options;
    const client = await s3Client(endpoint, region, false, profile);
    try {
      await requireCredentials(client, path);
    } catch (error) {
      client.destroy();
      throw error;
    }
    this.#client = client;
    return this.#client;
  }
}

/** Whether `--exclude` leaves out `name` or one of the folders it is in. */
function excluded(name: string, excluder: Excluder): boolean {
  const path = name.endsWith("/") ? name.slice(0, -1) : name;
  for (let slash = path.indexOf("/"); slash !== -1;) {
    if (excluder.excludes(path.slice(0, slash))) return true;
    slash = path.indexOf("/", slash + 1);
  }
  return excluder.excludes(path);
}

/** The reason a listing failed: the S3 error code said plainly, else the listing's message. */
function describeListingError(error: unknown, bucket: string): string {
  for (
    let current: unknown = error, depth = 0;
    current instanceof Error && depth < 8;
    current = current.cause, depth++
  ) {
    const refusal = LISTING_REFUSALS[current.name];
    if (refusal !== undefined) {
      return `${refusal(bucket)} (${current.name})`;
    }
  }
  const message = messageOf(error);
  // s3Entries says "Cannot list s3://bucket/prefix: ..."; the path is named already.
  return message.replace(/^Cannot list \S+: /, "").split("\n")[0] ?? "";
}

/**
 * The object's bytes as the archive reads them, counted for the progress
 * display; a read that fails becomes a one-line {@linkcode CliError}.
 */
export function objectSource(
  item: S3ObjectItem,
  bytesRead: (count: number) => void,
): ReadableStream<Uint8Array> {
  const reader = (item.entry.data as ReadableStream<Uint8Array>).getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (error) {
        const message = messageOf(error);
        throw new CliError(message.split("\n")[0] ?? "", { cause: error });
      }
      if (result.done) {
        controller.close();
        return;
      }
      bytesRead(result.value.byteLength);
      controller.enqueue(result.value);
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
}
