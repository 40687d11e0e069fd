/**
 * An in-memory S3 that answers the commands an upload sends, records every
 * call, and fails or stalls calls on demand. It implements `S3ClientLike`, so
 * tests pass it as `client` without mocking any module.
 *
 * @module
 */

import { concat } from "../_data.ts";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3ServiceException,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import type {
  S3ClientLike,
  S3Command,
  UploadOptions,
} from "../../src/s3/mod.ts";

/** One recorded call: the command's name and a copy of its input (bodies as lengths). */
export interface RecordedCall {
  command: string;
  partNumber?: number;
  bodyLength?: number;
  input: Record<string, unknown>;
}

/** What a fault hook may decide for a call: answer normally, throw, or never answer. */
export type FaultDecision = undefined | Error | "hang";

/** Decides the fault for the `n`-th call (1-based) of its command. */
export type FaultHook = (call: RecordedCall, n: number) => FaultDecision;

/** How a GetObject body misbehaves: error after some bytes, or stop sending. */
export interface BodyFault {
  breakAfter?: number;
  stallAfter?: number;
}

interface StoredObject {
  bytes: Uint8Array;
  etag: string;
  lastModified?: Date;
  contentType: unknown;
  metadata: unknown;
}

interface PendingUpload {
  key: string;
  initiated: Date;
  parts: Map<number, { bytes: Uint8Array; etag: string }>;
  input: Record<string, unknown>;
}

/** An S3 error as the SDK throws it. */
export function s3Error(name: string, status: number): S3ServiceException {
  return new S3ServiceException({
    name,
    $fault: status >= 500 ? "server" : "client",
    $metadata: { httpStatusCode: status },
    message: "Injected by the test",
  });
}

/** A transport failure as the SDK throws it: no HTTP status. */
export function connectionReset(): Error {
  return Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
}

function md5Hex(bytes: Uint8Array): string {
  return createHash("md5").update(bytes).digest("hex");
}

/** The in-memory S3. */
export class RecordingS3 implements S3ClientLike {
  readonly calls: RecordedCall[] = [];
  readonly objects = new Map<string, StoredObject>();
  readonly uploads = new Map<string, PendingUpload>();
  /** Faults to inject; replace at will. */
  fault: FaultHook = () => undefined;
  /** Calls of each command currently waiting for their answer. */
  readonly active = new Map<string, number>();
  /** The most calls of each command that were waiting at once. */
  readonly peak = new Map<string, number>();
  /** When set, UploadPart answers wait until `release()` is called. */
  gate: PromiseWithResolvers<void> | undefined;
  /** Faults of GetObject bodies, by the GetObject call and its number. */
  bodyFault: (call: RecordedCall, n: number) => BodyFault = () => ({});
  /** Bytes of GetObject bodies handed out so far. */
  bodyBytesServed = 0;
  /** GetObject bodies cancelled by their reader before their end. */
  bodiesCancelled = 0;
  /** Parts per ListParts page (S3 gives up to 1,000). */
  listPartsPageSize = 1000;
  /** Called whenever a call arrives, e.g. to wait for the n-th. */
  onCall: (call: RecordedCall) => void = () => {};
  #nextId = 1;
  #counts = new Map<string, number>();

  /** The names of the commands sent, in order. */
  get commands(): string[] {
    return this.calls.map((call) => call.command);
  }

  /** Uploads still pending: what ListMultipartUploads would show. */
  pendingUploads(): string[] {
    return [...this.uploads.values()].map((upload) => upload.key);
  }

  async send(
    command: S3Command,
    options: { abortSignal?: AbortSignal } = {},
  ): Promise<unknown> {
    const name = command.constructor.name.replace(/Command$/, "");
    const input = command.input as unknown as Record<string, unknown>;
    const body = input.Body;
    const call: RecordedCall = {
      command: name,
      input: { ...input, Body: undefined },
      ...(typeof input.PartNumber === "number"
        ? { partNumber: input.PartNumber }
        : {}),
      ...(body instanceof Uint8Array ? { bodyLength: body.length } : {}),
    };
    this.calls.push(call);
    const n = (this.#counts.get(name) ?? 0) + 1;
    this.#counts.set(name, n);
    const active = (this.active.get(name) ?? 0) + 1;
    this.active.set(name, active);
    this.peak.set(name, Math.max(this.peak.get(name) ?? 0, active));
    try {
      this.onCall(call);
      const fault = this.fault(call, n);
      if (fault === "hang") return await hang(options.abortSignal);
      if (fault !== undefined) throw fault;
      if (command instanceof UploadPartCommand && this.gate !== undefined) {
        await abortable(this.gate.promise, options.abortSignal);
      }
      options.abortSignal?.throwIfAborted();
      return this.#answer(command, body, call, n);
    } finally {
      this.active.set(name, (this.active.get(name) ?? 1) - 1);
    }
  }

  /** Lets every UploadPart waiting at the gate answer, and stops gating. */
  release(): void {
    const gate = this.gate;
    this.gate = undefined;
    gate?.resolve();
  }

  /** Stores an object directly, as if uploaded earlier. */
  putObject(
    key: string,
    bytes: Uint8Array,
    lastModified = new Date(0),
  ): string {
    const etag = `"${md5Hex(bytes)}"`;
    this.objects.set(key, {
      bytes,
      etag,
      lastModified,
      contentType: undefined,
      metadata: undefined,
    });
    return etag;
  }

  #answer(
    command: S3Command,
    body: unknown,
    call: RecordedCall,
    n: number,
  ): unknown {
    if (command instanceof ListObjectsV2Command) {
      const prefix = command.input.Prefix ?? "";
      const keys = [...this.objects.keys()].filter((key) =>
        key.startsWith(prefix)
      ).sort();
      const start = Number(command.input.ContinuationToken ?? "0");
      const end = start + (command.input.MaxKeys ?? 1000);
      return {
        Contents: keys.slice(start, end).map((key) => {
          const object = this.objects.get(key)!;
          return {
            Key: key,
            Size: object.bytes.length,
            ETag: object.etag,
            LastModified: object.lastModified,
          };
        }),
        IsTruncated: end < keys.length,
        ...(end < keys.length ? { NextContinuationToken: String(end) } : {}),
      };
    }
    if (command instanceof GetObjectCommand) {
      const object = this.objects.get(command.input.Key!);
      if (object === undefined) throw s3Error("NoSuchKey", 404);
      if (
        command.input.IfMatch !== undefined &&
        command.input.IfMatch !== object.etag
      ) throw s3Error("PreconditionFailed", 412);
      const range = /^bytes=(\d+)-$/.exec(command.input.Range ?? "");
      const bytes = object.bytes.subarray(
        range === null ? 0 : Number(range[1]),
      );
      return {
        ETag: object.etag,
        ContentLength: bytes.length,
        Body: {
          transformToWebStream: () =>
            this.#bodyStream(bytes, this.bodyFault(call, n)),
        },
      };
    }
    if (command instanceof PutObjectCommand) {
      const bytes = body as Uint8Array;
      const etag = `"${md5Hex(bytes)}"`;
      this.objects.set(command.input.Key!, {
        bytes: bytes.slice(),
        etag,
        contentType: command.input.ContentType,
        metadata: command.input.Metadata,
      });
      return { ETag: etag };
    }
    if (command instanceof CreateMultipartUploadCommand) {
      const uploadId = `upload-${this.#nextId++}`;
      this.uploads.set(uploadId, {
        key: command.input.Key!,
        initiated: new Date(),
        parts: new Map(),
        input: { ...command.input },
      });
      return { UploadId: uploadId, Bucket: command.input.Bucket };
    }
    if (command instanceof UploadPartCommand) {
      const upload = this.#upload(command.input.UploadId);
      const bytes = body as Uint8Array;
      const etag = `"${md5Hex(bytes)}"`;
      upload.parts.set(command.input.PartNumber!, {
        bytes: bytes.slice(),
        etag,
      });
      return { ETag: etag };
    }
    if (command instanceof CompleteMultipartUploadCommand) {
      const upload = this.#upload(command.input.UploadId);
      const listed = command.input.MultipartUpload?.Parts ?? [];
      const chunks: Uint8Array[] = [];
      const digests: Uint8Array[] = [];
      for (const part of listed) {
        const stored = upload.parts.get(part.PartNumber!);
        if (stored === undefined || stored.etag !== part.ETag) {
          throw s3Error("InvalidPart", 400);
        }
        chunks.push(stored.bytes);
        digests.push(
          new Uint8Array(createHash("md5").update(stored.bytes).digest()),
        );
      }
      const bytes = concat(chunks);
      const joined = new Uint8Array(digests.length * 16);
      digests.forEach((digest, index) => joined.set(digest, index * 16));
      const etag = `"${md5Hex(joined)}-${digests.length}"`;
      this.objects.set(upload.key, {
        bytes,
        etag,
        contentType: upload.input.ContentType,
        metadata: upload.input.Metadata,
      });
      this.uploads.delete(command.input.UploadId!);
      return { ETag: etag, Location: `memory://${upload.key}` };
    }
    if (command instanceof AbortMultipartUploadCommand) {
      this.#upload(command.input.UploadId);
      this.uploads.delete(command.input.UploadId!);
      return {};
    }
    if (command instanceof ListPartsCommand) {
      const upload = this.#upload(command.input.UploadId);
      const after = Number(command.input.PartNumberMarker ?? "0");
      const numbers = [...upload.parts.keys()].filter((n) => n > after)
        .sort((a, b) => a - b);
      const page = numbers.slice(0, this.listPartsPageSize);
      const truncated = numbers.length > page.length;
      return {
        Parts: page.map((PartNumber) => ({
          PartNumber,
          ETag: upload.parts.get(PartNumber)!.etag,
          Size: upload.parts.get(PartNumber)!.bytes.length,
        })),
        IsTruncated: truncated,
        ...(truncated ? { NextPartNumberMarker: String(page.at(-1)) } : {}),
      };
    }
    if (command instanceof ListMultipartUploadsCommand) {
      const prefix = command.input.Prefix ?? "";
      return {
        Uploads: [...this.uploads.entries()]
          .filter(([, upload]) => upload.key.startsWith(prefix))
          .map(([UploadId, upload]) => ({
            Key: upload.key,
            UploadId,
            Initiated: upload.initiated,
          })),
        IsTruncated: false,
      };
    }
    if (command instanceof HeadObjectCommand) {
      const object = this.objects.get(command.input.Key!);
      if (object === undefined) throw s3Error("NotFound", 404);
      return { ContentLength: object.bytes.length, ETag: object.etag };
    }
    throw new TypeError(`RecordingS3 cannot answer ${String(command)}`);
  }

  #bodyStream(bytes: Uint8Array, fault: BodyFault): ReadableStream<Uint8Array> {
    let offset = 0;
    return new ReadableStream<Uint8Array>({
      pull: (controller) => {
        if (fault.breakAfter !== undefined && offset >= fault.breakAfter) {
          controller.error(connectionReset());
          return;
        }
        if (fault.stallAfter !== undefined && offset >= fault.stallAfter) {
          return new Promise<void>(() => {});
        }
        if (offset >= bytes.length) {
          controller.close();
          return;
        }
        const limit = Math.min(
          fault.breakAfter ?? Infinity,
          fault.stallAfter ?? Infinity,
        );
        const end = Math.min(
          bytes.length,
          offset + 64 * 1024,
          Math.max(limit, offset + 1),
        );
        const chunk = bytes.slice(offset, end);
        offset = end;
        this.bodyBytesServed += chunk.length;
        controller.enqueue(chunk);
      },
      cancel: () => {
        this.bodiesCancelled++;
      },
    }, { highWaterMark: 0 });
  }

  #upload(uploadId: string | undefined): PendingUpload {
    const upload = this.uploads.get(uploadId ?? "");
    if (upload === undefined) throw s3Error("NoSuchUpload", 404);
    return upload;
  }
}

function hang(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    if (signal === undefined) return;
    const onAbort = () => reject(abortError());
    if (signal.aborted) onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function abortable<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortError());
    if (signal.aborted) onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() =>
      signal.removeEventListener("abort", onAbort)
    );
  });
}

/** What the SDK throws when a request's abortSignal fires. */
function abortError(): Error {
  const error = new Error("Request aborted");
  error.name = "AbortError";
  return error;
}

/** A stream of `total` deterministic bytes in chunks of `chunkSize`, counting what was pulled. */
export function patternStream(
  total: number,
  chunkSize = 64 * 1024,
): {
  stream: ReadableStream<Uint8Array>;
  pulled: () => number;
  bytes: () => Uint8Array;
} {
  let pulled = 0;
  const chunkOf = (offset: number, length: number) => {
    const chunk = new Uint8Array(length);
    for (let i = 0; i < length; i++) chunk[i] = ((offset + i) * 31 + 7) & 0xff;
    return chunk;
  };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled >= total) {
        controller.close();
        return;
      }
      const length = Math.min(chunkSize, total - pulled);
      controller.enqueue(chunkOf(pulled, length));
      pulled += length;
    },
  }, { highWaterMark: 0 });
  return {
    stream,
    pulled: () => pulled,
    bytes: () => chunkOf(0, total),
  };
}

/** The part size the fake's upload options use: S3's minimum. */
export const FAKE_PART_SIZE = 5 * 1024 * 1024;

/** Upload options against the fake: minimum-size parts, no backoff waits. */
export function fakeUploadOptions(
  s3: RecordingS3,
  extra: Partial<UploadOptions> = {},
): UploadOptions {
  return {
    client: s3,
    bucket: "bucket",
    key: "out.zip",
    partSize: FAKE_PART_SIZE,
    retry: { baseDelay: 0, maxDelay: 0 },
    cleanupRetry: { baseDelay: 0, maxDelay: 0 },
    ...extra,
  };
}

/** The SHA-256 of bytes, as hex. */
export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
