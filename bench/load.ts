// The load generator, in its own process so it never shares an event loop with a server: runs
// autocannon programmatically (warm-up, then the measured run when the runner says go) and
// prints the result as one JSON line. Latencies are kept at µs resolution (autocannon's are ms).
import autocannon from 'autocannon';
import { percentile } from './common';

export interface LoadSpec {
  readonly url: string;
  readonly connections: number;
  readonly warmupSeconds: number;
  /** When set, the warm-up is this many requests instead of warmupSeconds. */
  readonly warmupRequests?: number;
  readonly durationSeconds: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Request bodies, sent in turn (one: the same request every time; many: a different one each time). */
  readonly bodies: readonly string[];
  /** Index of the first body sent (the runner continues where the contender's last run stopped). */
  readonly startAt: number;
}

export interface LoadResult {
  readonly requests: number;
  readonly durationSeconds: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly bytesPerResponse: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly statusCodes: Readonly<Record<string, number>>;
  /** Index after the last body sent, warm-up included (where the next run should start). */
  readonly nextBody: number;
}

/** Parent → child: the spec, then `go` after the warm-up. Child → parent: `warm`. */
export type LoadMessage = { readonly type: 'spec'; readonly spec: LoadSpec } | { readonly type: 'go' } | { readonly type: 'warm' };

let next = 0;

/** `length`: seconds, or a number of requests. */
function run(spec: LoadSpec, length: { readonly seconds: number } | { readonly requests: number }, latencies: number[] | null): Promise<LoadResult> {
  const headers = { 'content-type': 'application/json', ...spec.headers };
  const bodies = spec.bodies;
  const rotate = bodies.length > 1;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        ...('requests' in length ? { amount: length.requests } : { duration: length.seconds }),
        timeout: 10,
        method: 'POST',
        headers,
        ...(rotate
          ? {
              requests: [
                {
                  method: 'POST',
                  setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length] }),
                },
              ],
            }
          : { body: bodies[0] }),
      },
      (error, result) => {
        if (error) {
          reject(error);
          return;
        }
        const sorted = latencies ? Float64Array.from(latencies).sort() : new Float64Array(0);
        const statusCodes: Record<string, number> = {};
        for (const [code, stat] of Object.entries(result.statusCodeStats)) statusCodes[code] = stat.count;
        const requests = result.requests.total;
        resolve({
          requests,
          durationSeconds: result.duration,
          rps: requests / result.duration,
          p50Ms: percentile(sorted, 50),
          p90Ms: percentile(sorted, 90),
          p99Ms: percentile(sorted, 99),
          maxMs: sorted.length > 0 ? sorted[sorted.length - 1]! : Number.NaN,
          bytesPerResponse: requests > 0 ? result.throughput.total / requests : 0,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          statusCodes,
          nextBody: next % bodies.length,
        });
      },
    );
    if (latencies) instance.on('response', (_client, _status, _bytes, ms) => void latencies.push(ms));
  });
}

function waitFor(type: LoadMessage['type']): Promise<LoadMessage> {
  return new Promise((resolve) => {
    const onMessage = (message: LoadMessage): void => {
      if (message.type !== type) return;
      process.off('message', onMessage);
      resolve(message);
    };
    process.on('message', onMessage);
  });
}

async function main(): Promise<void> {
  if (!process.send) throw new Error('load.js is started by the benchmark runner (it needs an IPC channel)');
  // Nothing outlives the runner.
  const orphaned = (): never => process.exit(1);
  process.on('disconnect', orphaned);
  process.on('message', (m: { type?: string }) => {
    if (m.type === 'stop') orphaned();
  });
  const message = await waitFor('spec');
  if (message.type !== 'spec') return;
  const spec = message.spec;
  next = spec.startAt;
  if (spec.warmupRequests !== undefined) await run(spec, { requests: spec.warmupRequests }, null);
  else if (spec.warmupSeconds > 0) await run(spec, { seconds: spec.warmupSeconds }, null);
  const go = waitFor('go');
  process.send({ type: 'warm' } satisfies LoadMessage);
  await go;
  const result = await run(spec, { seconds: spec.durationSeconds }, []);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.off('disconnect', orphaned);
  process.disconnect();
}

main().catch((error: unknown) => {
  process.stderr.write(`load: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
