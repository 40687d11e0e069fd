/**
 * S3 objects in a planned archive: `s3://` paths of `zipstream plan` and
 * `zipstream serve`, and the objects manifests name. One client, made (and
 * its credentials checked) on first use, destroyed with `using`; the AWS
 * SDK is loaded only then.
 *
 * @module
 */

import type { S3Client } from "@aws-sdk/client-s3";
import type { S3RangedSource } from "../s3/s3_ranged_source.ts";
import type { PlanEntry } from "../zip/plan_entry.ts";
import { messageOf } from "../_errors.ts";
import { CliError } from "./_cli_error.ts";
import type { S3Version } from "./_manifest.ts";
import { requireCredentials, s3Client } from "./_s3_client.ts";
import { parseS3Uri } from "./_s3_uri.ts";

/** The server and credentials of the objects. */
export interface PlanS3Options {
  endpoint: string | undefined;
  region: string | undefined;
  profile: string | undefined;
}

/** Makes ranged sources of S3 objects with one client. */
export class PlanS3 implements Disposable {
  readonly #options: PlanS3Options;
  /** Shared by the first uses, which may come at once. */
  #client: Promise<S3Client> | undefined;
  /** The client made, to destroy, whether its credentials were found or not. */
  #made: S3Client | undefined;

  constructor(options: PlanS3Options) {
    this.#options = options;
  }

  /**
   * The entries of an `s3://` path, named as the main command names them:
   * under a prefix ending in `/`, from the prefix's last folder on
   * (`s3://b/x/logs/` gives `logs/a.txt`), folder markers left out; else the
   * object with that key, by its last segment, or if there is none the
   * folder of that name.
   *
   * @throws {CliError} naming the path: no objects, or the request's failure
   */
  async entries(uri: string): Promise<PlanEntry[]> {
    const { bucket, key } = parseS3Uri(uri);
    const client = await this.#connect(uri);
    const { s3PlanEntries, s3RangedSource } = await import("../s3/mod.ts");
    const listFolder = async (prefix: string, nothing: string) => {
      // "x/logs/" -> "logs/": the folder the archive names, like a directory argument.
      const top = prefix.slice(prefix.lastIndexOf("/", prefix.length - 2) + 1);
      const listed = await s3PlanEntries(client, { bucket, prefix });
      if (listed.length === 0) {
        throw new CliError(`Cannot add "${uri}": ${nothing}`);
      }
      return listed.map((entry) => ({ ...entry, name: top + entry.name }));
    };
    try {
      if (key === "" || key.endsWith("/")) {
        return await listFolder(key, "no objects under that prefix");
      }
      let object: S3RangedSource;
      try {
        object = await s3RangedSource(client, { bucket, key });
      } catch {
        return await listFolder(
          `${key}/`,
          `no object with that key and no objects under "${key}/"`,
        );
      }
      return [{
        name: key.slice(key.lastIndexOf("/") + 1),
        data: object,
        ...(object.lastModified === undefined
          ? {}
          : { lastModified: object.lastModified }),
      }];
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(`Cannot add "${uri}": ${firstLine(error)}`, {
        cause: error,
      });
    }
  }

  /**
   * The object at `s3://bucket/key` as it is now (one HeadObject).
   *
   * @throws {CliError} naming the object when it cannot be read
   */
  async head(bucket: string, key: string): Promise<S3RangedSource> {
    const uri = `s3://${bucket}/${key}`;
    const client = await this.#connect(uri);
    const { s3RangedSource } = await import("../s3/mod.ts");
    try {
      return await s3RangedSource(client, { bucket, key });
    } catch (error) {
      throw new CliError(firstLine(error), { cause: error });
    }
  }

  /** The object a manifest recorded, with its size and CRC, asking S3 nothing. */
  async recorded(
    object: S3Version,
    known: { size: number; crc32: number },
  ): Promise<S3RangedSource> {
    const { bucket, key, etag, versionId } = object;
    const client = await this.#connect(`s3://${bucket}/${key}`);
    const { S3RangedSource } = await import("../s3/mod.ts");
    return new S3RangedSource({
      client,
      bucket,
      key,
      etag,
      ...(versionId === undefined ? {} : { versionId }),
      ...known,
    });
  }

  [Symbol.dispose](): void {
    this.#made?.destroy();
  }

  /** The client, made once; its credentials are checked first, so that without any the run stops at once. */
  #connect(uri: string): Promise<S3Client> {
    this.#client ??= (async () => {
      const { endpoint, region, profile } = this.#options;
      const client = await s3Client(endpoint, region, false, profile);
      this.#made = client;
      await requireCredentials(client, uri);
      return client;
    })();
    return this.#client;
  }
}

/** The library's messages may carry the SDK's details on further lines. */
function firstLine(error: unknown): string {
  return messageOf(error).split("\n")[0] ?? "";
}
