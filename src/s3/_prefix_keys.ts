/**
 * The keys under an S3 prefix that become entries of a planned archive,
 * with the names they take in it.
 *
 * @module
 */

import { reasonOf } from "../_errors.ts";
import type { S3Requests } from "./_s3_requests.ts";

/** A listed key and its name in the archive. */
export interface NamedKey {
  name: string;
  key: string;
}

/**
 * Every key under `prefix` (ListObjectsV2, every page), named by the rest
 * of the key after the prefix's last `/`, as `s3Entries` names them, so
 * that both name alike. The key equal to the prefix and folder markers
 * (keys ending in `/` that hold no bytes) are left out; a key ending in `/`
 * that holds bytes is refused, since a ZIP name ending in `/` is a folder.
 *
 * @throws {TypeError} a key ending in `/` that holds bytes.
 * @throws {Error} a listing that failed, naming the prefix.
 */
export async function prefixKeys(
  requests: S3Requests,
  bucket: string,
  prefix: string,
): Promise<NamedKey[]> {
  const keys: NamedKey[] = [];
  let token: string | undefined;
  do {
    let page;
    try {
      page = await requests.listObjectsV2({
        Bucket: bucket,
        Prefix: prefix,
        ...(token === undefined ? {} : { ContinuationToken: token }),
      }, new AbortController().signal);
    } catch (error) {
      throw new Error(
        `Cannot list s3://${bucket}/${prefix}: ${reasonOf(error)}`,
        { cause: error },
      );
    }
    for (const { Key: key, Size: size = 0 } of page.Contents ?? []) {
      if (key === undefined || !key.startsWith(prefix)) continue;
      const name = key.slice(prefix.lastIndexOf("/") + 1).replace(/^\/+/, "");
      if (name === "") continue;
      if (name.endsWith("/")) {
        if (size === 0) continue;
        throw new TypeError(
          `Cannot plan s3://${bucket}/${key} as an archive entry: expected a key ending in "/" to be an empty folder marker but it holds ${size} bytes`,
        );
      }
      keys.push({ name, key });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return keys;
}
