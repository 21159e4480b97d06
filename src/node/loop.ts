/**
 * Runs `work` in the background: right away, then `intervalMs` after each run ends, so runs never
 * overlap. `stop()` waits for the run in progress.
 */
export function startBackgroundLoop(work: () => Promise<unknown>, intervalMs: number): { stop(): Promise<void> } {
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = () => {
    running = work()
      .catch(() => undefined) // each job logs its own failures
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  timer = setTimeout(tick, 0);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
