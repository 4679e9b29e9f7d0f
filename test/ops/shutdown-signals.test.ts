import { createLogger } from '../../src/server/logger';
import { REPEAT_WINDOW_MS, Shutdown } from '../../src/server/shutdown';

/**
 * The signal side of shutdown, with a recorded exit and a stop that resolves when told (the real
 * process, its signals and sockets are in process.test.ts and drain.test.ts).
 */

function harness(timeoutMs = 10_000) {
  const exits: number[] = [];
  const deadlines: number[] = [];
  let finish: () => void = () => undefined;
  const shutdown = new Shutdown({
    timeoutMs,
    logger: createLogger('silent'),
    stop: (deadline) => {
      deadlines.push(deadline);
      return new Promise<void>((resolve) => (finish = resolve));
    },
    exit: (code) => exits.push(code),
  });
  return { shutdown, exits, deadlines, finish: () => finish() };
}

afterEach(() => {
  jest.useRealTimers();
});

it('the same signal twice within the repeat window (Ctrl+C under npm start) drains once, and exits 0 when done', async () => {
  jest.useFakeTimers({ now: 1_000_000 });
  const h = harness();
  h.shutdown.signal('SIGINT');
  jest.advanceTimersByTime(REPEAT_WINDOW_MS - 50);
  h.shutdown.signal('SIGINT');
  expect(h.exits).toEqual([]);
  expect(h.deadlines).toHaveLength(1);
  // The drain ends 1 s (the slice kept for closing Redis and Postgres) before the deadline.
  expect(h.deadlines[0]).toBe(1_000_000 + 10_000 - 1_000);
  h.finish();
  await Promise.resolve();
  await Promise.resolve();
  expect(h.exits).toEqual([0]);
});

it('a second signal after the repeat window exits at once with 128 + its number', () => {
  jest.useFakeTimers({ now: 1_000_000 });
  const h = harness();
  h.shutdown.signal('SIGTERM');
  jest.advanceTimersByTime(REPEAT_WINDOW_MS + 1);
  h.shutdown.signal('SIGTERM');
  expect(h.exits).toEqual([143]);
});

it('exits 1 at SHUTDOWN_TIMEOUT_MS when closing has not finished by then', () => {
  jest.useFakeTimers({ now: 1_000_000 });
  const h = harness(2_000);
  h.shutdown.signal('SIGTERM');
  jest.advanceTimersByTime(1_999);
  expect(h.exits).toEqual([]);
  jest.advanceTimersByTime(1);
  expect(h.exits).toEqual([1]);
});
