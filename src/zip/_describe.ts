/**
 * How error messages name an entry and show a value the caller passed.
 *
 * @module
 */

/** A message prefix naming the entry. */
export function cannotAdd(name: string): string {
  return `Cannot add ${JSON.stringify(name)} to the archive`;
}

/** A short description of a value for error messages. */
export function describe(value: unknown): string {
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
 * its bytes are gone, and views of it read as empty.
 */
export function isDetached(buffer: ArrayBufferLike): boolean {
  return (buffer as { detached?: boolean }).detached === true;
}
