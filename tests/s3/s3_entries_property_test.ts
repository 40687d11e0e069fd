/**
 * s3Entries() over random schedules of broken, stalled and refused GETs:
 * every entry reads back byte for byte, or the read fails with an error that
 * names the object; never a silently short or mixed entry.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { s3Entries } from "../../src/s3/mod.ts";
import { type BodyFault, RecordingS3, s3Error } from "./_recording_s3.ts";

const KIB = 1024;

type GetFault = "none" | "break" | "stall" | "slow-down" | "denied";

Deno.test("s3Entries() reads every object whole or fails naming it, under any schedule of GET faults", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: 0, max: 300 * KIB }), {
        minLength: 1,
        maxLength: 6,
      }),
      fc.array(
        fc.record({
          fault: fc.constantFrom<GetFault>(
            "none",
            "none",
            "break",
            "stall",
            "slow-down",
            "denied",
          ),
          at: fc.integer({ min: 0, max: 300 * KIB }),
        }),
        { minLength: 30, maxLength: 30 },
      ),
      fc.integer({ min: 0, max: 3 }),
      async (sizes, schedule, readAhead) => {
        const s3 = new RecordingS3();
        const contents = sizes.map((size, i) =>
          new Uint8Array(size).map((_, j) => (i * 13 + j * 7) & 0xff)
        );
        contents.forEach((bytes, i) => s3.putObject(`data/${i}.bin`, bytes));
        let index = 0;
        const next = () => schedule[index++ % schedule.length]!;
        const bodyFaults = new Map<number, BodyFault>();
        s3.fault = (call, n) => {
          if (call.command !== "GetObject") return undefined;
          const { fault, at } = next();
          if (fault === "slow-down") return s3Error("SlowDown", 503);
          if (fault === "denied") return s3Error("AccessDenied", 403);
          if (fault === "break") bodyFaults.set(n, { breakAfter: at });
          if (fault === "stall") bodyFaults.set(n, { stallAfter: at });
          return undefined;
        };
        s3.bodyFault = (_, n) => bodyFaults.get(n) ?? {};
        const entries = await Array.fromAsync(
          s3Entries({
            client: s3,
            bucket: "source",
            prefix: "data/",
            readAhead,
            readAheadBytes: 100 * KIB,
            retry: { attempts: 4, baseDelay: 0, maxDelay: 0, timeout: 15 },
          }),
        );
        for (const [i, entry] of entries.entries()) {
          try {
            const read = await new Response(
              entry.data as ReadableStream<Uint8Array>,
            ).bytes();
            assert.deepEqual(read, contents[i]);
          } catch (error) {
            if (error instanceof assert.AssertionError) throw error;
            assert.match(
              (error as Error).message,
              new RegExp(`^Cannot read s3://source/data/${i}\\.bin`),
            );
          }
        }
      },
    ),
    { numRuns: 60 },
  );
});
