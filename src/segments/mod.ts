/**
 * Archives written by several workers: `planSegments` cuts the entries into
 * jobs of whole entries (plain JSON), `buildSegment` writes one job's
 * segment as a temporary S3 object, anywhere, and `finishSegments` joins
 * the segments into the archive server-side and writes its central
 * directory. The archive is byte-identical to `zip()` of the same entries.
 *
 * @module
 */

export { buildSegment, type BuildSegmentOptions } from "./build_segment.ts";
export {
  discardSegments,
  finishSegments,
  type FinishSegmentsOptions,
  type FinishSegmentsResult,
} from "./finish_segments.ts";
export { planSegments, type PlanSegmentsOptions } from "./plan_segments.ts";
export type {
  JsonValue,
  SegmentArchiveOptions,
  SegmentEntry,
  SegmentJob,
  SegmentPlan,
  SegmentResult,
} from "./segment_job.ts";
