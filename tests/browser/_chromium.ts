/**
 * Starts headless Chromium (Debian's `chromium`, installed by
 * scripts/install_test_tools.sh) with a fresh profile and connects to its
 * DevTools endpoint; stops it and removes the profile afterwards.
 *
 * @module
 */

import { deadline } from "./_deadline.ts";
import { DevTools } from "./_devtools.ts";

const CHROMIUM = "/usr/bin/chromium";
/** How much of Chromium's stderr a failure quotes. */
const STDERR_TAIL = 4000;

/** A running browser. */
export interface Chromium {
  devtools: DevTools;
  /** The end of what Chromium printed, for failure messages. */
  stderr(): string;
  /** Closes the browser (killing it if it does not close) and its profile. */
  close(): Promise<void>;
}

/** Starts Chromium; on failure nothing is left running. */
export async function launchChromium(): Promise<Chromium> {
  const profile = await Deno.makeTempDir({ prefix: "zipstream-chromium-" });
  const child = new Deno.Command(CHROMIUM, {
    args: [
      "--headless=new",
      // The tests run as root, where Chromium's sandbox cannot start.
      "--no-sandbox",
      // CI containers often have a small /dev/shm.
      "--disable-dev-shm-usage",
      "--disable-gpu",
      "--no-first-run",
      "--no-default-browser-check",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      // Chromium picks a free port and writes it to DevToolsActivePort.
      "--remote-debugging-port=0",
      `--user-data-dir=${profile}`,
      "about:blank",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let tail = "";
  // Read to the end, or a chatty Chromium would block on a full pipe.
  const drained = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({
      write(text) {
        // Without a D-Bus, as in CI containers, Chromium complains of it
        // endlessly and harmlessly: that would hide what matters.
        const lines = text.split("\n").filter((line) => !/dbus/i.test(line));
        tail = (tail + lines.join("\n")).slice(-STDERR_TAIL);
      },
    }),
  ).catch(() => {});
  let exited = false;
  const status = child.status.then((status) => {
    exited = true;
    return status;
  });

  const stop = async () => {
    if (!exited) {
      try {
        child.kill("SIGKILL");
      } catch {
        // It exited meanwhile.
      }
    }
    await status;
    await drained;
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  };

  let devtools: DevTools;
  try {
    devtools = await DevTools.connect(
      await endpointOf(profile, () => exited, () => tail),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    devtools,
    stderr: () => tail,
    async close() {
      try {
        // Closing lets Chromium end its renderer and helper processes itself.
        await devtools.send("Browser.close", {}, { timeout: 10_000 })
          .catch(() => {});
        await devtools.close();
        await deadline(status, 15_000, "Chromium to exit").catch(() => {});
      } finally {
        await stop();
      }
    },
  };
}

/** Waits for Chromium to write its DevTools endpoint into the profile. */
async function endpointOf(
  profile: string,
  exited: () => boolean,
  stderr: () => string,
): Promise<string> {
  const started = Date.now();
  while (Date.now() - started < 60_000) {
    if (exited()) {
      throw new Error(
        `Chromium exited before opening its DevTools endpoint:\n${stderr()}`,
      );
    }
    const text = await Deno.readTextFile(`${profile}/DevToolsActivePort`)
      .catch(() => "");
    // Two lines: the port, then the browser's path, which ends in a UUID:
    // a file read while being written fails the match.
    const match = /^(\d+)\n(\/devtools\/browser\/[0-9a-f-]{36})\s*$/.exec(text);
    if (match) return `ws://127.0.0.1:${match[1]}${match[2]}`;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `Chromium did not open its DevTools endpoint within 60 s:\n${stderr()}`,
  );
}
