/**
 * The S3 requests an upload makes, each typed and retried: a narrow layer
 * over `client.send(command)`, so that the upload logic never touches the SDK
 * and tests can answer the commands with a recording fake.
 *
 * @module
 */

import {
  AbortMultipartUploadCommand,
  type AbortMultipartUploadCommandInput,
  CompleteMultipartUploadCommand,
  type CompleteMultipartUploadCommandInput,
  type CompleteMultipartUploadCommandOutput,
  CreateMultipartUploadCommand,
  type CreateMultipartUploadCommandInput,
  type CreateMultipartUploadCommandOutput,
  DeleteObjectCommand,
  type DeleteObjectCommandInput,
  GetObjectCommand,
  type GetObjectCommandInput,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  type HeadObjectCommandInput,
  type HeadObjectCommandOutput,
  ListMultipartUploadsCommand,
  type ListMultipartUploadsCommandInput,
  type ListMultipartUploadsCommandOutput,
  ListObjectsV2Command,
  type ListObjectsV2CommandInput,
  type ListObjectsV2CommandOutput,
  ListPartsCommand,
  type ListPartsCommandInput,
  type ListPartsCommandOutput,
  PutObjectCommand,
  type PutObjectCommandInput,
  type PutObjectCommandOutput,
  UploadPartCommand,
  type UploadPartCommandInput,
  type UploadPartCommandOutput,
  UploadPartCopyCommand,
  type UploadPartCopyCommandInput,
  type UploadPartCopyCommandOutput,
} from "@aws-sdk/client-s3";
import type { S3ClientLike } from "./s3_client_like.ts";
import { type RetryPolicy, withRetries } from "./_retry.ts";
import { errorName, httpStatus } from "./_s3_error_fields.ts";
import {
  applyPayloadSigning,
  type PayloadSigning,
} from "./_payload_signing.ts";

/** Sends an upload's requests through one client with one retry policy. */
export class S3Requests {
  #client: S3ClientLike;
  #policy: RetryPolicy;

  constructor(client: S3ClientLike, policy: RetryPolicy) {
    this.#client = client;
    this.#policy = policy;
  }

  /**
   * Puts a whole object; `check` vets each answer inside its attempt, so that
   * a failed check is retried. `payloadSigning` decides whether the signature
   * covers the body (the SDK's default when absent: it does).
   */
  putObject(
    input: PutObjectCommandInput & { Body: Uint8Array },
    signal: AbortSignal,
    check: (output: PutObjectCommandOutput) => void,
    payloadSigning: PayloadSigning = "always",
  ): Promise<PutObjectCommandOutput> {
    return this.#send(
      "PutObject",
      input.Body.byteLength,
      signal,
      () => {
        const command = new PutObjectCommand(input);
        applyPayloadSigning(command, payloadSigning);
        return command;
      },
      check,
    );
  }

  /**
   * Starts a multipart upload. `onLostAnswer` hears of every attempt that
   * failed without an answer from the server (a timeout, a dropped
   * connection): such an attempt may have created an upload whose ID never
   * reached us.
   */
  createMultipartUpload(
    input: CreateMultipartUploadCommandInput,
    signal: AbortSignal,
    onLostAnswer: () => void,
  ): Promise<CreateMultipartUploadCommandOutput> {
    return this.#send(
      "CreateMultipartUpload",
      0,
      signal,
      () => new CreateMultipartUploadCommand(input),
      undefined,
      (error) => {
        if (httpStatus(error) === undefined) onLostAnswer();
      },
    );
  }

  listMultipartUploads(
    input: ListMultipartUploadsCommandInput,
    signal: AbortSignal,
  ): Promise<ListMultipartUploadsCommandOutput> {
    return this.#send(
      "ListMultipartUploads",
      0,
      signal,
      () => new ListMultipartUploadsCommand(input),
    );
  }

  /**
   * Uploads one part; `check` vets each answer inside its attempt, so that a
   * failed check is retried. `payloadSigning` as for `putObject`.
   */
  uploadPart(
    input: UploadPartCommandInput & { Body: Uint8Array },
    signal: AbortSignal,
    check: (output: UploadPartCommandOutput) => void,
    payloadSigning: PayloadSigning = "always",
  ): Promise<UploadPartCommandOutput> {
    return this.#send(
      "UploadPart",
      input.Body.byteLength,
      signal,
      () => {
        const command = new UploadPartCommand(input);
        applyPayloadSigning(command, payloadSigning);
        return command;
      },
      check,
    );
  }

  /**
   * Completes an upload. `onRetriedNoSuchUpload` decides what a
   * `NoSuchUpload` (or `NoSuchKey`) answer to a retry means: an earlier attempt whose answer
   * was lost may have completed the upload already.
   */
  completeMultipartUpload(
    input: CompleteMultipartUploadCommandInput,
    signal: AbortSignal,
    onRetriedNoSuchUpload: (
      error: unknown,
      signal: AbortSignal,
    ) => Promise<CompleteMultipartUploadCommandOutput>,
  ): Promise<CompleteMultipartUploadCommandOutput> {
    return withRetries(
      "CompleteMultipartUpload",
      this.#policy,
      signal,
      0,
      async (attemptSignal, attemptNumber) => {
        try {
          return await this.#client.send(
            new CompleteMultipartUploadCommand(input),
            { abortSignal: attemptSignal },
          ) as CompleteMultipartUploadCommandOutput;
        } catch (error) {
          const name = errorName(error);
          if (
            attemptNumber > 1 &&
            (name === "NoSuchUpload" || name === "NoSuchKey")
          ) {
            return await onRetriedNoSuchUpload(error, attemptSignal);
          }
          throw error;
        }
      },
    );
  }

  /** Copies a range of an existing object into a part, server-side. */
  uploadPartCopy(
    input: UploadPartCopyCommandInput,
    signal: AbortSignal,
  ): Promise<UploadPartCopyCommandOutput> {
    return this.#send(
      "UploadPartCopy",
      0,
      signal,
      () => new UploadPartCopyCommand(input),
    );
  }

  deleteObject(
    input: DeleteObjectCommandInput,
    signal: AbortSignal,
  ): Promise<unknown> {
    return this.#send(
      "DeleteObject",
      0,
      signal,
      () => new DeleteObjectCommand(input),
    );
  }

  abortMultipartUpload(
    input: AbortMultipartUploadCommandInput,
    signal: AbortSignal,
  ): Promise<unknown> {
    return this.#send(
      "AbortMultipartUpload",
      0,
      signal,
      () => new AbortMultipartUploadCommand(input),
    );
  }

  headObject(
    input: HeadObjectCommandInput,
    signal: AbortSignal,
  ): Promise<HeadObjectCommandOutput> {
    return this.#send(
      "HeadObject",
      0,
      signal,
      () => new HeadObjectCommand(input),
    );
  }

  /**
   * Opens an object for reading. `signal` stays attached to the answer's body
   * after this returns: aborting it ends the body too.
   */
  getObject(
    input: GetObjectCommandInput,
    signal: AbortSignal,
  ): Promise<GetObjectCommandOutput> {
    return this.#send(
      "GetObject",
      0,
      signal,
      () => new GetObjectCommand(input),
    );
  }

  listObjectsV2(
    input: ListObjectsV2CommandInput,
    signal: AbortSignal,
  ): Promise<ListObjectsV2CommandOutput> {
    return this.#send(
      "ListObjectsV2",
      0,
      signal,
      () => new ListObjectsV2Command(input),
    );
  }

  listParts(
    input: ListPartsCommandInput,
    signal: AbortSignal,
  ): Promise<ListPartsCommandOutput> {
    return this.#send(
      "ListParts",
      0,
      signal,
      () => new ListPartsCommand(input),
    );
  }

  /** Sends a fresh command per attempt: the SDK's middleware mutates a command's request as it sends it. */
  #send<T>(
    operation: string,
    bodyBytes: number,
    signal: AbortSignal,
    command: () =>
      | AbortMultipartUploadCommand
      | CreateMultipartUploadCommand
      | DeleteObjectCommand
      | GetObjectCommand
      | HeadObjectCommand
      | ListMultipartUploadsCommand
      | ListObjectsV2Command
      | ListPartsCommand
      | PutObjectCommand
      | UploadPartCommand
      | UploadPartCopyCommand,
    check: (output: T) => void = () => {},
    onAttemptError: (error: unknown) => void = () => {},
  ): Promise<T> {
    return withRetries(
      operation,
      this.#policy,
      signal,
      bodyBytes,
      async (attemptSignal) => {
        let output: T;
        try {
          output = await this.#client.send(command(), {
            abortSignal: attemptSignal,
          }) as T;
        } catch (error) {
          onAttemptError(error);
          throw error;
        }
        check(output);
        return output;
      },
    );
  }
}
