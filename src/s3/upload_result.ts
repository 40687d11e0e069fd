/**
 * What a finished upload reports.
 *
 * @module
 */

/** The object an upload created. */
export interface UploadResult {
  /** The bucket it was written to. */
  bucket: string;
  /** Its key. */
  key: string;
  /** Its ETag as the server gave it (quoted, `"<md5>"` or `"<md5>-<parts>"` on S3). */
  etag: string;
  /** Its size in bytes, counted while streaming and confirmed by HeadObject. */
  size: number;
  /** How many parts it was uploaded in: 1 for a single PutObject. */
  parts: number;
  /** The CRC-32 (as ZIP computes it) of all its bytes, computed while streaming. */
  crc32: number;
  /** The multipart upload's ID; absent when a single PutObject sufficed. */
  uploadId?: string;
  /** The object's URL as CompleteMultipartUpload reported it, if it did. */
  location?: string;
}
