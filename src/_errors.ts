/**
 * The toolkit every area's error messages share: walking an error's chain of
 * causes, rendering a value the caller passed, and describing an error in
 * one line. Web APIs only, so that `src/zip` may use it as well as `src/s3`
 * and `src/cli`.
 *
 * Messages built with it take one shape: what was attempted, then what was
 * expected and what was received, in sentence case without a final period:
 * `Cannot upload to s3://b/k: expected option "partSize" to be ... but got 7`.
 *
 * @module
 */

/** Causes followed at most: enough for any wrapping we do, and a cycle still ends. */
const CAUSE_DEPTH = 16;
/** Characters of a rendered value kept in a message. */
const SHOWN_LENGTH = 80;

/**
 * `error` followed by the errors of its `cause` chain, outermost first. The
 * walk stops at the first cause that is not an `Error` (it has no cause of
 * its own to follow) and after 16 errors.
 */
export function causeChain(error: unknown): Error[] {
  const chain: Error[] = [];
  for (
    let current: unknown = error;
    current instanceof Error && chain.length < CAUSE_DEPTH;
    current = current.cause
  ) {
    chain.push(current);
  }
  return chain;
}

/**
 * Describes an error in one line: its name and message, without a final
 * period. An answer without a body (HeadObject's, or a proxy's) leaves the
 * SDK with only a status, so a bare `UnknownError` (or an empty message)
 * says its HTTP status too.
 */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const message = error.message.replace(/\.\s*$/, "");
    const status = httpStatusOf(error);
    const bare = message === "" || message === "UnknownError";
    if (bare && status !== undefined) return `${error.name} (HTTP ${status})`;
    if (error.name === "Error" || message.startsWith(error.name)) {
      return message;
    }
    return message === "" ? error.name : `${error.name}: ${message}`;
  }
  return String(error);
}

function httpStatusOf(error: Error): number | undefined {
  const { $metadata } = error as { $metadata?: { httpStatusCode?: unknown } };
  const status = $metadata?.httpStatusCode;
  return typeof status === "number" ? status : undefined;
}

/**
 * One line for an error. A request that failed for good (the retry layer's
 * error, which carries the `operation` and the `attempts` made) already says
 * both in its message, so its class name is left out; other errors are
 * described by {@linkcode describeError}.
 */
export function reasonOf(error: unknown): string {
  return isFailedRequest(error) ? error.message : describeError(error);
}

function isFailedRequest(error: unknown): error is Error {
  if (!(error instanceof Error)) return false;
  const { operation, attempts } = error as {
    operation?: unknown;
    attempts?: unknown;
  };
  return typeof operation === "string" && typeof attempts === "number";
}

/**
 * A value as options messages show it, shortened to 80 characters: strings
 * and plain data as JSON (`"abc"`, `{"a":1}`), other values by kind.
 * `Cannot upload to S3: expected option "key" to be a non-empty string but
 * got ""`.
 */
export function show(value: unknown): string {
  const text = render(value);
  return text.length > SHOWN_LENGTH
    ? `${text.slice(0, SHOWN_LENGTH)}...`
    : text;
}

function render(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return "a function";
  if (value === null || typeof value !== "object") return String(value);
  if (Array.isArray(value)) return "an array";
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/**
 * A value as the archive's messages show it, by kind and never at length:
 * `the string "a"`, `number 10`, `an object (Blob)`, and a buffer whose
 * bytes are gone as detached rather than as empty. `Cannot add "a" to the
 * archive: invalid level: expected an integer from 0 to 9 but received
 * number 10`.
 */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  if (value instanceof ArrayBuffer && isDetached(value)) {
    return "a detached ArrayBuffer";
  }
  if (ArrayBuffer.isView(value) && isDetached(value.buffer)) {
    return `an object (${value.constructor.name}) over a detached ArrayBuffer`;
  }
  if (typeof value === "object") {
    return `an object (${value.constructor?.name ?? "Object"})`;
  }
  if (typeof value === "function") return "a function";
  return `${typeof value} ${String(value)}`;
}

/**
 * Whether a buffer was detached (transferred, or its owner let go of it):
 * its bytes are gone, and views of it read as empty, so a message must say
 * so rather than show it empty.
 */
export function isDetached(buffer: ArrayBufferLike): boolean {
  return (buffer as { detached?: boolean }).detached === true;
}

/** The message of a failure, whatever was thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
