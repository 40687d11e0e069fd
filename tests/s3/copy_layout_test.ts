import assert from "node:assert/strict";
import fc from "fast-check";
import {
  copyLayout,
  type CopyLimits,
  type CopyPart,
  S3_COPY_LIMITS,
} from "../../src/s3/_copy_layout.ts";

const MIB = 1024 * 1024;
/** S3's rules at a small scale, so that every case is cheap. */
const SMALL: CopyLimits = {
  minPart: 50,
  maxPart: 500,
  maxParts: 10_000,
  sendPart: 160,
};

interface Shape {
  /** Header length before each entry, and entry sizes; then the central directory. */
  entries: { header: number; size: number; copyable: boolean }[];
  tail: number;
}

function layout(shape: Shape) {
  let offset = 0;
  const entries = shape.entries.map((entry, index) => {
    offset += entry.header;
    const placed = {
      dataOffset: offset,
      size: entry.size,
      source: index,
      copyable: entry.copyable,
    };
    offset += entry.size;
    return placed;
  });
  const size = offset + shape.tail;
  return { size, entries };
}

/** Checks every rule a multipart upload of copy parts must keep. */
function assertValidParts(
  shape: Shape,
  parts: CopyPart<number>[],
  limits: CopyLimits,
): { sent: number; copied: number } {
  const { size, entries } = layout(shape);
  let position = 0;
  let sent = 0;
  let copied = 0;
  parts.forEach((part, i) => {
    const length = part.range.end - part.range.start;
    assert.equal(
      part.range.start,
      position,
      `part ${i} starts where the last ended`,
    );
    assert.ok(length <= limits.maxPart, `part ${i} holds at most maxPart`);
    if (i < parts.length - 1) {
      assert.ok(
        length >= limits.minPart,
        `part ${i} of ${length} holds at least minPart`,
      );
    }
    if (part.kind === "send") sent += length;
    else {
      const entry = entries[part.copy.source]!;
      assert.ok(entry.copyable, `part ${i} copies a copyable entry`);
      assert.ok(
        0 <= part.copy.start && part.copy.start < part.copy.end &&
          part.copy.end <= entry.size,
      );
      assert.equal(part.range.start, entry.dataOffset + part.copy.start);
      copied += part.copy.end - part.copy.start;
      if (part.kind === "copy") {
        assert.equal(part.range.end, entry.dataOffset + part.copy.end);
      } else {
        // A seam: the object's end, copied as a part that is not its
        // upload's last, then the glue after it, sent as the last.
        assert.equal(part.copy.end, entry.size, `seam ${i} ends the object`);
        assert.equal(part.glue.start, entry.dataOffset + entry.size);
        assert.equal(part.glue.end, part.range.end);
        assert.ok(part.copy.end - part.copy.start >= limits.minPart);
        // A seam's bytes are copied twice: it holds no more of the object
        // than it must (what is before it is a copy part of its own).
        assert.ok(
          part.copy.end - part.copy.start < 2 * limits.minPart ||
            part.copy.start === 0,
          `seam ${i} copies ${part.copy.end - part.copy.start} of the object`,
        );
        assert.ok(part.glue.end > part.glue.start);
        sent += part.glue.end - part.glue.start;
      }
    }
    position = part.range.end;
  });
  assert.equal(position, size, "the parts cover the archive");
  assert.equal(sent + copied, size);
  return { sent, copied };
}

const shapes = fc.record({
  entries: fc.array(
    fc.record({
      header: fc.oneof(
        fc.integer({ min: 1, max: 40 }),
        fc.constant(0),
      ),
      size: fc.oneof(
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 40, max: 2000 }),
      ),
      copyable: fc.boolean(),
    }),
    { maxLength: 30 },
  ),
  tail: fc.integer({ min: 22, max: 400 }),
});

Deno.test("copyLayout: every part but the last holds minPart to maxPart, the parts cover the archive, copies are of copyable objects", () => {
  fc.assert(
    fc.property(shapes, (shape) => {
      const { size, entries } = layout(shape);
      const parts = copyLayout(size, entries.filter((e) => e.copyable), SMALL);
      assertValidParts(shape, parts, SMALL);
    }),
    { numRuns: 3000 },
  );
});

Deno.test("copyLayout: the client sends the glue, the objects too small to copy, and at most minPart of the first object", () => {
  fc.assert(
    fc.property(shapes, (shape) => {
      const { size, entries } = layout(shape);
      const copyable = entries.filter((e) => e.copyable);
      const { sent } = assertValidParts(
        shape,
        copyLayout(size, copyable, SMALL),
        SMALL,
      );
      const big = copyable.filter((e) => e.size >= SMALL.minPart);
      const glue = size - big.reduce((sum, e) => sum + e.size, 0);
      // Only the archive's first part takes object bytes: at most minPart
      // borrowed from a big object, and before it the big objects too short
      // to lend (below 2 x minPart), sent whole.
      let leading = 0;
      for (const entry of big) {
        if (entry.size >= 2 * SMALL.minPart) break;
        leading += entry.size;
      }
      assert.ok(
        sent <= glue + leading + SMALL.minPart,
        `sent ${sent}: glue ${glue}, leading ${leading}`,
      );
    }),
    { numRuns: 3000 },
  );
});

Deno.test("copyLayout at S3's limits: 128 objects of 64 MiB send one 5 MiB start and the glue", () => {
  const header = 60;
  const entries = Array.from({ length: 128 }, (_, i) => ({
    dataOffset: header * (i + 1) + 64 * MIB * i,
    size: 64 * MIB,
    source: i,
  }));
  const size = entries.at(-1)!.dataOffset + 64 * MIB + 128 * 80 + 22;
  const parts = copyLayout(size, entries);
  const sent = parts.reduce(
    (sum, part) =>
      sum +
      (part.kind === "send"
        ? part.range.end - part.range.start
        : part.kind === "seam"
        ? part.glue.end - part.glue.start
        : 0),
    0,
  );
  assert.equal(parts[0]!.kind, "send");
  assert.equal(parts[0]!.range.end, S3_COPY_LIMITS.minPart);
  const seams = parts.filter((part) => part.kind === "seam");
  assert.equal(seams.length, 127);
  // Each seam holds its object's last 5 MiB, the rest is copied directly.
  for (const seam of seams) {
    assert.equal(seam.copy.end - seam.copy.start, S3_COPY_LIMITS.minPart);
  }
  assert.equal(parts.filter((part) => part.kind === "copy").length, 128);
  assert.equal(sent, S3_COPY_LIMITS.minPart + 127 * header + 128 * 80 + 22);
});

Deno.test("copyLayout splits an object over 5 GiB into copies of at most 5 GiB, its end in a seam", () => {
  const huge = 12 * 1024 * MIB + 7;
  const entries = [
    { dataOffset: 100, size: huge, source: 0 },
    { dataOffset: 100 + huge + 50, size: 8 * MIB, source: 1 },
  ];
  const size = entries[1]!.dataOffset + 8 * MIB + 200;
  const parts = copyLayout(size, entries);
  assert.deepEqual(parts.map((part) => part.kind), [
    "send",
    "copy",
    "copy",
    "copy",
    "seam",
    "copy",
    "send",
  ]);
  for (const part of parts) {
    assert.ok(part.range.end - part.range.start <= S3_COPY_LIMITS.maxPart);
  }
});

Deno.test("copyLayout refuses a layout of more than maxParts parts", () => {
  const entries = Array.from(
    { length: 20 },
    (_, i) => ({ dataOffset: 10 + i * 70, size: 60, source: i }),
  );
  assert.throws(
    () => copyLayout(20 * 70 + 100, entries, { ...SMALL, maxParts: 5 }),
    /expected at most 5 parts but its objects and the glue between them make \d+/,
  );
});

Deno.test("copyLayout copies objects that touch one after the other, with no seam between them", () => {
  const layoutOf = (sizes: number[]) => {
    let offset = 0;
    const entries = sizes.map((size, source) => {
      const entry = { dataOffset: offset, size, source };
      offset += size;
      return entry;
    });
    const parts = copyLayout(offset + 100, entries);
    return parts.map((part) => [part.kind, part.range.end - part.range.start]);
  };
  // The first object, too short to lend 5 MiB and still be copied, is sent
  // whole; then each object is copied, and the 100 bytes after are sent.
  assert.deepEqual(layoutOf([7 * MIB, 12 * MIB, 6 * MIB, 9 * MIB]), [
    ["send", 7 * MIB],
    ["copy", 12 * MIB],
    ["copy", 6 * MIB],
    ["copy", 9 * MIB],
    ["send", 100],
  ]);
  // An object too small to copy is glue: the object before it ends in a
  // seam that carries it.
  assert.deepEqual(layoutOf([7 * MIB, 12 * MIB, 6 * MIB, 3 * MIB, 9 * MIB]), [
    ["send", 7 * MIB],
    ["copy", 12 * MIB],
    ["seam", 9 * MIB],
    ["copy", 9 * MIB],
    ["send", 100],
  ]);
});
