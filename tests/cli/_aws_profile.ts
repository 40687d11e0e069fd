/**
 * An AWS profile for the local S3 server, in config and credentials files
 * of a test's own, with wrong default credentials beside it.
 *
 * @module
 */

import { LOCAL_S3_ENV } from "../s3/_local_s3.ts";

/**
 * Writes `config` and `credentials` into `dir`, holding the local server's
 * keys under the profile `work` and wrong keys as the default credentials,
 * and returns the environment of a CLI run that reads them, its journal in
 * `dir/state`: only the profile can reach the server.
 */
export async function profileEnv(
  dir: string,
): Promise<Record<string, string>> {
  await Deno.writeTextFile(
    `${dir}/credentials`,
    `[default]
aws_access_key_id = test:nobody
aws_secret_access_key = wrong

[work]
aws_access_key_id = ${LOCAL_S3_ENV.AWS_ACCESS_KEY_ID}
aws_secret_access_key = ${LOCAL_S3_ENV.AWS_SECRET_ACCESS_KEY}
`,
  );
  await Deno.writeTextFile(
    `${dir}/config`,
    `[default]
region = us-east-1

[profile work]
region = us-east-1
`,
  );
  return {
    AWS_CONFIG_FILE: `${dir}/config`,
    AWS_SHARED_CREDENTIALS_FILE: `${dir}/credentials`,
    // Empty counts as unset: the keys the test runner was given must not
    // stand in for the default credentials.
    AWS_ACCESS_KEY_ID: "",
    AWS_SECRET_ACCESS_KEY: "",
    AWS_REGION: "us-east-1",
    ZIPSTREAM_STATE_DIR: `${dir}/state`,
  };
}
