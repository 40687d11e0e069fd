import assert from "node:assert/strict";
import { RateEstimator } from "../../src/cli/_rate_estimator.ts";

const MIB = 1024 * 1024;
/** The progress display samples five times a second. */
const TICK_MS = 200;

/**
 * Feeds `estimator` a synthetic clock from `from` to `to` milliseconds, the
 * total growing at `rate(time)` bytes per second, and calls `check` after
 * every sample. Returns the total reached.
 */
function run(
  estimator: RateEstimator,
  span: { from: number; to: number; total: number },
  rate: (time: number) => number,
  check: (time: number, total: number) => void = () => {},
): number {
  let total = span.total;
  for (let time = span.from + TICK_MS; time <= span.to; time += TICK_MS) {
    total += (rate(time) * TICK_MS) / 1000;
    estimator.sample(time, total);
    check(time, total);
  }
  return total;
}

Deno.test("RateEstimator gives no rate and no ETA before its warm-up", () => {
  const estimator = new RateEstimator({ warmUpMs: 3000 });
  estimator.sample(0, 0);
  run(estimator, { from: 0, to: 2800, total: 0 }, () => 10 * MIB, () => {
    assert.equal(estimator.perSecond(), undefined);
    assert.equal(estimator.timeLeft(100 * MIB), undefined);
  });
  run(estimator, { from: 2800, to: 3000, total: 28 * MIB }, () => 10 * MIB);
  assert.equal(estimator.perSecond(), 10 * MIB);
});

Deno.test("RateEstimator gives the exact ETA at a steady rate", () => {
  const estimator = new RateEstimator();
  estimator.sample(0, 0);
  const size = 6000 * MIB;
  run(estimator, { from: 0, to: 60_000, total: 0 }, () => 10 * MIB, (
    time,
    total,
  ) => {
    if (time < 3000) return;
    assert.ok(
      Math.abs(estimator.timeLeft(size - total)! - (600_000 - time)) < 1e-6,
      `at ${time} ms`,
    );
  });
});

Deno.test("RateEstimator converges to the exact ETA once a changed rate holds", () => {
  const estimator = new RateEstimator();
  estimator.sample(0, 0);
  const size = 20_000 * MIB;
  // A minute at 40 MiB/s, then 10 MiB/s for good.
  let total = run(estimator, { from: 0, to: 60_000, total: 0 }, () => 40 * MIB);
  const errors: number[] = [];
  total = run(
    estimator,
    { from: 60_000, to: 300_000, total },
    () => 10 * MIB,
    (_time, total) => {
      const exact = ((size - total) / (10 * MIB)) * 1000;
      errors.push(Math.abs(estimator.timeLeft(size - total)! - exact) / exact);
    },
  );
  // Four minutes are twelve half-lives: what is left of the faster minute
  // is below 0.1% of the estimate.
  assert.ok(errors.at(-1)! < 0.001, `error ${errors.at(-1)}`);
  for (let i = 1; i < errors.length; i++) {
    assert.ok(errors[i]! <= errors[i - 1]!, "the error only shrinks");
  }
});

Deno.test("RateEstimator keeps the ETA in a narrow band while the rate steps between two values", () => {
  const estimator = new RateEstimator();
  estimator.sample(0, 0);
  const size = 60_000 * MIB;
  // Ten seconds at 5 MiB/s, ten at 35 MiB/s, for ten minutes: bursts and
  // near-stalls, as between a folder of large files and one of small ones.
  const rate = (time: number) =>
    Math.floor((time - 1) / 10_000) % 2 === 0 ? 5 * MIB : 35 * MIB;
  const mean = 20 * MIB;
  const ratios: number[] = [];
  run(estimator, { from: 0, to: 600_000, total: 0 }, rate, (time, total) => {
    // Measured once the start, all at the slow rate, has faded (three
    // half-lives): the ETA then swings with the steps, no longer with them
    // and the start together.
    if (time <= 60_000) return;
    const atMean = ((size - total) / mean) * 1000;
    ratios.push(estimator.timeLeft(size - total)! / atMean);
  });
  const low = Math.min(...ratios);
  const high = Math.max(...ratios);
  // The rates differ seven times over; the ETA stays within a fifth of the
  // ETA at the mean rate. The window of the last five seconds, which this replaced,
  // would swing it from 0.57 to 4 times the ETA at the mean.
  assert.ok(
    low > 0.85 && high < 1.2,
    `ETA between ${low} and ${high} of the mean's`,
  );
});

Deno.test("RateEstimator takes a long gap between samples at its length", () => {
  const estimator = new RateEstimator({ warmUpMs: 0 });
  estimator.sample(0, 0);
  estimator.sample(1000, 10 * MIB);
  // The event loop was blocked for nine seconds, with no progress.
  estimator.sample(10_000, 10 * MIB);
  const rate = estimator.perSecond()!;
  assert.ok(rate < 2 * MIB, `${rate} per second`);
  assert.ok(rate > 0.5 * MIB, `${rate} per second`);
});

Deno.test("RateEstimator gives no ETA when nothing moves, and 0 when nothing is left", () => {
  const estimator = new RateEstimator({ warmUpMs: 0 });
  estimator.sample(0, 5);
  estimator.sample(1000, 5);
  assert.equal(estimator.perSecond(), 0);
  assert.equal(estimator.timeLeft(100), undefined);
  assert.equal(estimator.timeLeft(0), 0);
});

Deno.test("RateEstimator refuses a half-life that is not above 0", () => {
  assert.throws(() => new RateEstimator({ halfLifeMs: 0 }), {
    name: "RangeError",
    message: "Cannot estimate a rate: expected halfLifeMs above 0, received 0",
  });
});
