/**
 * A minimal client of the Chrome DevTools protocol over its WebSocket:
 * commands with their replies, and events. The browser test needs a dozen
 * commands; puppeteer would bring a pinned npm project and its Node
 * dependencies into Deno for them.
 *
 * @module
 */

import { deadline } from "./_deadline.ts";

/** The parameters or result of a command, or an event's parameters. */
export type Params = Record<string, unknown>;

/** An event the browser sent. */
export interface DevToolsEvent {
  method: string;
  params: Params;
  /** The target session it came from; absent for the browser's own. */
  sessionId?: string;
}

interface Message {
  id?: number;
  method?: string;
  params?: Params;
  result?: Params;
  error?: { code: number; message: string };
  sessionId?: string;
}

interface Call {
  method: string;
  resolve(result: Params): void;
  reject(error: Error): void;
}

/** Where a command goes and how long its reply may take. */
export interface SendOptions {
  /** The attached target's session; the browser's when absent. */
  sessionId?: string;
  /** @default {60_000} */
  timeout?: number;
}

/** A connection to a browser's DevTools endpoint. */
export class DevTools {
  #socket: WebSocket;
  #nextId = 1;
  #calls = new Map<number, Call>();
  #listeners = new Set<(event: DevToolsEvent) => void>();
  #closed: Promise<void>;
  #closeReason: Error | undefined;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.onmessage = (event: MessageEvent<string>) => {
      this.#receive(JSON.parse(event.data) as Message);
    };
    this.#closed = new Promise((resolve) => {
      socket.onclose = () => {
        this.#closeReason ??= new Error("The DevTools connection closed");
        for (const call of this.#calls.values()) {
          call.reject(
            new Error(
              `${call.method} got no reply: ${this.#closeReason.message}`,
            ),
          );
        }
        this.#calls.clear();
        resolve();
      };
    });
  }

  /** Connects to `url`, the browser's `ws://` endpoint. */
  static async connect(url: string): Promise<DevTools> {
    const socket = new WebSocket(url);
    await deadline(
      new Promise<void>((resolve, reject) => {
        socket.onopen = () => resolve();
        socket.onerror = () =>
          reject(new Error(`Cannot connect to the DevTools endpoint ${url}`));
      }),
      30_000,
      `connecting to the DevTools endpoint ${url}`,
    );
    socket.onerror = null;
    return new DevTools(socket);
  }

  /**
   * Sends a command and resolves with its result.
   *
   * @throws {Error} with the browser's message when the command fails
   */
  async send<T = Params>(
    method: string,
    params: Params = {},
    options: SendOptions = {},
  ): Promise<T> {
    const { sessionId, timeout = 60_000 } = options;
    if (this.#closeReason !== undefined) {
      throw new Error(`Cannot send ${method}: ${this.#closeReason.message}`);
    }
    const id = this.#nextId++;
    const reply = new Promise<Params>((resolve, reject) => {
      this.#calls.set(id, { method, resolve, reject });
    });
    this.#socket.send(JSON.stringify({ id, method, params, sessionId }));
    try {
      return await deadline(reply, timeout, `the reply to ${method}`) as T;
    } finally {
      this.#calls.delete(id);
    }
  }

  /** Calls `listener` with every event until the returned function is called. */
  listen(listener: (event: DevToolsEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * The first event `method` (from `sessionId` when given) whose parameters
   * satisfy `accept`. Call it before the action that causes the event.
   */
  async waitFor(
    method: string,
    accept: (params: Params) => boolean,
    options: { sessionId?: string; timeout: number; what: string },
  ): Promise<Params> {
    let stop = () => {};
    const seen = new Promise<Params>((resolve, reject) => {
      const unlisten = this.listen((event) => {
        if (
          event.method === method &&
          (options.sessionId === undefined ||
            event.sessionId === options.sessionId) &&
          accept(event.params)
        ) {
          resolve(event.params);
        }
      });
      // The socket's end fails the wait at once rather than at its deadline.
      this.#closed.then(() =>
        reject(new Error(`${options.what}: the DevTools connection closed`))
      );
      stop = unlisten;
    });
    try {
      return await deadline(seen, options.timeout, options.what);
    } finally {
      stop();
    }
  }

  /** Closes the connection and waits until it is closed. */
  async close(): Promise<void> {
    this.#closeReason ??= new Error("The DevTools connection was closed");
    if (this.#socket.readyState !== WebSocket.CLOSED) this.#socket.close();
    await this.#closed;
  }

  #receive(message: Message): void {
    if (message.id !== undefined) {
      const call = this.#calls.get(message.id);
      if (call === undefined) return;
      if (message.error !== undefined) {
        call.reject(
          new Error(
            `${call.method} failed: ${message.error.message} (${message.error.code})`,
          ),
        );
      } else call.resolve(message.result ?? {});
      return;
    }
    if (message.method === undefined) return;
    const event: DevToolsEvent = {
      method: message.method,
      params: message.params ?? {},
      sessionId: message.sessionId,
    };
    for (const listener of [...this.#listeners]) listener(event);
  }
}
