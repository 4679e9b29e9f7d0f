import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy of a test's own, on loopback, in front of one target (a redis-server): what a
 * network between one gateway instance and its store can do to it, without touching the store or
 * the other instances.
 *
 * - `block('hang')` stops forwarding in both directions and holds new connections unanswered
 *   (accepted, never connected onwards): the client sees a connection that is up but never
 *   answers, as in a partition. Bytes sent meanwhile wait in the sockets and are delivered on
 *   `unblock()`, as TCP would once the partition heals.
 * - `block('reset')` resets every connection (RST) and every new one at once: the client sees
 *   ECONNRESET, as when a firewall rejects it.
 * - `replyLatencyMs` delays every chunk from the target to the client by that many ms (order
 *   kept): a slower but healthy network, so that store calls stay in flight a little longer.
 *
 * Only the test process runs it; it listens on 127.0.0.1 and connects to the target given.
 */
export interface TcpProxy {
  readonly host: string;
  readonly port: number;
  /** `redis://127.0.0.1:<port>`: the proxy's address as a REDIS_URL. */
  readonly url: string;
  readonly blocked: false | 'hang' | 'reset';
  /** Client connections open now (held ones included). */
  readonly connections: number;
  /**
   * When each of the last 1,000 Redis commands from clients was forwarded (performance.now()):
   * RESP commands counted by the `*` that begins each (a chunk split inside a command may be
   * counted short, so this is a lower bound).
   */
  readonly sentCommands: readonly number[];
  block(mode?: 'hang' | 'reset'): void;
  unblock(): void;
  /** Delay of each chunk from the target to the client, ms (0: none). */
  setReplyLatency(ms: number): void;
  /** Stops listening and destroys every connection. Idempotent. */
  close(): Promise<void>;
}

export interface TcpProxyOptions {
  readonly targetHost?: string;
  readonly targetPort: number;
  readonly replyLatencyMs?: number;
}

const HOST = '127.0.0.1';
const KEPT_COMMAND_TIMES = 1_000;
const STAR = 0x2a;
const COMMAND_START = Buffer.from('\r\n*');

interface Pair {
  readonly client: Socket;
  upstream: Socket | null;
  /** Chunks from the target waiting for their latency to pass (or for unblock). */
  readonly replies: { readonly due: number; readonly chunk: Buffer }[];
  replyTimer: NodeJS.Timeout | null;
}

export async function startTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  const targetHost = options.targetHost ?? HOST;
  if (targetHost !== HOST && targetHost !== 'localhost' && targetHost !== '::1') {
    throw new Error(`tcp-proxy: loopback targets only, got ${targetHost}`);
  }
  let blocked: false | 'hang' | 'reset' = false;
  let replyLatencyMs = options.replyLatencyMs ?? 0;
  let closed = false;
  const pairs = new Set<Pair>();
  const sentCommands: number[] = [];

  /** Records the RESP commands a client chunk holds: one per `*` at its start or after a CRLF. */
  const countCommands = (chunk: Buffer): void => {
    const now = performance.now();
    let count = chunk[0] === STAR ? 1 : 0;
    for (let at = chunk.indexOf(COMMAND_START); at !== -1; at = chunk.indexOf(COMMAND_START, at + 3)) count += 1;
    for (let i = 0; i < count; i++) sentCommands.push(now);
    if (sentCommands.length > KEPT_COMMAND_TIMES) sentCommands.splice(0, sentCommands.length - KEPT_COMMAND_TIMES);
  };

  const drop = (pair: Pair): void => {
    pairs.delete(pair);
    if (pair.replyTimer !== null) clearTimeout(pair.replyTimer);
    pair.replyTimer = null;
    pair.replies.length = 0;
    pair.client.destroy();
    pair.upstream?.destroy();
  };

  const reset = (pair: Pair): void => {
    pairs.delete(pair);
    if (pair.replyTimer !== null) clearTimeout(pair.replyTimer);
    pair.replies.length = 0;
    if (!pair.client.destroyed) pair.client.resetAndDestroy();
    pair.upstream?.destroy();
  };

  /** Writes the replies whose time has come, unless blocked; schedules the next one. */
  const flushReplies = (pair: Pair): void => {
    if (pair.replyTimer !== null) {
      clearTimeout(pair.replyTimer);
      pair.replyTimer = null;
    }
    if (blocked !== false) return;
    const now = performance.now();
    while (pair.replies.length > 0 && pair.replies[0]!.due <= now) {
      const { chunk } = pair.replies.shift()!;
      if (!pair.client.destroyed) pair.client.write(chunk);
    }
    if (pair.replies.length > 0) {
      pair.replyTimer = setTimeout(() => flushReplies(pair), Math.max(0, pair.replies[0]!.due - now));
    }
  };

  const connectUpstream = (pair: Pair): void => {
    const upstream = connect({ host: targetHost, port: options.targetPort });
    pair.upstream = upstream;
    upstream.setNoDelay(true);
    upstream.on('data', (chunk: Buffer) => {
      if (replyLatencyMs <= 0 && blocked === false && pair.replies.length === 0) {
        pair.client.write(chunk);
        return;
      }
      pair.replies.push({ due: performance.now() + replyLatencyMs, chunk });
      if (pair.replyTimer === null && blocked === false) flushReplies(pair);
    });
    upstream.on('error', () => drop(pair));
    // The target went away (killed, say): so does the client's connection.
    upstream.on('close', () => drop(pair));
    pair.client.on('data', (chunk: Buffer) => {
      countCommands(chunk);
      upstream.write(chunk);
    });
    pair.client.resume();
  };

  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    if (closed) {
      client.destroy();
      return;
    }
    client.setNoDelay(true);
    if (blocked === 'reset') {
      client.resetAndDestroy();
      return;
    }
    const pair: Pair = { client, upstream: null, replies: [], replyTimer: null };
    pairs.add(pair);
    client.on('error', () => drop(pair));
    client.on('close', () => drop(pair));
    // Held while blocked: accepted (the client believes it is connected) but silent.
    if (blocked === false) connectUpstream(pair);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    host: HOST,
    port,
    url: `redis://${HOST}:${port}`,
    get blocked() {
      return blocked;
    },
    get connections() {
      return pairs.size;
    },
    get sentCommands() {
      return sentCommands;
    },
    block(mode = 'hang') {
      blocked = mode;
      for (const pair of [...pairs]) {
        if (mode === 'reset') {
          reset(pair);
          continue;
        }
        // Stop reading both ways: what is sent meanwhile waits in the sockets' buffers.
        pair.client.pause();
        pair.upstream?.pause();
        if (pair.replyTimer !== null) clearTimeout(pair.replyTimer);
        pair.replyTimer = null;
      }
    },
    unblock() {
      blocked = false;
      for (const pair of [...pairs]) {
        if (pair.upstream === null) {
          connectUpstream(pair);
          continue;
        }
        pair.client.resume();
        pair.upstream.resume();
        flushReplies(pair);
      }
    },
    setReplyLatency(ms) {
      replyLatencyMs = ms;
    },
    async close() {
      if (closed) return;
      closed = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const pair of [...pairs]) drop(pair);
      await stopped;
    },
  };
}
