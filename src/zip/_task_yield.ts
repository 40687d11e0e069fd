/**
 * A wait for the tasks already queued in the event loop.
 *
 * @module
 */

/**
 * Waits until the tasks already queued, such as workers' messages, have run:
 * a message to oneself through one channel, opened when first needed and
 * closed with the archive. `setTimeout(0)` waits 2 ms or more once timers
 * nest, and a channel per wait cost more than the wait in collecting it.
 */
export class TaskYield {
  #channel: MessageChannel | undefined;
  #waiting: (() => void)[] = [];

  /** Resolves once the tasks queued before it have run. */
  next(): Promise<void> {
    if (this.#channel === undefined) {
      this.#channel = new MessageChannel();
      this.#channel.port1.onmessage = () => this.#waiting.shift()?.();
    }
    const { port2 } = this.#channel;
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      port2.postMessage(null);
    });
  }

  /** Closes the channel, so it never keeps a process alive. */
  close(): void {
    this.#channel?.port1.close();
    this.#channel?.port2.close();
    this.#channel = undefined;
    for (const resolve of this.#waiting.splice(0)) resolve();
  }
}
