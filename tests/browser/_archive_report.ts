/**
 * What each side of the browser test reports about the archive it wrote:
 * its length and SHA-256, and what the deflate pool said, in a form that
 * survives JSON and structured cloning (an `Error` does not survive JSON).
 *
 * @module
 */

import type { WorkerStatus } from "../../mod.ts";

/** A {@linkcode WorkerStatus} with its error reduced to the message. */
export type ReportedStatus =
  | { state: "running"; workers: number }
  | { state: "unavailable"; reason: string };

/** An archive as one side of the test saw it. */
export interface ArchiveReport {
  length: number;
  /** Lowercase hex. */
  sha256: string;
  /** Every call of `onWorkers`, in order. */
  statuses: ReportedStatus[];
}

/** The status as it can be reported. */
export function reportedStatus(status: WorkerStatus): ReportedStatus {
  return status.state === "running"
    ? { state: "running", workers: status.workers }
    : { state: "unavailable", reason: status.reason.message };
}

/**
 * Reads `archive` to the end and hashes it, with the web platform's digest
 * (which has no incremental form: the archive, a quarter of its input, is
 * held once).
 */
export async function reportOf(
  archive: ReadableStream<Uint8Array>,
  statuses: ReportedStatus[],
): Promise<ArchiveReport> {
  const bytes = new Uint8Array(await new Response(archive).arrayBuffer());
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", bytes),
  );
  const sha256 = Array.from(
    digest,
    (byte) => byte.toString(16).padStart(2, "0"),
  ).join("");
  return { length: bytes.length, sha256, statuses };
}
