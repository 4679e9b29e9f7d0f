// What every contender server shares: the `ready <port>` line the runner waits for, counting SQL
// statements at the knex boundary, a Prometheus /metrics text, and a clean stop when the runner
// asks (IPC), on SIGTERM/SIGINT, or when the runner is gone, so no server outlives a run.
import type { Knex } from 'knex';

/** The one line the runner waits for on stdout. */
export function announceReady(port: number): void {
  process.stdout.write(`ready ${port}\n`);
}

/** Counts every statement any layer sends through this knex (loaders included). */
export class SqlCounter {
  count = 0;

  attach(db: Knex): this {
    db.on('query', () => {
      this.count += 1;
    });
    return this;
  }
}

/** Prometheus text exposition of plain counters (name → value). */
export function renderMetrics(counters: Readonly<Record<string, number>>): string {
  const lines: string[] = [];
  for (const [name, value] of Object.entries(counters)) lines.push(`# TYPE ${name} counter`, `${name} ${value}`);
  lines.push('# TYPE process_resident_memory_bytes gauge', `process_resident_memory_bytes ${process.memoryUsage.rss()}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Runs `stop` once when the runner says `{ type: 'stop' }` over IPC (how it stops servers), on
 * SIGTERM or SIGINT, or when the IPC channel closes (the runner is gone), then exits. A stop that
 * hangs is cut short after a few seconds: a benchmark server must never linger.
 */
export function stopOnSignals(name: string, stop: () => Promise<void>): void {
  let stopping = false;
  const run = (why: string): void => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => {
      process.stderr.write(`${name}: stop did not finish, exiting\n`);
      process.exit(1);
    }, 5_000).unref();
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`${name}: stop after ${why} failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => run('SIGTERM'));
  process.on('SIGINT', () => run('SIGINT'));
  process.on('disconnect', () => run('runner gone'));
  process.on('message', (message: unknown) => {
    if (typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'stop') run('stop message');
  });
}

/** Answers the runner's `{ type: 'stats' }` IPC message with the given counters. */
export function answerStats(stats: () => Readonly<Record<string, number>>): void {
  process.on('message', (message: unknown) => {
    if (typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'stats') {
      process.send?.({ type: 'stats', stats: stats() });
    }
  });
}

/** Starts a server's main, reporting a failure on stderr with a non-zero exit. */
export function runServer(name: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    process.stderr.write(`${name}: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
