/**
 * Options that need others, or rule others out: checked once the command
 * line is parsed, before a password is asked for or anything is walked.
 *
 * @module
 */

import type { CliPlan } from "./_args.ts";
import { UsageError } from "./_cli_error.ts";
import { isS3Uri, parseS3Uri } from "./_s3_uri.ts";

/**
 * `--queue URL` needs an S3 target, where the workers write the segments;
 * it neither encrypts nor resumes nor pauses (the queue retries segments
 * itself).
 * Refused here, before a password is asked for or anything is walked.
 */
export function checkQueue(plan: CliPlan): void {
  if (plan.target.kind !== "s3") {
    throw new UsageError(
      "--queue needs an s3:// target (-o s3://bucket/key.zip): the workers write the segments there",
    );
  }
  const refused = plan.encrypt
    ? "-e or --password-file"
    : plan.resume !== undefined
    ? "--resume"
    : plan.maxTime !== undefined
    ? "--max-time"
    : undefined;
  if (refused !== undefined) {
    throw new UsageError(
      `--queue cannot be given with ${refused}: a queued build is resumed by the queue itself, and does not encrypt`,
    );
  }
}

/**
 * `--max-time` pauses an upload that a later run resumes, so it needs
 * `--resume` to keep the checkpoint in.
 */
export function checkMaxTime(plan: CliPlan): void {
  if (plan.resume === undefined) {
    throw new UsageError(
      "--max-time needs --resume FILE or --resume s3://bucket/key: the upload it pauses is resumed from that checkpoint",
    );
  }
}

/** `--resume FILE` needs an S3 target and inputs that can be read again. */
export function checkResume(plan: CliPlan, output: string): void {
  if (plan.resume === "") {
    throw new UsageError('Invalid --resume "": expected a checkpoint FILE');
  }
  if (plan.target.kind !== "s3") {
    throw new UsageError(
      `Option --resume applies to s3:// targets only, but the output is ${output}`,
    );
  }
  const { resume } = plan;
  if (resume !== undefined && isS3Uri(resume)) {
    const { key } = parseS3Uri(resume);
    if (key === "" || key.endsWith("/")) {
      throw new UsageError(
        `Invalid --resume "${resume}": expected s3://bucket/key, the object to keep the checkpoint in`,
      );
    }
    if (resume === output) {
      throw new UsageError(
        `Cannot keep the checkpoint in ${output}, the archive's own object: give --resume another key, such as ${output}.resume`,
      );
    }
  }
  if (plan.inputs.includes("-")) {
    throw new UsageError(
      "Cannot resume an archive of standard input: - cannot be read again; give files instead",
    );
  }
}

/** `--abort-resume FILE` stands alone, with only the options that reach the server. */
export function checkAbortResume(
  plan: CliPlan,
  output: string | undefined,
): void {
  if (plan.abortResume === "") {
    throw new UsageError(
      'Invalid --abort-resume "": expected the checkpoint FILE',
    );
  }
  if (
    plan.inputs.length > 0 || output !== undefined ||
    plan.resume !== undefined || plan.maxTime !== undefined
  ) {
    throw new UsageError(
      "Option --abort-resume FILE takes no paths, -o, --resume or --max-time: it only aborts the upload FILE records",
    );
  }
}
