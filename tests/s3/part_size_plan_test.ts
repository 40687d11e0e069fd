import assert from "node:assert/strict";
import fc from "fast-check";
import {
  DEFAULT_PART_SIZE,
  FIXED_SIZE_PARTS,
  MAX_PART_SIZE,
  MAX_PARTS,
  MAX_UPLOAD_SIZE,
  MIN_PART_SIZE,
  planPartSizes,
  UNKNOWN_LENGTH_CAPACITY,
} from "../../src/s3/_part_size_plan.ts";

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/** Sums the sizes of parts 1..MAX_PARTS, checking each is within S3's limits. */
function capacity(partSize: number): { total: number; largest: number } {
  const plan = planPartSizes(partSize, undefined);
  let total = 0;
  let largest = 0;
  for (let part = 1; part <= MAX_PARTS; part++) {
    const size = plan.sizeOf(part);
    assert.ok(
      size >= MIN_PART_SIZE && size <= MAX_PART_SIZE,
      `part ${part}: ${size}`,
    );
    assert.ok(
      size >= (part > 1 ? plan.sizeOf(part - 1) : 0),
      "sizes never shrink",
    );
    total += size;
    largest = Math.max(largest, size);
  }
  return { total, largest };
}

Deno.test("planPartSizes() lets a stream of unknown length reach 5 TiB from the smallest part size", () => {
  const { total, largest } = capacity(MIN_PART_SIZE);
  assert.ok(total >= UNKNOWN_LENGTH_CAPACITY, `reaches ${total / GIB} GiB`);
  assert.ok(largest < 1.25 * GIB, `largest part ${largest / MIB} MiB`);
});

Deno.test("planPartSizes() keeps the default part size for the first 1,000 parts of an unknown length", () => {
  const plan = planPartSizes(DEFAULT_PART_SIZE, undefined);
  assert.equal(plan.partCount, undefined);
  assert.equal(plan.sizeOf(1), DEFAULT_PART_SIZE);
  assert.equal(plan.sizeOf(FIXED_SIZE_PARTS), DEFAULT_PART_SIZE);
  assert.ok(plan.sizeOf(FIXED_SIZE_PARTS + 1) > DEFAULT_PART_SIZE);
  assert.ok(capacity(DEFAULT_PART_SIZE).total >= UNKNOWN_LENGTH_CAPACITY);
});

Deno.test("planPartSizes() does not grow parts that already reach 5 TiB in 10,000 parts", () => {
  const plan = planPartSizes(MAX_PART_SIZE, undefined);
  assert.equal(plan.sizeOf(1), MAX_PART_SIZE);
  assert.equal(plan.sizeOf(MAX_PARTS), MAX_PART_SIZE);
});

Deno.test("planPartSizes() reaches 5 TiB within S3's limits for any starting part size", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: MIN_PART_SIZE, max: MAX_PART_SIZE }),
      (partSize) => {
        assert.ok(capacity(partSize).total >= UNKNOWN_LENGTH_CAPACITY);
      },
    ),
    { numRuns: 25 },
  );
});

Deno.test("planPartSizes() uses the given part size when a known length fits in 10,000 parts", () => {
  const plan = planPartSizes(8 * MIB, 60 * MIB);
  assert.equal(plan.sizeOf(1), 8 * MIB);
  assert.equal(plan.partCount, 8);
});

Deno.test("planPartSizes() plans one part for an empty body and for a body of exactly one part", () => {
  assert.equal(planPartSizes(8 * MIB, 0).partCount, 1);
  assert.equal(planPartSizes(8 * MIB, 8 * MIB).partCount, 1);
  assert.equal(planPartSizes(8 * MIB, 8 * MIB + 1).partCount, 2);
});

Deno.test("planPartSizes() raises the part size so that a known length fits in 10,000 parts", () => {
  const length = 1024 * GIB; // 1 TiB would need 131,072 parts of 8 MiB
  const plan = planPartSizes(8 * MIB, length);
  assert.equal(plan.sizeOf(1), Math.ceil(length / MAX_PARTS));
  assert.ok(plan.partCount! <= MAX_PARTS);
  assert.ok(plan.sizeOf(1) * plan.partCount! >= length);
});

Deno.test("planPartSizes() fits the largest possible upload in 10,000 parts of 5 GiB", () => {
  const plan = planPartSizes(MIN_PART_SIZE, MAX_UPLOAD_SIZE);
  assert.equal(plan.sizeOf(1), MAX_PART_SIZE);
  assert.equal(plan.partCount, MAX_PARTS);
});

Deno.test("planPartSizes() keeps every known length within S3's limits", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: MIN_PART_SIZE, max: MAX_PART_SIZE }),
      fc.integer({ min: 0, max: MAX_UPLOAD_SIZE }),
      (partSize, length) => {
        const plan = planPartSizes(partSize, length);
        const size = plan.sizeOf(1);
        assert.ok(size >= MIN_PART_SIZE && size <= MAX_PART_SIZE);
        assert.ok(plan.partCount! >= 1 && plan.partCount! <= MAX_PARTS);
        assert.ok(size * plan.partCount! >= length);
        assert.ok(size * (plan.partCount! - 1) < Math.max(length, 1));
      },
    ),
  );
});

/** The size of the part that carries byte `total` of a stream of unknown length. */
function partSizeAt(total: number, partSize = DEFAULT_PART_SIZE): number {
  const plan = planPartSizes(partSize, undefined);
  let sent = 0;
  for (let part = 1;; part++) {
    sent += plan.sizeOf(part);
    if (sent >= total) return plan.sizeOf(part);
  }
}

Deno.test("planPartSizes() grows the default parts of an unknown length as UploadOptions documents", () => {
  assert.equal(partSizeAt(4 * GIB), DEFAULT_PART_SIZE);
  const at100GiB = partSizeAt(100 * GIB) / MIB;
  assert.ok(at100GiB > 145 && at100GiB < 165, `${at100GiB} MiB`);
  const at1TiB = partSizeAt(1024 * GIB) / MIB;
  assert.ok(at1TiB > 505 && at1TiB < 525, `${at1TiB} MiB`);
  assert.equal(
    Math.round(planPartSizes(DEFAULT_PART_SIZE, 1024 * GIB).sizeOf(1) / MIB),
    105,
  );
});
