import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The one way tests wait: checks `condition` every `intervalMs` until it holds, and fails with
 * `what` (a text, or a function giving the state at the deadline) once `timeoutMs` has passed.
 * Every wait has a deadline, so a test that would hang fails instead.
 */
export async function until(
  condition: () => boolean | Promise<boolean>,
  options: { timeoutMs: number; what: string | (() => string); intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() >= deadline) {
      const what = typeof options.what === 'function' ? options.what() : options.what;
      throw new Error(`waited ${options.timeoutMs} ms: ${what}`);
    }
    await sleep(options.intervalMs ?? 50);
  }
}
