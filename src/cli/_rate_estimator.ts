/**
 * A smoothed rate of work, and the time left at that rate, for the progress
 * line's speed and ETA.
 *
 * @module
 */

/** How the rate is smoothed. */
export interface RateEstimatorOptions {
  /**
   * Milliseconds after which a past interval counts half as much as the
   * latest one. Longer is steadier, shorter follows a change sooner.
   *
   * @default {20_000}
   */
  halfLifeMs?: number;
  /**
   * Milliseconds of samples needed before a rate is given: the first
   * instants of a run (files in the page cache, connections opening) say
   * little about the rest.
   *
   * @default {3_000}
   */
  warmUpMs?: number;
}

/**
 * The rate of a growing total, smoothed exponentially: every interval
 * between two samples adds its work and its duration to two sums that fade
 * with the interval's age, and the rate is their ratio. A burst or a stall
 * then moves the rate by its share of the recent past instead of setting it
 * (a window of the last few seconds made the ETA of one run swing from
 * 1:02:26 to 3:02:06 to 16:34 within three minutes). The ratio is a
 * weighted mean of the intervals' rates, so it stays between the lowest and
 * the highest of them; at a steady rate it is that rate, exactly. Samples may
 * come at any pace: a long interval weighs by its length.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RateEstimator } from "./_rate_estimator.ts";
 *
 * const rate = new RateEstimator({ warmUpMs: 1000 });
 * rate.sample(0, 0);
 * rate.sample(500, 1000);
 * assert.equal(rate.perSecond(), undefined);
 * rate.sample(1000, 2000);
 * assert.equal(rate.perSecond(), 2000);
 * assert.equal(rate.timeLeft(4000), 2000);
 * ```
 */
export class RateEstimator {
  #tau: number;
  #warmUp: number;
  #first: number | undefined;
  #last: { time: number; total: number } | undefined;
  /** Work of the past intervals, each faded by its age. */
  #work = 0;
  /** Their durations, faded alike. */
  #duration = 0;

  constructor(options: RateEstimatorOptions = {}) {
    const { halfLifeMs = 20_000, warmUpMs = 3_000 } = options;
    if (!(halfLifeMs > 0)) {
      throw new RangeError(
        `Cannot estimate a rate: expected halfLifeMs above 0, received ${halfLifeMs}`,
      );
    }
    this.#tau = halfLifeMs / Math.LN2;
    this.#warmUp = warmUpMs;
  }

  /** Records that the total had reached `total` at `time` (milliseconds, any origin). */
  sample(time: number, total: number): void {
    const last = this.#last;
    this.#last = { time, total };
    if (last === undefined) {
      this.#first = time;
      return;
    }
    const elapsed = time - last.time;
    if (elapsed <= 0) {
      this.#last = last;
      return;
    }
    const fade = Math.exp(-elapsed / this.#tau);
    this.#work = this.#work * fade + (total - last.total);
    this.#duration = this.#duration * fade + elapsed;
  }

  /** Work per second, or `undefined` while warming up. */
  perSecond(): number | undefined {
    if (
      this.#first === undefined || this.#last === undefined ||
      this.#last.time - this.#first < this.#warmUp || this.#duration === 0
    ) return undefined;
    return Math.max(0, this.#work / this.#duration) * 1000;
  }

  /**
   * Milliseconds until `remaining` more work is done at the smoothed rate:
   * 0 when nothing remains, `undefined` while warming up or when nothing
   * is moving.
   */
  timeLeft(remaining: number): number | undefined {
    if (remaining <= 0) return 0;
    const rate = this.perSecond();
    if (rate === undefined) return undefined;
    return rate > 0 ? (remaining / rate) * 1000 : undefined;
  }
}
