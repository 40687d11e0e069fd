import assert from "node:assert/strict";
import {
  attemptTimeout,
  backoffDelay,
  isRetryable,
  RequestFailedError,
  type RetryPolicy,
  withRetries,
} from "../../src/s3/_retry.ts";
import { connectionReset, s3Error } from "./_recording_s3.ts";

const policy: RetryPolicy = {
  attempts: 4,
  maxTime: 60_000,
  baseDelay: 100,
  maxDelay: 1_000,
  timeout: 60_000,
  timeoutPerMiB: 1_000,
};

/** Records the backoffs instead of waiting them out. */
function recordingSleep() {
  const delays: number[] = [];
  return {
    delays,
    sleep: (ms: number) => {
      delays.push(ms);
      return Promise.resolve();
    },
  };
}

Deno.test("isRetryable() retries throttling, server errors, timeouts and dropped connections", () => {
  for (
    const error of [
      s3Error("SlowDown", 503),
      s3Error("InternalError", 500),
      s3Error("ServiceUnavailable", 503),
      s3Error("Unknown", 502),
      s3Error("Unknown", 504),
      s3Error("TooManyRequests", 429),
      s3Error("RequestTimeout", 400),
      s3Error("BadDigest", 400),
      connectionReset(),
      new TypeError("Failed to fetch"),
      Object.assign(new Error("timed out"), { name: "TimeoutError" }),
    ]
  ) {
    assert.equal(isRetryable(error), true, `${error.name}`);
  }
});

Deno.test("isRetryable() does not retry client errors, Not Implemented or configuration errors", () => {
  for (
    const error of [
      s3Error("AccessDenied", 403),
      s3Error("SignatureDoesNotMatch", 403),
      s3Error("NoSuchBucket", 404),
      s3Error("NoSuchUpload", 404),
      s3Error("EntityTooSmall", 400),
      s3Error("NotImplemented", 501),
      new RangeError("listing and body disagree"),
      Object.assign(new Error("no credentials"), {
        name: "CredentialsProviderError",
      }),
    ]
  ) {
    assert.equal(isRetryable(error), false, `${error.name}`);
  }
  assert.equal(isRetryable("a string"), false);
});

Deno.test("backoffDelay() doubles from the base delay, with jitter in the upper half, up to the maximum", () => {
  assert.equal(backoffDelay(1, policy, () => 0), 50);
  assert.equal(backoffDelay(1, policy, () => 0.999), 99);
  assert.equal(backoffDelay(2, policy, () => 0), 100);
  assert.equal(backoffDelay(3, policy, () => 0), 200);
  assert.equal(backoffDelay(10, policy, () => 0), 500);
  assert.equal(backoffDelay(10, policy, () => 0.999), 999);
});

Deno.test("attemptTimeout() gives each MiB of body its share of time", () => {
  assert.equal(attemptTimeout(policy, 0), 60_000);
  assert.equal(attemptTimeout(policy, 8 * 1024 * 1024), 68_000);
});

Deno.test("withRetries() retries a throttled request with growing backoff until it succeeds", async () => {
  const { delays, sleep } = recordingSleep();
  let attempts = 0;
  const result = await withRetries(
    "UploadPart",
    policy,
    new AbortController().signal,
    0,
    () => {
      attempts++;
      if (attempts < 3) return Promise.reject(s3Error("SlowDown", 503));
      return Promise.resolve("done");
    },
    { sleep, random: () => 0 },
  );
  assert.equal(result, "done");
  assert.equal(attempts, 3);
  assert.deepEqual(delays, [50, 100]);
});

Deno.test("withRetries() gives up after the configured attempts with the last error as cause", async () => {
  const { delays, sleep } = recordingSleep();
  let attempts = 0;
  const error = await withRetries(
    "UploadPart",
    policy,
    new AbortController().signal,
    0,
    () => {
      attempts++;
      return Promise.reject(s3Error("InternalError", 500));
    },
    { sleep, random: () => 0 },
  ).catch((e) => e);
  assert.ok(error instanceof RequestFailedError);
  assert.equal(
    error.message,
    "UploadPart failed after 4 attempts: InternalError: Injected by the test",
  );
  assert.equal(error.attempts, 4);
  assert.equal((error.cause as Error).name, "InternalError");
  assert.equal(attempts, 4);
  assert.deepEqual(delays, [50, 100, 200]);
});

Deno.test("withRetries() tells onRetry of each failed attempt it retries, before the wait, and not of the last", async () => {
  const { delays, sleep } = recordingSleep();
  const told: string[] = [];
  const error = await withRetries(
    "UploadPart",
    {
      ...policy,
      onRetry: (notice) => {
        assert.equal((notice.error as Error).name, "InternalError");
        told.push(
          `${notice.operation} ${notice.attempt}/${notice.attempts} ${notice.delay} ${notice.reason} after ${delays.length} waits`,
        );
      },
    },
    new AbortController().signal,
    0,
    () => Promise.reject(s3Error("InternalError", 500)),
    { sleep, random: () => 0 },
  ).catch((e) => e);
  assert.ok(error instanceof RequestFailedError);
  assert.deepEqual(told, [
    "UploadPart 1/4 50 InternalError: Injected by the test after 0 waits",
    "UploadPart 2/4 100 InternalError: Injected by the test after 1 waits",
    "UploadPart 3/4 200 InternalError: Injected by the test after 2 waits",
  ]);
});

Deno.test("withRetries() begins no retry past maxTime, however many attempts remain", async () => {
  let clock = 0;
  const delays: number[] = [];
  const sleep = (ms: number) => {
    delays.push(ms);
    clock += ms;
    return Promise.resolve();
  };
  let attempts = 0;
  const error = await withRetries(
    "UploadPart",
    { ...policy, attempts: 100, maxTime: 2_500 },
    new AbortController().signal,
    0,
    () => {
      attempts++;
      clock += 100;
      return Promise.reject(s3Error("ServiceUnavailable", 503));
    },
    { sleep, random: () => 0, now: () => clock },
  ).catch((e) => e);
  assert.ok(error instanceof RequestFailedError);
  // Attempts end at 100, 250, 450, 750, 1250, 1850 and 2450; the next would begin at 2950.
  assert.deepEqual(delays, [50, 100, 200, 400, 500, 500]);
  assert.equal(attempts, 7);
  assert.equal(error.elapsed, 2_450);
  assert.equal(
    error.message,
    "UploadPart failed after 7 attempts over 2 s: ServiceUnavailable: Injected by the test",
  );
});

Deno.test("withRetries() does not retry an error that will not go away", async () => {
  const { delays, sleep } = recordingSleep();
  let attempts = 0;
  const error = await withRetries(
    "CreateMultipartUpload",
    policy,
    new AbortController().signal,
    0,
    () => {
      attempts++;
      return Promise.reject(s3Error("AccessDenied", 403));
    },
    { sleep },
  ).catch((e) => e);
  assert.ok(error instanceof RequestFailedError);
  assert.equal(
    error.message,
    "CreateMultipartUpload failed after 1 attempt: AccessDenied: Injected by the test",
  );
  assert.equal(attempts, 1);
  assert.deepEqual(delays, []);
});

Deno.test("withRetries() abandons an attempt that outlives its timeout and retries it", async () => {
  let attempts = 0;
  const result = await withRetries(
    "UploadPart",
    { ...policy, timeout: 20, baseDelay: 0 },
    new AbortController().signal,
    0,
    (signal) => {
      attempts++;
      if (attempts > 1) return Promise.resolve("answered");
      // The first attempt stalls until its signal fires, as a stalled socket would.
      return new Promise((_, reject) =>
        signal.addEventListener(
          "abort",
          () => reject(new Error("Request aborted")),
        )
      );
    },
  );
  assert.equal(result, "answered");
  assert.equal(attempts, 2);
});

Deno.test("withRetries() reports a timeout when every attempt stalls", async () => {
  const error = await withRetries(
    "UploadPart",
    { ...policy, attempts: 2, timeout: 10, baseDelay: 0 },
    new AbortController().signal,
    0,
    (signal) =>
      new Promise((_, reject) =>
        signal.addEventListener(
          "abort",
          () => reject(new Error("Request aborted")),
        )
      ),
  ).catch((e) => e);
  assert.ok(error instanceof RequestFailedError);
  assert.equal(
    error.message,
    "UploadPart failed after 2 attempts: TimeoutError: UploadPart did not finish within 10 ms",
  );
});

Deno.test("withRetries() stops waiting and rethrows when its signal aborts during a backoff", async () => {
  const controller = new AbortController();
  let attempts = 0;
  const error = await withRetries(
    "UploadPart",
    { ...policy, baseDelay: 60_000, maxDelay: 60_000 },
    controller.signal,
    0,
    () => {
      attempts++;
      setTimeout(() => controller.abort(new Error("stop")), 0);
      return Promise.reject(s3Error("SlowDown", 503));
    },
  ).catch((e) => e);
  assert.equal((error as Error).message, "stop");
  assert.equal(attempts, 1);
});
