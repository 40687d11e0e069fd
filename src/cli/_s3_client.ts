/**
 * The S3 client the CLI talks to a server with, for targets and s3:// paths
 * alike.
 *
 * @module
 */

import type { S3Client } from "@aws-sdk/client-s3";
import { CliError } from "./_cli_error.ts";

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
  profile: string | undefined = undefined,
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
    ...(profile === undefined ? {} : { profile }),
  });
}

/**
 * Resolves the client's credentials now, so that a machine without any
 * fails at once with what to set, instead of after every retry of the
 * first request with the SDK's "Could not load credentials from any
 * providers".
 *
 * @throws {CliError} naming `uri` and the ways to give credentials
 */
export async function requireCredentials(
  client: S3Client,
  uri: string,
): Promise<void> {
  try {
    await client.config.credentials();
  } catch (error) {
    const message = error instanceof Error
      ? error.message.replace(/\.$/, "")
      : String(error);
    // The chain's own message only says that it found nothing; a named
    // profile's ("Could not resolve credentials using profile ...") says more.
    const detail = /from any providers/.test(message) ? "" : ` (${message})`;
    throw new CliError(
      `No AWS credentials for ${uri}${detail}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name a profile with --profile or AWS_PROFILE; an S3-compatible server given with --endpoint takes its keys the same way`,
      { cause: error },
    );
  }
}
