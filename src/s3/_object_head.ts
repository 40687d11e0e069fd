/**
 * What one HeadObject (with checksums) tells of an object that a planned
 * archive needs: its size, ETag, last modification and CRC-32.
 *
 * @module
 */

import { reasonOf, show } from "../_errors.ts";
import { crc32OfObject } from "./_object_crc32.ts";
import { WORK_RETRY } from "./_option_checks.ts";
import type { S3Requests } from "./_s3_requests.ts";
import type { S3ClientLike } from "./s3_client_like.ts";

/** Which object. */
export interface HeadLocation {
  bucket: string;
  key: string;
  versionId: string | undefined;
}

/** What the HeadObject answered, and the CRC-32 when S3 keeps one. */
export interface ObjectHead {
  size: number;
  etag: string;
  crc32: number | undefined;
  lastModified: Date | undefined;
}

/**
 * One HeadObject with `ChecksumMode: "ENABLED"` and, for a COMPOSITE
 * checksum, GetObjectAttributes for the parts' (see `crc32OfObject`).
 *
 * @throws {TypeError} an answer without a size or an ETag.
 * @throws {Error} a request that failed, naming the object.
 */
export async function headObject(
  client: S3ClientLike,
  requests: S3Requests,
  location: HeadLocation,
): Promise<ObjectHead> {
  const { bucket, key, versionId } = location;
  const target = `s3://${bucket}/${key}`;
  let head;
  try {
    head = await requests.headObject({
      Bucket: bucket,
      Key: key,
      ...(versionId === undefined ? {} : { VersionId: versionId }),
      ChecksumMode: "ENABLED",
    }, new AbortController().signal);
  } catch (error) {
    throw new Error(`Cannot plan ${target}: ${reasonOf(error)}`, {
      cause: error,
    });
  }
  const { ContentLength: size, ETag: etag, LastModified: lastModified } = head;
  if (size === undefined || etag === undefined || etag === "") {
    throw new TypeError(
      `Cannot plan ${target}: expected HeadObject to answer its size and ETag but got size ${
        show(size)
      } and ETag ${show(etag)}`,
    );
  }
  const crc32 = await crc32OfObject(client, WORK_RETRY, head, {
    bucket,
    key,
    versionId,
    size,
  });
  return { size, etag, crc32, lastModified };
}
