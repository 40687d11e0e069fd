/**
 * An S3 object's CRC-32, taken from the checksum S3 keeps for it rather than
 * from its bytes: decoded from HeadObject's `ChecksumCRC32` when that is the
 * checksum of the whole object, or joined from its parts' checksums
 * (GetObjectAttributes) when it is a checksum of checksums.
 *
 * @module
 */

import { GetObjectAttributesCommand } from "@aws-sdk/client-s3";
import type {
  GetObjectAttributesCommandOutput,
  HeadObjectCommandOutput,
} from "@aws-sdk/client-s3";
import { crc32 } from "../zip/crc32.ts";
import { crc32Combine } from "../zip/crc32_combine.ts";
import { bareEtag, MULTIPART_ETAG } from "./_etag.ts";
import {
  isRetryable,
  reasonOf,
  type RetryPolicy,
  unwrap,
  withRetries,
} from "./_retry.ts";
import type { S3ClientLike } from "./s3_client_like.ts";

/** Parts per GetObjectAttributes page: S3's maximum. */
const PARTS_PER_PAGE = 1000;
/** S3's most parts in one object: a listing that goes on past it is not S3's. */
const MAX_PARTS = 10_000;

/** The object whose parts are listed. */
export interface ObjectAddress {
  bucket: string;
  key: string;
  versionId: string | undefined;
  size: number;
}

/** One part's CRC-32 and length. */
interface PartCrc {
  crc32: number;
  size: number;
}

/**
 * A CRC-32 as S3 writes it, base64 of its 4 bytes big-endian; `undefined`
 * for anything else, so a malformed value is never read as a CRC.
 */
export function decodeCrc32(value: string): number | undefined {
  if (!/^[A-Za-z0-9+/]{6}==$/.test(value)) return undefined;
  const bytes = Uint8Array.from(atob(value), (char) => char.charCodeAt(0));
  return new DataView(bytes.buffer).getUint32(0);
}

/**
 * The object's CRC-32 from a HeadObject answer (made with `ChecksumMode:
 * "ENABLED"`), or `undefined` when S3 keeps none: no checksum, or one of
 * another algorithm (CRC-32C, CRC-64, SHA), which is no CRC-32.
 *
 * A `ChecksumCRC32` is of the whole object when `ChecksumType` says
 * `FULL_OBJECT`, or when the object was put in one piece (its ETag has no
 * `-N` part count). A multipart object's checksum is otherwise COMPOSITE:
 * the CRC-32 of its parts' checksums, which says nothing of the whole; the
 * parts' checksums are then listed and joined with `crc32Combine`. moto
 * leaves `ChecksumType` out for multipart objects either way, so the listed
 * parts decide: the object's checksum must be their CRC-32s' CRC-32
 * (composite) or their join (full object), else nothing is trusted.
 */
export async function crc32OfObject(
  client: S3ClientLike,
  policy: RetryPolicy,
  head: HeadObjectCommandOutput,
  object: ObjectAddress,
): Promise<number | undefined> {
  const value = head.ChecksumCRC32;
  if (value === undefined) return undefined;
  // S3 writes a composite checksum as "base64-N" (N parts) in some answers.
  const match = /^([^-]*)(?:-(\d+))?$/.exec(value);
  const checksum = decodeCrc32(match?.[1] ?? "");
  if (checksum === undefined) return undefined;
  const partCount = match?.[2] === undefined ? undefined : Number(match[2]);
  const type = head.ChecksumType;
  if (type === "FULL_OBJECT") {
    return partCount === undefined ? checksum : undefined;
  }
  const multipart = partCount !== undefined || type === "COMPOSITE" ||
    MULTIPART_ETAG.test(bareEtag(head.ETag ?? ""));
  if (!multipart) return checksum;

  const parts = await partCrcs(client, policy, object);
  if (
    parts === undefined ||
    (partCount !== undefined && parts.length !== partCount) ||
    parts.reduce((sum, part) => sum + part.size, 0) !== object.size
  ) {
    return undefined;
  }
  const joined = parts.reduce(
    (crc, part) => crc32Combine(crc, part.crc32, part.size),
    0,
  );
  const checksums = new DataView(new ArrayBuffer(parts.length * 4));
  parts.forEach((part, index) => checksums.setUint32(index * 4, part.crc32));
  const composite = crc32(new Uint8Array(checksums.buffer));
  if (checksum === composite) return joined;
  return type !== "COMPOSITE" && checksum === joined ? joined : undefined;
}

/**
 * Every part's CRC-32 and size, from GetObjectAttributes' `ObjectParts`, a
 * page of 1,000 at a time; `undefined` when the server does not list them
 * (moto, an object whose parts carry no CRC-32, a caller without the
 * `s3:GetObjectAttributes` permission): the CRC is then computed from the
 * data instead. Transient failures that outlast the retries are thrown.
 */
async function partCrcs(
  client: S3ClientLike,
  policy: RetryPolicy,
  object: ObjectAddress,
): Promise<PartCrc[] | undefined> {
  const { bucket, key, versionId } = object;
  const parts: PartCrc[] = [];
  let marker: string | undefined;
  while (parts.length < MAX_PARTS) {
    let page: GetObjectAttributesCommandOutput;
    try {
      page = await withRetries(
        "GetObjectAttributes",
        policy,
        new AbortController().signal,
        0,
        (signal) =>
          client.send(
            new GetObjectAttributesCommand({
              Bucket: bucket,
              Key: key,
              ...(versionId === undefined ? {} : { VersionId: versionId }),
              ObjectAttributes: ["ObjectParts"],
              MaxParts: PARTS_PER_PAGE,
              ...(marker === undefined ? {} : { PartNumberMarker: marker }),
            }),
            { abortSignal: signal },
          ) as Promise<GetObjectAttributesCommandOutput>,
      );
    } catch (error) {
      if (isRetryable(unwrap(error))) {
        throw new Error(
          `Cannot read the part checksums of s3://${bucket}/${key}: ${
            reasonOf(error)
          }`,
          { cause: error },
        );
      }
      return undefined;
    }
    const listed = page.ObjectParts;
    for (const part of listed?.Parts ?? []) {
      const crc = decodeCrc32(part.ChecksumCRC32 ?? "");
      if (crc === undefined || part.Size === undefined) return undefined;
      parts.push({ crc32: crc, size: part.Size });
    }
    const next = listed?.NextPartNumberMarker;
    // A marker that does not move on would list the same page forever.
    if (!listed?.IsTruncated || next === undefined || next === marker) break;
    marker = next;
  }
  return parts.length === 0 ? undefined : parts;
}
