/**
 * Waiting for a condition the test cannot be told about (requests the control
 * plane logged, processes in /proc): polled, always with a deadline, and a
 * failure that says what was awaited.
 */
import { setTimeout as sleep } from "node:timers/promises";

export async function waitUntil(condition: () => boolean, what: string, { timeoutMs = 60_000, everyMs = 10 } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await sleep(everyMs);
  }
}
