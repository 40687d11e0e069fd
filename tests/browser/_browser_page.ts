/**
 * A browser tab driven through the DevTools protocol: navigate, evaluate
 * (awaiting promises), and a log of the page's console and uncaught errors
 * for failure messages.
 *
 * @module
 */

import type { DevTools, Params } from "./_devtools.ts";

/** An open tab. */
export interface BrowserPage {
  /** Loads `url` and waits for its load event. */
  goto(url: string): Promise<void>;
  /**
   * Evaluates `expression` in the page, awaits the promise it gives, and
   * returns its value (which must survive JSON).
   *
   * @throws {Error} with the page's exception when it throws or rejects
   */
  evaluate<T>(expression: string, timeout: number): Promise<T>;
  /** What the page logged and threw so far, one line each. */
  log(): string;
  /** Stops listening to the page (the browser's close ends the tab). */
  close(): void;
}

interface RemoteObject {
  type: string;
  value?: unknown;
  description?: string;
}

interface EvaluateResult {
  result: RemoteObject;
  exceptionDetails?: { text: string; exception?: RemoteObject };
}

/** Opens a blank tab. */
export async function openPage(devtools: DevTools): Promise<BrowserPage> {
  const { targetId } = await devtools.send<{ targetId: string }>(
    "Target.createTarget",
    { url: "about:blank" },
  );
  const { sessionId } = await devtools.send<{ sessionId: string }>(
    "Target.attachToTarget",
    { targetId, flatten: true },
  );
  const lines: string[] = [];
  const unlisten = devtools.listen((event) => {
    if (event.sessionId !== sessionId) return;
    if (event.method === "Runtime.consoleAPICalled") {
      const args = event.params.args as RemoteObject[];
      lines.push(
        `console.${event.params.type}: ${
          args.map((arg) => String(arg.value ?? arg.description)).join(" ")
        }`,
      );
    } else if (event.method === "Runtime.exceptionThrown") {
      const details = event.params.exceptionDetails as Params;
      const exception = details.exception as RemoteObject | undefined;
      lines.push(`uncaught: ${exception?.description ?? details.text}`);
    }
  });
  const inPage = { sessionId };
  await devtools.send("Page.enable", {}, inPage);
  await devtools.send("Runtime.enable", {}, inPage);
  return {
    async goto(url) {
      const loaded = devtools.waitFor("Page.loadEventFired", () => true, {
        sessionId,
        timeout: 60_000,
        what: `loading ${url}`,
      });
      const { errorText } = await devtools.send<{ errorText?: string }>(
        "Page.navigate",
        { url },
        inPage,
      );
      if (errorText !== undefined) {
        loaded.catch(() => {});
        throw new Error(`Cannot load ${url}: ${errorText}`);
      }
      await loaded;
    },
    async evaluate<T>(expression: string, timeout: number): Promise<T> {
      const { result, exceptionDetails } = await devtools.send<EvaluateResult>(
        "Runtime.evaluate",
        { expression, awaitPromise: true, returnByValue: true },
        { sessionId, timeout },
      );
      if (exceptionDetails !== undefined) {
        throw new Error(
          `${expression} failed in the page: ${
            exceptionDetails.exception?.description ?? exceptionDetails.text
          }`,
        );
      }
      return result.value as T;
    },
    log: () => lines.join("\n"),
    close: unlisten,
  };
}
