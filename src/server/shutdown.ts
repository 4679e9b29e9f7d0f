import type http from 'node:http';
import net from 'node:net';
import type { Logger } from './logger';

/**
 * Graceful stop of the HTTP server, bounded by a deadline.
 *
 * Node's own `server.close()` destroys idle keep-alive connections at once. A client may have
 * written a request on such a connection that the server has not read yet (it sits in the
 * kernel's buffer): destroying a socket with unread data sends a TCP reset, and that request,
 * written before the signal, fails with ECONNRESET. So the drainer stops the listener without
 * touching connections, and:
 * - answers every request it reads from now on, and every one in flight whose headers are not
 *   sent yet, with `Connection: close` (Node then closes the connection after the response);
 * - ends (FIN, not reset) each connection as soon as it has no request in flight: at once for one
 *   that finishes a response, after `idleGraceMs` for one that was idle, so that a request already
 *   on its way is read and answered rather than cut;
 * - at the deadline destroys whatever is left (a client that sent headers and half a body, then
 *   stalled, would otherwise keep the process alive for ever).
 */
export interface DrainOutcome {
  /** Requests in flight when the drain began (the newest of each connection) or arriving during it that finished. */
  readonly completed: number;
  /** Connections destroyed at the deadline (with their requests, if any). */
  readonly forced: number;
}

const DEFAULT_IDLE_GRACE_MS = 500;
/** A peer that does not answer our FIN within this is cut: loopback and LANs answer in microseconds. */
const HALF_CLOSED_LIMIT_MS = 1_000;

/** A response is done once everything is handed to the socket, or when it was abandoned. */
function responseDone(res: http.ServerResponse): boolean {
  return res.writableFinished || res.destroyed;
}

export class ConnectionDrainer {
  /**
   * Open connections, each with the newest response begun on it (null before its first request).
   * Node answers a connection's requests in order, so the newest being done means none is in
   * flight: until the drain, tracking costs one map write per request and no listener.
   */
  private readonly sockets = new Map<net.Socket, http.ServerResponse | null>();
  private drainingSince: number | null = null;
  private completedDuringDrain = 0;
  private onIdle: (() => void) | null = null;

  constructor(
    private readonly server: http.Server,
    private readonly idleGraceMs = DEFAULT_IDLE_GRACE_MS,
  ) {
    server.on('connection', (socket: net.Socket) => {
      this.sockets.set(socket, null);
      socket.once('close', () => {
        this.sockets.delete(socket);
        if (this.sockets.size === 0) this.onIdle?.();
      });
    });
    // First among the request listeners: the header must be set before any handler writes.
    server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const socket = req.socket;
      this.sockets.set(socket, res);
      if (this.drainingSince !== null) this.endAfter(socket, res);
    });
  }

  get draining(): boolean {
    return this.drainingSince !== null;
  }

  /**
   * Stops accepting connections and drains the open ones until `deadline` (epoch ms), then
   * destroys the rest. Resolves when no connection is left.
   */
  async drain(deadline: number): Promise<DrainOutcome> {
    if (this.drainingSince === null) {
      this.drainingSince = Date.now();
      // net.Server's close, not http.Server's: the latter would destroy idle connections (above).
      if (this.server.listening) net.Server.prototype.close.call(this.server);
      for (const [socket, res] of this.sockets) {
        if (res !== null && !responseDone(res)) this.endAfter(socket, res);
      }
      const grace = Math.max(0, Math.min(this.idleGraceMs, deadline - Date.now()));
      setTimeout(() => {
        for (const [socket, res] of this.sockets) if (res === null || responseDone(res)) this.endSocket(socket);
      }, grace).unref();
    }
    if (this.sockets.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        this.onIdle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.onIdle = null;
    }
    const forced = this.sockets.size;
    for (const socket of this.sockets.keys()) socket.destroy();
    this.sockets.clear();
    return { completed: this.completedDuringDrain, forced };
  }

  /**
   * While draining: answers `res` with `Connection: close` if its headers are not out yet, and
   * ends its connection once it is done, unless a newer request arrived on it meanwhile (that
   * one's response ends it). A response whose headers went out before the drain carries no
   * `Connection: close`, so Node would keep its connection open.
   */
  private endAfter(socket: net.Socket, res: http.ServerResponse): void {
    if (!res.headersSent) res.setHeader('connection', 'close');
    // 'close' comes after 'finish', and also when the client goes away first: once either way.
    res.once('close', () => {
      this.completedDuringDrain += 1;
      if (this.sockets.get(socket) === res) this.endSocket(socket);
    });
  }

  private endSocket(socket: net.Socket): void {
    if (socket.destroyed) return;
    // FIN: the peer reads everything sent so far, then sees the end; nothing is reset.
    socket.end();
    setTimeout(() => socket.destroy(), HALF_CLOSED_LIMIT_MS).unref();
  }
}

export type ShutdownSignal = 'SIGTERM' | 'SIGINT';

const SIGNAL_NUMBERS: Readonly<Record<ShutdownSignal, number>> = { SIGINT: 2, SIGTERM: 15 };

/**
 * A signal this soon after the first is the same one delivered twice, not a person insisting:
 * Ctrl+C under `npm start` reaches the gateway from the terminal (the process group) and again
 * from npm, which passes it on, within milliseconds. A second press takes longer than this.
 */
export const REPEAT_WINDOW_MS = 300;

export interface ShutdownOptions {
  /** Whole bound of the stop: the drain, then closing Redis and Postgres. */
  readonly timeoutMs: number;
  readonly logger: Logger;
  /**
   * Drains HTTP until `drainDeadline` (epoch ms), then closes the gateway's resources (Redis and
   * Postgres last).
   */
  readonly stop: (drainDeadline: number) => Promise<void>;
  /** process.exit, in production. */
  readonly exit: (code: number) => void;
}

/**
 * The process side of shutdown: the first SIGTERM or SIGINT drains and stops within
 * `timeoutMs`, then exits 0 (1 when closing failed or the deadline passed); a second signal
 * (past REPEAT_WINDOW_MS) exits at once with 128 + its number, as a shell reports a process
 * killed by it.
 */
export class Shutdown {
  private startedAt: number | null = null;

  constructor(private readonly options: ShutdownOptions) {}

  /** Handles SIGTERM and SIGINT from now on. */
  install(): void {
    process.on('SIGTERM', () => this.signal('SIGTERM'));
    process.on('SIGINT', () => this.signal('SIGINT'));
  }

  signal(signal: ShutdownSignal): void {
    const { logger, exit, timeoutMs } = this.options;
    if (this.startedAt !== null) {
      if (Date.now() - this.startedAt < REPEAT_WINDOW_MS) {
        logger.debug(`shutdown: ${signal} again within ${REPEAT_WINDOW_MS} ms, taken as the same one`);
        return;
      }
      logger.warn(`shutdown: second ${signal}, exiting now without draining`);
      exit(128 + SIGNAL_NUMBERS[signal]);
      return;
    }
    const started = Date.now();
    this.startedAt = started;
    // Closing Redis and Postgres takes milliseconds when they are healthy; keep them a slice.
    const reserve = Math.min(1_000, Math.floor(timeoutMs / 5));
    logger.info(`shutdown: ${signal} received, draining (at most ${timeoutMs} ms; a second signal exits at once)`);
    const hardStop = setTimeout(() => {
      logger.error(`shutdown: deadline of ${timeoutMs} ms (SHUTDOWN_TIMEOUT_MS) passed while closing, exiting`);
      exit(1);
    }, timeoutMs);
    this.options.stop(started + timeoutMs - reserve).then(
      () => {
        clearTimeout(hardStop);
        logger.info(`shutdown: done in ${Date.now() - started} ms`);
        exit(0);
      },
      (error: unknown) => {
        clearTimeout(hardStop);
        logger.error({ err: error }, 'shutdown: closing failed');
        exit(1);
      },
    );
  }
}
