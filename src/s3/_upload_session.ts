/**
 * The state machine behind `S3UploadStream`: cuts the byte stream into parts,
 * keeps at most `concurrency` of them in flight, completes the upload, and on
 * any failure aborts it before reporting.
 *
 * @module
 */

import type {
  CompletedPart,
  CompleteMultipartUploadCommandOutput,
} from "@aws-sdk/client-s3";
import { crc32 } from "../zip/mod.ts";
import type { UploadOptions, UploadProgress } from "./upload_options.ts";
import type { UploadResult } from "./upload_result.ts";
import {
  CHECKPOINT_VERSION,
  type CheckpointPart,
  type UploadCheckpoint,
} from "./upload_checkpoint.ts";
import { S3UploadError } from "./s3_upload_error.ts";
import {
  type ResolvedUploadOptions,
  resolveUploadOptions,
} from "./_resolved_upload_options.ts";
import {
  MAX_PARTS,
  type PartSizePlan,
  planPartSizes,
} from "./_part_size_plan.ts";
import { reasonOf, unwrap } from "./_retry.ts";
import { errorName, S3Requests } from "./_s3_requests.ts";
import {
  bareEtag,
  etagMatchesDigest,
  md5,
  MD5_HEX,
  multipartEtag,
  toBase64,
  toHex,
} from "./_etag.ts";

/** How many times cleanup re-aborts an upload that ListParts still shows. */
const ABORT_ROUNDS = 3;
/** Listing pages read when looking for uploads a lost CreateMultipartUpload answer left. */
const STRAY_LISTING_PAGES = 10;
/** Clock difference allowed between us and the server when dating a stray upload. */
const CLOCK_SKEW_MS = 60_000;
/** ListParts pages read at most: 10,000 parts at the smallest page S3 pads to. */
const LIST_PARTS_PAGES = MAX_PARTS;
/** A multipart ETag, once its quotes are removed: the MD5 of the parts' MD5s and their count. */
const MULTIPART_ETAG = /^[0-9a-f]{32}-\d+$/;

interface Failure {
  what: string;
  cause: unknown;
  partNumber: number | undefined;
  /**
   * Set when the upload must be left in place whatever `abortOnFailure`
   * says: what the error says of it.
   */
  keptNote: string | undefined;
}

/**
 * A part a resumed upload need not send again if the new bytes hash the same:
 * recorded by the checkpoint (a difference is then an error), or only listed
 * by the server (a difference just means sending it again).
 */
interface KnownPart {
  from: "checkpoint" | "server";
  etag: string;
  md5: string;
  size: number;
}

/** The encryption fields that say whether an ETag is an MD5 of the bytes. */
interface EncryptionFields {
  ServerSideEncryption?: string;
  SSECustomerAlgorithm?: string;
}

/** One upload, from the first byte to a result or an error. */
export class UploadSession {
  /** Settles once: with the object, or with an `S3UploadError` after cleanup. */
  readonly result: Promise<UploadResult>;

  #options: ResolvedUploadOptions;
  #requests: S3Requests;
  #plan: PartSizePlan;
  #controller: WritableStreamDefaultController | undefined;
  /** Aborted on failure: cancels parts in flight and their backoffs. */
  #work = new AbortController();
  /** Never aborted: the requests that clean up must run even after an abort. */
  #cleanupSignal = new AbortController().signal;
  #resolve!: (result: UploadResult) => void;
  #reject!: (error: S3UploadError) => void;
  #onSignalAbort: (() => void) | undefined;

  /** The part being filled; once full, it waits for the next byte to prove it is not the last. */
  #buffer: Uint8Array | undefined;
  #filled = 0;
  #partNumber = 1;
  /** Buffers of parts already sent, ready for reuse. */
  #spares: Uint8Array[] = [];
  #bytesRead = 0;
  #bytesDispatched = 0;
  #bytesUploaded = 0;
  #crc = 0;

  #uploadId: string | undefined;
  #creating: Promise<void> | undefined;
  #createStartedAt = 0;
  /** Set when a CreateMultipartUpload attempt got no answer: it may have created an upload we never heard of. */
  #lostCreateAnswer = false;
  #inFlight = new Set<Promise<void>>();
  #completedParts: CompletedPart[] = [];
  #digests: Uint8Array[] = [];
  #completed = false;
  /** The CRC-32 of the body through the end of each part dispatched, by part number. */
  #prefixCrcs: number[] = [];
  /** Every acknowledged part, for checkpoints. */
  #records = new Map<number, CheckpointPart>();
  /** Whether the caller holds a checkpoint: one was reported, or given to resume from. */
  #checkpointStored = false;
  /** The checkpoint call under way, so that calls never overlap. */
  #checkpointing: Promise<void> = Promise.resolve();
  /** Parts of a resumed upload the server may hold already, until the body reaches them. */
  #known = new Map<number, KnownPart>();

  #failure: Failure | undefined;
  #cleanup: Promise<S3UploadError> | undefined;

  /**
   * @throws {TypeError | RangeError} Invalid options.
   */
  constructor(options: UploadOptions) {
    this.#options = resolveUploadOptions(options);
    this.#requests = new S3Requests(
      this.#options.client,
      this.#options.retry,
    );
    this.#plan = planPartSizes(
      this.#options.partSize,
      this.#options.contentLength,
    );
    if (this.#options.resume !== undefined) this.#adopt(this.#options.resume);
    this.result = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // A caller who only pipes, without awaiting `result`, must not get an unhandled rejection.
    this.result.catch(() => {});
  }

  /**
   * The sink's `start`: keeps the controller, watches the signal, and when
   * resuming, checks the checkpoint against ListParts before the first write.
   */
  start(controller: WritableStreamDefaultController): Promise<void> | void {
    this.#controller = controller;
    const { signal } = this.#options;
    if (signal !== undefined) {
      if (signal.aborted) {
        this.#fail(
          "the signal was aborted before the upload began",
          signal.reason,
        );
        return;
      }
      this.#onSignalAbort = () =>
        this.#fail("the signal was aborted", signal.reason);
      signal.addEventListener("abort", this.#onSignalAbort, { once: true });
    }
    if (this.#options.resume !== undefined) {
      return this.#checkResume(this.#options.resume);
    }
  }

  /**
   * Takes over a checkpoint's upload: its ID, and the parts before
   * `bodyOffset` as done, since the body given starts after them.
   */
  #adopt(checkpoint: UploadCheckpoint): void {
    const { bodyOffset } = this.#options;
    this.#uploadId = checkpoint.uploadId;
    this.#checkpointStored = true;
    for (const part of checkpoint.parts) {
      if (part.offset >= bodyOffset) break;
      this.#records.set(part.partNumber, part);
      this.#completedParts.push({
        PartNumber: part.partNumber,
        ETag: part.etag,
      });
      this.#digests[part.partNumber - 1] = fromHex(part.md5);
      this.#partNumber = part.partNumber + 1;
      this.#crc = part.prefixCrc32;
    }
    this.#bytesRead = bodyOffset;
    this.#bytesDispatched = bodyOffset;
    this.#bytesUploaded = bodyOffset;
  }

  /**
   * Lists the upload's parts (every page) and checks that the server holds
   * each part of the checkpoint, as recorded. The parts after `bodyOffset`
   * become known parts, checked against the new bytes as they come. Nothing
   * found wrong here aborts the upload: it is the earlier run's.
   */
  async #checkResume(checkpoint: UploadCheckpoint): Promise<void> {
    const o = this.#options;
    const listed = new Map<number, { etag: string; size: number }>();
    try {
      let marker: string | undefined;
      for (let page = 0; page < LIST_PARTS_PAGES; page++) {
        const output = await this.#requests.listParts(
          {
            Bucket: o.bucket,
            Key: o.key,
            UploadId: checkpoint.uploadId,
            ...(marker === undefined ? {} : { PartNumberMarker: marker }),
          },
          this.#work.signal,
        );
        for (const part of output.Parts ?? []) {
          if (part.PartNumber === undefined || part.ETag === undefined) {
            continue;
          }
          listed.set(part.PartNumber, {
            etag: part.ETag,
            size: part.Size ?? -1,
          });
        }
        const next = output.NextPartNumberMarker;
        if (!output.IsTruncated || next === undefined || next === marker) {
          break;
        }
        marker = next;
      }
    } catch (error) {
      if (errorName(unwrap(error)) === "NoSuchUpload") {
        if (await this.#completedEarlier(checkpoint)) return;
        this.#fail(
          `cannot resume: upload ID ${checkpoint.uploadId} no longer exists (it was aborted or completed, or a lifecycle rule expired it); start a new upload without the checkpoint`,
          error,
          undefined,
          "",
        );
      } else {
        this.#fail(
          "cannot resume: the upload's parts could not be listed",
          error,
          undefined,
          this.#keptNote(),
        );
      }
      return;
    }
    for (const part of checkpoint.parts) {
      const found = listed.get(part.partNumber);
      if (
        found === undefined || bareEtag(found.etag) !== bareEtag(part.etag) ||
        (found.size !== -1 && found.size !== part.size)
      ) {
        this.#fail(
          `cannot resume: the checkpoint records part ${part.partNumber} (${part.size} bytes, ETag ${part.etag}) but ListParts ${
            found === undefined
              ? "does not show it"
              : `shows ${found.size} bytes, ETag ${found.etag}`
          }; the checkpoint does not describe this upload`,
          undefined,
          part.partNumber,
          this.#keptNote(),
        );
        return;
      }
      if (part.offset >= o.bodyOffset) {
        // Kept in later checkpoints even if this run stops before the body
        // reaches it: the server holds it, as recorded.
        this.#records.set(part.partNumber, part);
        this.#known.set(part.partNumber, {
          from: "checkpoint",
          etag: part.etag,
          md5: part.md5,
          size: part.size,
        });
      }
    }
    for (const [partNumber, part] of listed) {
      if (partNumber < this.#partNumber || this.#known.has(partNumber)) {
        continue;
      }
      // Only an ETag that is an MD5 can vouch for bytes; others are resent.
      if (MD5_HEX.test(bareEtag(part.etag))) {
        this.#known.set(partNumber, {
          from: "server",
          etag: part.etag,
          md5: bareEtag(part.etag),
          size: part.size,
        });
      }
    }
  }

  /** The sink's `write`: copies the chunk into parts, sending full ones. */
  async write(chunk: Uint8Array): Promise<void> {
    if (!(chunk instanceof Uint8Array)) {
      const received = chunk === null
        ? "null"
        : typeof chunk === "object"
        ? Object.prototype.toString.call(chunk)
        : `a ${typeof chunk}`;
      this.#fail(
        `expected the source to give Uint8Array chunks but got ${received}`,
        undefined,
      );
    }
    if (this.#failure !== undefined) throw await this.#cleanup;
    const { contentLength } = this.#options;
    if (
      contentLength !== undefined &&
      this.#bytesRead + chunk.length > contentLength
    ) {
      this.#fail(
        `expected ${contentLength} bytes (contentLength) but the source gave at least ${
          this.#bytesRead + chunk.length
        }`,
        undefined,
      );
      throw await this.#cleanup;
    }
    this.#bytesRead += chunk.length;
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#buffer !== undefined && this.#filled === this.#buffer.length) {
        await this.#dispatch(this.#buffer);
        if (this.#failure !== undefined) throw await this.#cleanup;
      }
      this.#buffer ??= this.#allocate(this.#nextPartSize());
      const length = Math.min(
        chunk.length - offset,
        this.#buffer.length - this.#filled,
      );
      this.#buffer.set(chunk.subarray(offset, offset + length), this.#filled);
      this.#filled += length;
      offset += length;
    }
    this.#report();
    if (this.#failure !== undefined) throw await this.#cleanup;
  }

  /** The sink's `close`: sends the last part, completes, verifies. */
  async close(): Promise<void> {
    if (this.#failure !== undefined) throw await this.#cleanup;
    const { contentLength } = this.#options;
    if (contentLength !== undefined && this.#bytesRead !== contentLength) {
      this.#fail(
        `expected ${contentLength} bytes (contentLength) but the source ended after ${this.#bytesRead}`,
        undefined,
      );
      throw await this.#cleanup;
    }
    const last = this.#buffer?.subarray(0, this.#filled) ??
      new Uint8Array(0);
    this.#buffer = undefined;
    if (this.#uploadId === undefined) {
      this.#crc = crc32(last, this.#crc);
      await this.#putObject(last);
    } else {
      if (last.length > 0) await this.#dispatch(last);
      this.#checkNothingKnownRemains();
      while (this.#inFlight.size > 0 && this.#failure === undefined) {
        await Promise.all(this.#inFlight);
      }
      if (this.#failure === undefined) await this.#complete();
    }
    if (this.#failure !== undefined) throw await this.#cleanup;
  }

  /** The sink's `abort`: the source failed or the writer gave up. */
  async abort(reason: unknown): Promise<void> {
    this.#fail("the source stream failed or the writer was aborted", reason);
    await this.#cleanup;
  }

  /** A part buffer: a spare one of the right size if there is one. */
  #allocate(size: number): Uint8Array {
    const index = this.#spares.findIndex((spare) => spare.length === size);
    if (index < 0) return new Uint8Array(size);
    return this.#spares.splice(index, 1)[0]!;
  }

  /**
   * Keeps a sent part's buffer for the next part. Reuse keeps the process
   * at (concurrency + 1) part buffers instead of leaving a fresh part-sized
   * allocation per part for the garbage collector.
   */
  #recycle(bytes: Uint8Array): void {
    const whole = bytes.byteOffset === 0 &&
      bytes.byteLength === bytes.buffer.byteLength;
    if (
      whole && this.#failure === undefined &&
      this.#spares.length < this.#options.concurrency
    ) this.#spares.push(bytes);
  }

  #nextPartSize(): number {
    const size = this.#plan.sizeOf(this.#partNumber);
    const { contentLength } = this.#options;
    return contentLength === undefined
      ? size
      : Math.max(1, Math.min(size, contentLength - this.#bytesDispatched));
  }

  /** Sends `bytes` as the next part once a slot is free; starts the upload first if needed. */
  async #dispatch(bytes: Uint8Array): Promise<void> {
    if (this.#partNumber > MAX_PARTS) {
      this.#fail(
        `expected the body to fit in ${MAX_PARTS} parts but it goes on past ${this.#bytesDispatched} bytes; pass a larger partSize`,
        undefined,
      );
      return;
    }
    const partNumber = this.#partNumber++;
    this.#buffer = undefined;
    this.#filled = 0;
    const offset = this.#bytesDispatched;
    this.#bytesDispatched += bytes.length;
    this.#crc = crc32(bytes, this.#crc);
    this.#prefixCrcs[partNumber] = this.#crc;
    const known = this.#known.get(partNumber);
    // A part the server may hold is recognised by its MD5; computed once,
    // it also serves as Content-MD5 if the part must be sent after all.
    const digest = known !== undefined || this.#options.contentMd5
      ? md5(bytes)
      : undefined;
    if (known !== undefined && digest !== undefined) {
      this.#known.delete(partNumber);
      if (known.size === bytes.length && known.md5 === toHex(digest)) {
        await this.#alreadySent(partNumber, offset, bytes, digest, known);
        return;
      }
      if (known.from === "checkpoint") {
        this.#fail(
          `cannot resume: part ${partNumber} (body bytes ${offset} to ${
            offset + bytes.length - 1
          }) differs from the checkpoint: ${bytes.length} bytes of MD5 ${
            toHex(digest)
          } now, ${known.size} bytes of MD5 ${known.md5} then, so the inputs have changed since the earlier run`,
          undefined,
          partNumber,
          `; the multipart upload was left as it was: resume it with the original inputs, or abort upload ID ${this.#uploadId}`,
        );
        return;
      }
    }
    // Waiting here, before another buffer is allocated, is what bounds memory
    // to (concurrency + 1) parts and stalls the source while S3 catches up.
    while (
      this.#inFlight.size >= this.#options.concurrency &&
      this.#failure === undefined
    ) {
      await Promise.race(this.#inFlight);
    }
    if (this.#failure !== undefined) return;
    if (this.#uploadId === undefined) {
      this.#creating = this.#createUpload();
      await this.#creating;
      if (this.#failure !== undefined) return;
    }
    const task = this.#uploadPart(
      partNumber,
      offset,
      bytes,
      this.#options.contentMd5 ? digest : undefined,
    );
    this.#inFlight.add(task);
    task.then(() => {
      this.#inFlight.delete(task);
      this.#recycle(bytes);
    });
  }

  async #createUpload(): Promise<void> {
    const o = this.#options;
    this.#createStartedAt = Date.now();
    try {
      // Not cancelled on failure: an upload created after its request was
      // cancelled would be unknown to us and left behind; awaited instead,
      // and aborted by the cleanup.
      const output = await this.#requests.createMultipartUpload(
        {
          Bucket: o.bucket,
          Key: o.key,
          ContentType: o.contentType,
          ContentDisposition: o.contentDisposition,
          Metadata: o.metadata,
          Tagging: o.tagging,
          StorageClass: o.storageClass,
        },
        this.#cleanupSignal,
        () => {
          this.#lostCreateAnswer = true;
        },
      );
      if (typeof output.UploadId !== "string" || output.UploadId === "") {
        throw new TypeError(
          `CreateMultipartUpload answered without an UploadId`,
        );
      }
      this.#uploadId = output.UploadId;
    } catch (error) {
      this.#fail("the multipart upload could not be started", error);
      return;
    }
    await this.#checkpoint();
  }

  /** Counts a part the server holds with these very bytes as done, without sending it. */
  async #alreadySent(
    partNumber: number,
    offset: number,
    bytes: Uint8Array,
    digest: Uint8Array,
    known: KnownPart,
  ): Promise<void> {
    this.#digests[partNumber - 1] = digest;
    this.#completedParts.push({ PartNumber: partNumber, ETag: known.etag });
    this.#record(partNumber, offset, bytes.length, known.etag, digest);
    this.#bytesUploaded += bytes.length;
    this.#recycle(bytes);
    this.#report();
    // A part only the server knew of is news to the checkpoint.
    if (known.from === "server") await this.#checkpoint();
  }

  /**
   * Resolves the upload with the object at the key if it is the one the
   * checkpoint's parts make, and stops the body: the earlier run completed
   * the upload and stopped before its caller could discard the checkpoint.
   * The multipart ETag names the parts' MD5s in order, so a match means the
   * object holds exactly the checkpoint's bytes.
   */
  async #completedEarlier(checkpoint: UploadCheckpoint): Promise<boolean> {
    const o = this.#options;
    const { parts } = checkpoint;
    const last = parts.at(-1);
    if (
      last === undefined ||
      !parts.every((part, index) => part.partNumber === index + 1)
    ) return false;
    const size = last.offset + last.size;
    if (
      checkpoint.contentLength !== undefined &&
      checkpoint.contentLength !== size
    ) {
      return false;
    }
    let head;
    try {
      head = await this.#requests.headObject(
        { Bucket: o.bucket, Key: o.key },
        this.#work.signal,
      );
    } catch {
      return false;
    }
    const etag = multipartEtag(parts.map((part) => fromHex(part.md5)));
    if (
      head.ETag === undefined || bareEtag(head.ETag) !== etag ||
      head.ContentLength !== size
    ) return false;
    this.#completed = true;
    this.#settle();
    this.#resolve({
      bucket: o.bucket,
      key: o.key,
      etag: head.ETag,
      size,
      parts: parts.length,
      crc32: last.prefixCrc32,
      uploadId: checkpoint.uploadId,
      completedEarlier: true,
    });
    this.#controller?.error(
      new Error(
        `The upload to s3://${o.bucket}/${o.key} (upload ID ${checkpoint.uploadId}) was completed by an earlier run: its body is not needed`,
      ),
    );
    return true;
  }

  /** Fails a resumed upload whose body ended before parts the checkpoint records. */
  #checkNothingKnownRemains(): void {
    const left = [...this.#known.entries()]
      .filter(([, part]) => part.from === "checkpoint");
    if (left.length === 0 || this.#failure !== undefined) return;
    const [partNumber] = left[0]!;
    this.#fail(
      `cannot resume: the body ended after ${this.#bytesRead} bytes, before part ${partNumber} that the checkpoint records, so the inputs have changed since the earlier run`,
      undefined,
      partNumber,
      `; the multipart upload was left as it was: resume it with the original inputs, or abort upload ID ${this.#uploadId}`,
    );
  }

  #record(
    partNumber: number,
    offset: number,
    size: number,
    etag: string,
    digest: Uint8Array,
  ): void {
    this.#records.set(partNumber, {
      partNumber,
      offset,
      size,
      etag,
      md5: toHex(digest),
      prefixCrc32: this.#prefixCrcs[partNumber]!,
    });
  }

  /**
   * Reports the upload's state to `onCheckpoint`, after the call before it
   * has finished. A failing call fails the upload; once it has failed, no
   * more checkpoints are reported.
   */
  async #checkpoint(): Promise<void> {
    const { onCheckpoint } = this.#options;
    if (onCheckpoint === undefined) return;
    const call = this.#checkpointing.then(async () => {
      if (this.#failure !== undefined) return;
      await onCheckpoint(this.#snapshot());
      this.#checkpointStored = true;
    });
    this.#checkpointing = call.catch(() => {});
    try {
      await call;
    } catch (error) {
      this.#fail("onCheckpoint threw", error);
    }
  }

  #snapshot(): UploadCheckpoint {
    const o = this.#options;
    return {
      version: CHECKPOINT_VERSION,
      bucket: o.bucket,
      key: o.key,
      uploadId: this.#uploadId!,
      partSize: o.partSize,
      ...(o.contentLength === undefined
        ? {}
        : { contentLength: o.contentLength }),
      parts: [...this.#records.values()]
        .sort((a, b) => a.partNumber - b.partNumber)
        .map((part) => ({ ...part })),
    };
  }

  async #uploadPart(
    partNumber: number,
    offset: number,
    bytes: Uint8Array,
    digest: Uint8Array | undefined,
  ): Promise<void> {
    const o = this.#options;
    try {
      const output = await this.#requests.uploadPart(
        {
          Bucket: o.bucket,
          Key: o.key,
          UploadId: this.#uploadId,
          PartNumber: partNumber,
          Body: bytes,
          ContentLength: bytes.length,
          ContentMD5: digest === undefined ? undefined : toBase64(digest),
        },
        this.#work.signal,
        (answer) => checkEtag(answer, digest, partNumber),
      );
      this.#completedParts.push({
        PartNumber: partNumber,
        ETag: output.ETag,
      });
      // Without Content-MD5 the server's ETag is the part's MD5, which the
      // multipart ETag and the checkpoint need; only under SSE-KMS or SSE-C
      // is it something else, and the bytes are hashed here instead.
      const partDigest = digest ?? etagDigest(output) ?? md5(bytes);
      this.#digests[partNumber - 1] = partDigest;
      this.#record(partNumber, offset, bytes.length, output.ETag!, partDigest);
      this.#bytesUploaded += bytes.length;
      this.#report();
    } catch (error) {
      this.#fail(`part ${partNumber} could not be uploaded`, error, partNumber);
      return;
    }
    // Holding the slot until the checkpoint is stored keeps the stored
    // checkpoint at most `concurrency` parts behind the server.
    await this.#checkpoint();
  }

  async #putObject(bytes: Uint8Array): Promise<void> {
    const o = this.#options;
    const digest = o.contentMd5 ? md5(bytes) : undefined;
    try {
      const output = await this.#requests.putObject(
        {
          Bucket: o.bucket,
          Key: o.key,
          Body: bytes,
          ContentLength: bytes.length,
          ContentMD5: digest === undefined ? undefined : toBase64(digest),
          ContentType: o.contentType,
          ContentDisposition: o.contentDisposition,
          Metadata: o.metadata,
          Tagging: o.tagging,
          StorageClass: o.storageClass,
        },
        this.#work.signal,
        (answer) => checkEtag(answer, digest, 1),
      );
      this.#bytesUploaded = bytes.length;
      this.#completedParts.push({ PartNumber: 1, ETag: output.ETag });
      this.#report();
      this.#completed = true;
      await this.#finish(output.ETag, undefined);
    } catch (error) {
      this.#fail("the object could not be uploaded", error);
    }
  }

  async #complete(): Promise<void> {
    const o = this.#options;
    const parts = this.#completedParts.toSorted((a, b) =>
      (a.PartNumber ?? 0) - (b.PartNumber ?? 0)
    );
    const expectedEtag = multipartEtag(this.#digests);
    try {
      const output = await this.#requests.completeMultipartUpload(
        {
          Bucket: o.bucket,
          Key: o.key,
          UploadId: this.#uploadId,
          MultipartUpload: { Parts: parts },
        },
        this.#work.signal,
        // An earlier attempt may have completed the upload and lost its
        // answer: the object is then ours if its ETag is the one our parts make.
        async (error, signal) => {
          const head = await this.#requests.headObject(
            { Bucket: o.bucket, Key: o.key },
            signal,
          );
          if (head.ETag !== undefined && bareEtag(head.ETag) === expectedEtag) {
            return { ETag: head.ETag, $metadata: {} };
          }
          throw error;
        },
      );
      this.#completed = true;
      if (
        output.ETag !== undefined && etagIsMd5(output) &&
        MULTIPART_ETAG.test(bareEtag(output.ETag)) &&
        bareEtag(output.ETag) !== expectedEtag
      ) {
        throw new Error(
          `CompleteMultipartUpload answered ETag ${output.ETag} but the parts sent make "${expectedEtag}"`,
        );
      }
      await this.#finish(output.ETag, output);
    } catch (error) {
      this.#fail("the multipart upload could not be completed", error);
    }
  }

  /** Checks the stored size with HeadObject and resolves the result. */
  async #finish(
    etag: string | undefined,
    completion: CompleteMultipartUploadCommandOutput | undefined,
  ): Promise<void> {
    const o = this.#options;
    const head = await this.#requests.headObject(
      { Bucket: o.bucket, Key: o.key },
      this.#work.signal,
    );
    if (head.ContentLength !== this.#bytesRead) {
      throw new Error(
        `HeadObject reports ${head.ContentLength} bytes but ${this.#bytesRead} were sent`,
      );
    }
    // A stray upload left here holds no parts (none were sent to it), so it
    // does not fail an upload that succeeded.
    await this.#abortStrays();
    // onProgress may have failed the upload meanwhile; the cleanup reports that.
    if (this.#failure !== undefined) return;
    this.#settle();
    this.#resolve({
      bucket: o.bucket,
      key: o.key,
      // `||`, not `??`: some servers (Ceph) answer an empty ETag on completion.
      etag: etag || head.ETag || "",
      size: this.#bytesRead,
      parts: this.#completedParts.length,
      crc32: this.#crc,
      completedEarlier: false,
      ...(this.#uploadId === undefined ? {} : { uploadId: this.#uploadId }),
      ...(completion?.Location === undefined
        ? {}
        : { location: completion.Location }),
    });
  }

  #report(): void {
    const { onProgress, contentLength } = this.#options;
    if (onProgress === undefined) return;
    const progress: UploadProgress = {
      bytesRead: this.#bytesRead,
      bytesUploaded: this.#bytesUploaded,
      partsUploaded: this.#completedParts.length,
    };
    if (contentLength !== undefined) progress.totalBytes = contentLength;
    try {
      onProgress(progress);
    } catch (error) {
      this.#fail("onProgress threw", error);
    }
  }

  /** Records the first failure, stops the work in flight and starts the cleanup; later failures are consequences. */
  #fail(
    what: string,
    cause: unknown,
    partNumber?: number,
    keptNote?: string,
  ): void {
    if (this.#failure !== undefined) return;
    this.#failure = {
      what,
      cause,
      partNumber,
      keptNote,
    };
    this.#buffer = undefined;
    this.#work.abort(cause);
    this.#cleanup = this.#cleanUp();
    this.#cleanup.then((error) => {
      this.#settle();
      this.#controller?.error(error);
      this.#reject(error);
    });
  }

  /** Waits for the work in flight to stop, aborts the multipart upload, and builds the error. */
  async #cleanUp(): Promise<S3UploadError> {
    const failure = this.#failure!;
    await Promise.allSettled([
      ...this.#inFlight,
      this.#creating,
      this.#checkpointing,
    ]);
    let outcome = "";
    // Only an upload someone holds a checkpoint of can be resumed.
    const keep = failure.keptNote !== undefined ||
      (!this.#options.abortOnFailure && this.#checkpointStored);
    let kept = false;
    if (this.#uploadId !== undefined && keep) {
      outcome = failure.keptNote ?? this.#keptNote();
      kept = failure.keptNote !== "";
    } else if (this.#uploadId !== undefined && !this.#completed) {
      try {
        await this.#abortUpload(this.#uploadId);
        outcome = "; the multipart upload was aborted";
      } catch (error) {
        outcome = `; aborting it failed too, so its parts may remain (${
          reasonOf(error)
        })`;
      }
    }
    outcome += await this.#abortStrays();
    const o = this.#options;
    const cause = unwrap(failure.cause);
    const detail = failure.cause === undefined
      ? ""
      : `: ${reasonOf(failure.cause)}`;
    const upload = this.#uploadId === undefined
      ? ""
      : ` (upload ID ${this.#uploadId})`;
    return new S3UploadError(
      `Cannot upload to s3://${o.bucket}/${o.key}${upload}: ${failure.what}${detail}${outcome}`,
      {
        bucket: o.bucket,
        key: o.key,
        uploadId: this.#uploadId,
        partNumber: failure.partNumber,
        uploadKept: kept,
        cause,
      },
    );
  }

  /**
   * Aborts the upload, then asks ListParts whether it is gone: S3 documents
   * that a part still arriving during the abort can outlive it, so abort
   * again while parts are listed.
   */
  async #abortUpload(uploadId: string): Promise<void> {
    const o = this.#options;
    const input = { Bucket: o.bucket, Key: o.key, UploadId: uploadId };
    for (let round = 1; round <= ABORT_ROUNDS; round++) {
      try {
        await this.#requests.abortMultipartUpload(input, this.#cleanupSignal);
      } catch (error) {
        if (errorName(unwrap(error)) !== "NoSuchUpload") throw error;
      }
      try {
        await this.#requests.listParts(input, this.#cleanupSignal);
      } catch {
        // NoSuchUpload: gone, as intended. Any other error: the abort was
        // acknowledged, and a listing that fails cannot tell us more.
        return;
      }
    }
    throw new Error(
      `ListParts still shows upload ${uploadId} after ${ABORT_ROUNDS} aborts`,
    );
  }

  /**
   * Aborts the uploads that CreateMultipartUpload attempts whose answers were
   * lost may have created: same key, not ours, begun since our first attempt
   * (give or take clock skew). Only runs after such a loss. Returns what it
   * could not tidy, for a failed upload's message; such strays hold no parts.
   */
  async #abortStrays(): Promise<string> {
    if (!this.#lostCreateAnswer) return "";
    const o = this.#options;
    const since = this.#createStartedAt - CLOCK_SKEW_MS;
    const strays: string[] = [];
    try {
      let markers: { KeyMarker?: string; UploadIdMarker?: string } = {};
      for (let page = 0; page < STRAY_LISTING_PAGES; page++) {
        const listing = await this.#requests.listMultipartUploads(
          { Bucket: o.bucket, Prefix: o.key, ...markers },
          this.#cleanupSignal,
        );
        for (const upload of listing.Uploads ?? []) {
          if (
            upload.Key === o.key && upload.UploadId !== undefined &&
            upload.UploadId !== this.#uploadId &&
            (upload.Initiated?.getTime() ?? 0) >= since
          ) strays.push(upload.UploadId);
        }
        if (!listing.IsTruncated) break;
        markers = {
          KeyMarker: listing.NextKeyMarker,
          UploadIdMarker: listing.NextUploadIdMarker,
        };
      }
    } catch (error) {
      return `; an upload begun by a CreateMultipartUpload whose answer was lost may remain, without parts (${
        reasonOf(error)
      })`;
    }
    const failed: string[] = [];
    for (const uploadId of strays) {
      await this.#abortUpload(uploadId).catch((error) =>
        failed.push(`${uploadId}: ${reasonOf(error)}`)
      );
    }
    return failed.length === 0
      ? ""
      : `; uploads begun by CreateMultipartUpload attempts whose answers were lost remain, without parts (${
        failed.join("; ")
      })`;
  }

  /** What the error says of an upload kept for a later resume. */
  #keptNote(): string {
    return `; the multipart upload was kept with its completed parts, to be resumed from its last checkpoint or aborted (upload ID ${this.#uploadId})`;
  }

  #settle(): void {
    const { signal } = this.#options;
    if (signal !== undefined && this.#onSignalAbort !== undefined) {
      signal.removeEventListener("abort", this.#onSignalAbort);
    }
  }
}

function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(
    hex.match(/../g) ?? [],
    (byte) => parseInt(byte, 16),
  );
}

/** Whether an ETag is the MD5 of the bytes: not under SSE-KMS (or DSSE-KMS) nor SSE-C. */
function etagIsMd5(output: EncryptionFields): boolean {
  const sse = output.ServerSideEncryption;
  return (sse === undefined || sse === "AES256") &&
    output.SSECustomerAlgorithm === undefined;
}

/** The MD5 an answer's ETag stands for, when it is one. */
function etagDigest(
  output: { ETag?: string } & EncryptionFields,
): Uint8Array | undefined {
  const etag = bareEtag(output.ETag ?? "");
  return etagIsMd5(output) && MD5_HEX.test(etag) ? fromHex(etag) : undefined;
}

/**
 * Checks that a part (or object) was answered with an ETag and, when the MD5
 * of the bytes sent is known, that the ETag is that MD5. The server already
 * checked Content-MD5 on arrival; this catches an answer that belongs to
 * other bytes. A mismatch is retried.
 */
function checkEtag(
  output: { ETag?: string } & EncryptionFields,
  digest: Uint8Array | undefined,
  partNumber: number,
): void {
  if (output.ETag === undefined || output.ETag === "") {
    throw new TypeError(
      `Part ${partNumber} was answered without an ETag`,
    );
  }
  if (
    digest !== undefined && etagIsMd5(output) &&
    !etagMatchesDigest(output.ETag, digest)
  ) {
    const error = new Error(
      `Part ${partNumber} was answered ETag ${output.ETag} but the MD5 of its bytes differs`,
    );
    error.name = "PartChecksumMismatch";
    throw error;
  }
}
