/**
 * The one method of the SDK's `S3Client` that zipstream needs.
 *
 * @module
 */

/**
 * A command as `send` receives it: an instance of one of the SDK's command
 * classes (`PutObjectCommand`, `UploadPartCommand`, `GetObjectCommand`, ...),
 * of which zipstream reads nothing but the class and `input`. Structural, so
 * that this package's public types do not depend on the SDK's.
 *
 * @example A client that records the commands it is sent
 * ```ts
 * import assert from "node:assert/strict";
 * import { HeadObjectCommand } from "@aws-sdk/client-s3";
 * import type { S3ClientLike, S3Command } from "@zipstream/zipstream/s3";
 *
 * const sent: S3Command[] = [];
 * const client: S3ClientLike = {
 *   send: (command) => {
 *     sent.push(command);
 *     return Promise.resolve({});
 *   },
 * };
 * await client.send(new HeadObjectCommand({ Bucket: "b", Key: "k" }));
 * assert.equal(sent[0]?.constructor.name, "HeadObjectCommand");
 * ```
 */
export interface S3Command {
  /** The command's parameters, e.g. `{ Bucket, Key, UploadId, PartNumber, Body }`. */
  readonly input: object;
}

/**
 * What zipstream asks of its client: `send(command, { abortSignal })`
 * answering with the command's output. An `S3Client` from
 * `@aws-sdk/client-s3` is one; so is a test double that records the commands
 * and answers them itself, which is how zipstream's own tests run without
 * module mocking.
 *
 * @example A client that answers HeadObject
 * ```ts
 * import assert from "node:assert/strict";
 * import { HeadObjectCommand } from "@aws-sdk/client-s3";
 * import type { S3ClientLike } from "@zipstream/zipstream/s3";
 *
 * const client: S3ClientLike = {
 *   send: (command) =>
 *     Promise.resolve(
 *       command instanceof HeadObjectCommand ? { ContentLength: 7 } : {},
 *     ),
 * };
 * const head = await client.send(new HeadObjectCommand({ Bucket: "b", Key: "k" }));
 * assert.deepEqual(head, { ContentLength: 7 });
 * ```
 */
export interface S3ClientLike {
  /**
   * Sends one command.
   *
   * @param command The SDK command.
   * @param options `abortSignal` ends the request early (timeouts, abort).
   * @returns The command's output, e.g. `UploadPartCommandOutput`.
   */
  send(
    command: S3Command,
    options?: { abortSignal?: AbortSignal },
  ): Promise<unknown>;
}
