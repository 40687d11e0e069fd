/**
 * Whether the SigV4 signature of an UploadPart or PutObject covers its body:
 * a build-step middleware, added to each such command, that sets
 * `x-amz-content-sha256: UNSIGNED-PAYLOAD` so that the signer, which takes
 * that header as the payload's hash when present, does not hash the body
 * with SHA-256 on the main thread.
 *
 * @module
 */

import { type PutObjectCommand, UploadPartCommand } from "@aws-sdk/client-s3";
import type { UploadOptions } from "./upload_options.ts";

/** `UploadOptions.payloadSigning`, resolved. */
export type PayloadSigning = NonNullable<UploadOptions["payloadSigning"]>;

/** Every value `payloadSigning` accepts, for its check. */
export const PAYLOAD_SIGNING_MODES: readonly PayloadSigning[] = [
  "auto",
  "always",
  "never",
];

/** The header the signer reads the payload's hash from. */
const CONTENT_SHA256 = "x-amz-content-sha256";
/** SigV4's value for a body the signature does not cover. */
export const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";

/**
 * Whether a request sent over `protocol` (`"https:"`, `"http:"`, with or
 * without the colon) leaves its body out of the signature. `"auto"` does so
 * only over HTTPS, as aws-sdk-go-v2's `UseDynamicPayloadSigningMiddleware`
 * does for S3: TLS then guards the bytes in transit, while over plain HTTP
 * the signed SHA-256 is the only thing that binds the body to the
 * credentials (a CRC-32 or an MD5 catches accidents, but an attacker who
 * changes the body can fix a CRC-32 up).
 */
export function isUnsignedPayload(
  mode: PayloadSigning,
  protocol: string,
): boolean {
  switch (mode) {
    case "always":
      return false;
    case "never":
      return true;
    case "auto":
      return protocol.replace(/:$/, "").toLowerCase() === "https";
  }
}

/**
 * Adds to `command` the middleware that leaves its body unsigned when
 * {@linkcode isUnsignedPayload} says so for the protocol of the request the
 * SDK built. `"always"` adds nothing: the SDK signs the payload by default.
 * The header is set in the build step, before the signer (finalizeRequest)
 * looks for it, and it is itself signed.
 */
export function applyPayloadSigning(
  command: UploadPartCommand | PutObjectCommand,
  mode: PayloadSigning,
): void {
  if (mode === "always") return;
  const middleware = unsignedPayloadMiddleware(mode);
  // Two calls, one per class: the SDK's overloaded `add` cannot be called
  // on a union of the two stacks.
  if (command instanceof UploadPartCommand) {
    command.middlewareStack.add(middleware, MIDDLEWARE_OPTIONS);
  } else {
    command.middlewareStack.add(middleware, MIDDLEWARE_OPTIONS);
  }
}

const MIDDLEWARE_OPTIONS = {
  step: "build",
  name: "zipstreamPayloadSigning",
  override: true,
} as const;

/** The build-step middleware: sets `x-amz-content-sha256: UNSIGNED-PAYLOAD` where `mode` says so. */
function unsignedPayloadMiddleware(mode: PayloadSigning) {
  return <Args extends { request: unknown }, Result>(
    next: (args: Args) => Promise<Result>,
  ) =>
  (args: Args): Promise<Result> => {
    const request = args.request as {
      protocol?: unknown;
      headers?: Record<string, string>;
    };
    const protocol = typeof request.protocol === "string"
      ? request.protocol
      : "";
    if (request.headers !== undefined && isUnsignedPayload(mode, protocol)) {
      request.headers[CONTENT_SHA256] = UNSIGNED_PAYLOAD;
    }
    return next(args);
  };
}
