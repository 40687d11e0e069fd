/**
 * The S3 client the CLI talks to a server with, for targets and s3:// paths
 * alike.
 *
 * @module
 */

import type { S3Client } from "@aws-sdk/client-s3";

/**
 * A client for `endpoint` and `region`, each falling back to the
 * environment the AWS SDK reads. An explicit endpoint means an S3-compatible
 * server, so addressing is path-style and the region defaults to us-east-1.
 * `noChecksums` (`--part-checksum none`) stops the SDK adding checksum
 * headers of its own where S3 does not require them.
 */
export async function s3Client(
  endpoint: string | undefined,
  region: string | undefined,
  noChecksums = false,
): Promise<S3Client> {
  // Loaded only when S3 is used: the SDK takes most of the CLI's start-up time.
  const { S3Client } = await import("@aws-sdk/client-s3");
  const env = Deno.env.toObject();
  const url = endpoint ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  const name = region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ??
    (url === undefined ? undefined : "us-east-1");
  return new S3Client({
    ...(url === undefined ? {} : { endpoint: url, forcePathStyle: true }),
    ...(name === undefined ? {} : { region: name }),
    ...(noChecksums ? { requestChecksumCalculation: "WHEN_REQUIRED" } : {}),
  });
}
