/**
 * The requests of one object's upload, each with its own recovery: create
 * (and the uploads a lost answer may have begun), parts, completion,
 * verification and abort.
 *
 * @module
 */

import type {
  CompletedPart,
  CompleteMultipartUploadCommandOutput,
  CreateMultipartUploadCommandInput,
  HeadObjectCommandOutput,
  PutObjectCommandInput,
  PutObjectCommandOutput,
  UploadPartCommandOutput,
} from "@aws-sdk/client-s3";
import { reasonOf, unwrap } from "./_retry.ts";
import { errorName } from "./_s3_error_fields.ts";
import type { S3Requests } from "./_s3_requests.ts";
import { bareEtag, checkEtag, toBase64 } from "./_etag.ts";
import { MAX_PARTS } from "./_part_size_plan.ts";
import { checkEchoedChecksum, crc32Checksum } from "./_part_checksum.ts";
import type { PayloadSigning } from "./_payload_signing.ts";

/** How many times an abort is repeated while ListParts still shows the upload. */
const ABORT_ROUNDS = 3;
/** Listing pages read when looking for uploads a lost CreateMultipartUpload answer left. */
const STRAY_LISTING_PAGES = 10;
/** Clock difference allowed between us and the server when dating a stray upload. */
const CLOCK_SKEW_MS = 60_000;
/** ListParts pages read at most: 10,000 parts at the smallest page S3 pads to. */
const LIST_PARTS_PAGES = MAX_PARTS;

/**
 * Whether an error says the upload does not exist (any more): S3 answers
 * `NoSuchUpload`; radosgw, and Swift on abort, answer 404 `NoSuchKey`.
 */
export function isGone(error: unknown): boolean {
  const name = errorName(unwrap(error));
  return name === "NoSuchUpload" || name === "NoSuchKey";
}

/** A part as ListParts shows it. */
export interface ListedPart {
  etag: string;
  /** -1 when the server did not say. */
  size: number;
}

/** The object an upload writes. */
export interface UploadTarget {
  readonly bucket: string;
  readonly key: string;
  /** Whether part bodies are signed; `"auto"` when absent. */
  readonly payloadSigning?: PayloadSigning;
  /** The checksum parts carry; `"crc32"` when absent. */
  readonly partChecksum?: "crc32" | "none";
}

/** The request fields that carry a part's CRC-32, if it has one. */
function checksumFields(
  checksum: string | undefined,
): { ChecksumAlgorithm?: "CRC32"; ChecksumCRC32?: string } {
  return checksum === undefined
    ? {}
    : { ChecksumAlgorithm: "CRC32", ChecksumCRC32: checksum };
}

/** The multipart requests of one object. */
export class MultipartProtocol {
  #requests: S3Requests;
  /** The same requests under the cleanup budget, for what follows a failure. */
  #cleanup: S3Requests;
  #target: UploadTarget;
  /** Never aborted: requests that clean up must run even after a failure. */
  #cleanupSignal = new AbortController().signal;
  #createStartedAt = 0;
  /** Set when a CreateMultipartUpload attempt got no answer: it may have created an upload we never heard of. */
  #lostCreateAnswer = false;

  constructor(
    requests: { work: S3Requests; cleanup: S3Requests },
    target: UploadTarget,
  ) {
    this.#requests = requests.work;
    this.#cleanup = requests.cleanup;
    this.#target = target;
  }

  /**
   * Starts a multipart upload and returns its ID. Not cancellable: an
   * upload created after its request was cancelled would be unknown to us
   * and left behind, so it is awaited instead, and aborted by the cleanup.
   */
  async create(
    fields: Omit<CreateMultipartUploadCommandInput, "Bucket" | "Key">,
  ): Promise<string> {
    this.#createStartedAt = Date.now();
    const output = await this.#requests.createMultipartUpload(
      { Bucket: this.#target.bucket, Key: this.#target.key, ...fields },
      this.#cleanupSignal,
      () => {
        this.#lostCreateAnswer = true;
      },
    );
    if (typeof output.UploadId !== "string" || output.UploadId === "") {
      throw new TypeError(`CreateMultipartUpload answered without an UploadId`);
    }
    return output.UploadId;
  }

  /**
   * Sends one part with its CRC-32 (computed once, here, so that the SDK
   * computes none), checking the checksum echoed and its ETag against
   * `digest` (the MD5 of its bytes) when given.
   */
  uploadPart(
    uploadId: string,
    partNumber: number,
    bytes: Uint8Array,
    digest: Uint8Array | undefined,
    signal: AbortSignal,
  ): Promise<UploadPartCommandOutput> {
    const checksum = this.#checksumOf(bytes);
    return this.#requests.uploadPart(
      {
        Bucket: this.#target.bucket,
        Key: this.#target.key,
        UploadId: uploadId,
        PartNumber: partNumber,
        Body: bytes,
        ContentLength: bytes.length,
        ContentMD5: digest === undefined ? undefined : toBase64(digest),
        ...checksumFields(checksum),
      },
      signal,
      (answer) => {
        checkEchoedChecksum(answer, checksum, partNumber);
        checkEtag(answer, digest, partNumber);
      },
      this.#target.payloadSigning ?? "auto",
    );
  }

  /** The part's CRC-32 header value, unless `partChecksum` is `"none"`. */
  #checksumOf(bytes: Uint8Array): string | undefined {
    return this.#target.partChecksum === "none"
      ? undefined
      : crc32Checksum(bytes);
  }

  /** Puts a body of one part as a plain object, with its CRC-32 as `uploadPart` sends a part's. */
  putObject(
    bytes: Uint8Array,
    digest: Uint8Array | undefined,
    fields: Omit<
      PutObjectCommandInput,
      "Bucket" | "Key" | "Body" | "ContentLength" | "ContentMD5"
    >,
    signal: AbortSignal,
  ): Promise<PutObjectCommandOutput> {
    const checksum = this.#checksumOf(bytes);
    return this.#requests.putObject(
      {
        Bucket: this.#target.bucket,
        Key: this.#target.key,
        Body: bytes,
        ContentLength: bytes.length,
        ContentMD5: digest === undefined ? undefined : toBase64(digest),
        ...fields,
        ...checksumFields(checksum),
      },
      signal,
      (answer) => {
        checkEchoedChecksum(answer, checksum, 1);
        checkEtag(answer, digest, 1);
      },
      this.#target.payloadSigning ?? "auto",
    );
  }

  /**
   * Completes the upload. An earlier attempt may have completed it and lost
   * its answer: a retry told `NoSuchUpload` then finds the object, which is
   * ours if its ETag is `expectedEtag`, the one our parts make.
   */
  complete(
    uploadId: string,
    parts: CompletedPart[],
    expectedEtag: string,
    signal: AbortSignal,
  ): Promise<CompleteMultipartUploadCommandOutput> {
    return this.#requests.completeMultipartUpload(
      {
        Bucket: this.#target.bucket,
        Key: this.#target.key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      },
      signal,
      async (error, attemptSignal) => {
        const head = await this.head(attemptSignal);
        if (head.ETag !== undefined && bareEtag(head.ETag) === expectedEtag) {
          return { ETag: head.ETag, $metadata: {} };
        }
        throw error;
      },
    );
  }

  /** The object's metadata, under the work budget. */
  head(signal: AbortSignal): Promise<HeadObjectCommandOutput> {
    return this.#requests.headObject(
      { Bucket: this.#target.bucket, Key: this.#target.key },
      signal,
    );
  }

  /**
   * The object's metadata under the cleanup budget, uncancellable: for
   * finding out what a request whose answer was lost did.
   */
  headToVerify(): Promise<HeadObjectCommandOutput> {
    return this.#cleanup.headObject(
      { Bucket: this.#target.bucket, Key: this.#target.key },
      this.#cleanupSignal,
    );
  }

  /**
   * Whether the upload still exists, under the cleanup budget and
   * uncancellable unless given a `signal`: `false` only when ListParts (one
   * part's worth) answers that it is gone. Throws when it cannot tell.
   */
  async exists(
    uploadId: string,
    signal: AbortSignal = this.#cleanupSignal,
  ): Promise<boolean> {
    try {
      await this.#cleanup.listParts(
        {
          Bucket: this.#target.bucket,
          Key: this.#target.key,
          UploadId: uploadId,
          MaxParts: 1,
        },
        signal,
      );
      return true;
    } catch (error) {
      if (isGone(error)) return false;
      throw error;
    }
  }

  /** Every part of the upload, from every page of ListParts. */
  async listParts(
    uploadId: string,
    signal: AbortSignal,
  ): Promise<Map<number, ListedPart>> {
    const listed = new Map<number, ListedPart>();
    let marker: string | undefined;
    for (let page = 0; page < LIST_PARTS_PAGES; page++) {
      const output = await this.#requests.listParts(
        {
          Bucket: this.#target.bucket,
          Key: this.#target.key,
          UploadId: uploadId,
          ...(marker === undefined ? {} : { PartNumberMarker: marker }),
        },
        signal,
      );
      for (const part of output.Parts ?? []) {
        if (part.PartNumber === undefined || part.ETag === undefined) continue;
        listed.set(part.PartNumber, { etag: part.ETag, size: part.Size ?? -1 });
      }
      const next = output.NextPartNumberMarker;
      if (!output.IsTruncated || next === undefined || next === marker) break;
      marker = next;
    }
    return listed;
  }

  /**
   * Aborts the upload, then asks ListParts whether it is gone: S3 documents
   * that a part still arriving during the abort can outlive it, so abort
   * again while parts are listed. Resolves `"aborted"` when our abort was
   * answered, `"already-gone"` when the server said from the start that the
   * upload did not exist (completed, or aborted by someone else); throws
   * when the upload cannot be shown gone.
   */
  async abort(uploadId: string): Promise<"aborted" | "already-gone"> {
    const input = {
      Bucket: this.#target.bucket,
      Key: this.#target.key,
      UploadId: uploadId,
    };
    let outcome: "aborted" | "already-gone" = "aborted";
    for (let round = 1; round <= ABORT_ROUNDS; round++) {
      try {
        await this.#cleanup.abortMultipartUpload(input, this.#cleanupSignal);
      } catch (error) {
        if (!isGone(error)) throw error;
        if (round === 1) outcome = "already-gone";
      }
      let stillThere;
      try {
        stillThere = await this.exists(uploadId);
      } catch (error) {
        // A listing that fails otherwise leaves the upload unknown, and
        // "aborted" would be a guess.
        throw new Error(
          `AbortMultipartUpload was answered, but ListParts could not confirm that upload ${uploadId} is gone: ${
            reasonOf(error)
          }`,
          { cause: error },
        );
      }
      if (!stillThere) return outcome;
    }
    throw new Error(
      `ListParts still shows upload ${uploadId} after ${ABORT_ROUNDS} aborts`,
    );
  }

  /**
   * Aborts the uploads that CreateMultipartUpload attempts whose answers were
   * lost may have created: same key, not `ours`, begun since our first
   * attempt (give or take clock skew). Only runs after such a loss. Returns
   * what it could not tidy, for a failed upload's message; such strays hold
   * no parts.
   */
  async abortStrays(ours: string | undefined): Promise<string> {
    if (!this.#lostCreateAnswer) return "";
    const { bucket, key } = this.#target;
    const since = this.#createStartedAt - CLOCK_SKEW_MS;
    const strays: string[] = [];
    try {
      let markers: { KeyMarker?: string; UploadIdMarker?: string } = {};
      for (let page = 0; page < STRAY_LISTING_PAGES; page++) {
        const listing = await this.#cleanup.listMultipartUploads(
          { Bucket: bucket, Prefix: key, ...markers },
          this.#cleanupSignal,
        );
        for (const upload of listing.Uploads ?? []) {
          if (
            upload.Key === key && upload.UploadId !== undefined &&
            upload.UploadId !== ours &&
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
      await this.abort(uploadId).catch((error) =>
        failed.push(`${uploadId}: ${reasonOf(error)}`)
      );
    }
    return failed.length === 0
      ? ""
      : `; uploads begun by CreateMultipartUpload attempts whose answers were lost remain, without parts (${
        failed.join("; ")
      })`;
  }
}
