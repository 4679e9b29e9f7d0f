import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A redis-server of a test's own, on a free loopback port, for what the machine's shared Redis
 * must not suffer: being killed, paused, put to sleep or turned into a Cluster node. Nothing is
 * persisted (no RDB, no AOF); its folder is a fresh temp dir, removed by stop().
 */
export interface RedisServer {
  readonly host: string;
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** The folder it runs in (cluster config files live here). */
  readonly dir: string;
  /** Runs redis-cli against it; resolves to its trimmed output. */
  cli(...args: string[]): Promise<string>;
  /** Freezes every client's commands for `ms` (CLIENT PAUSE … ALL); returns at once. */
  pause(ms: number): Promise<void>;
  /** Blocks the server for `seconds` (DEBUG SLEEP); resolves when it is awake again. */
  sleep(seconds: number): Promise<void>;
  /** SIGKILL, as a crash would: no goodbye to clients. Resolves once the process has exited. */
  kill(): Promise<void>;
  /** Starts it again on the same port (after kill), empty, and waits until it accepts connections. */
  restart(): Promise<void>;
  /** Kills it (if running) and removes its folder. */
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  /** Start as a Cluster node (the bus port, port + 10000, must be free too). */
  readonly cluster?: boolean;
  /** Extra redis-server arguments. */
  readonly args?: readonly string[];
}

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 5_000;

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const cluster = options.cluster ?? false;
  const port = await freePort(cluster);
  const dir = await mkdtemp(join(tmpdir(), `redis-${port}-`));
  const args = [
    '--port', String(port),
    '--bind', HOST,
    '--save', '',
    '--appendonly', 'no',
    '--daemonize', 'no',
    '--dir', dir,
    // DEBUG SLEEP is how the slow-store test slows it down; Redis 7 disables DEBUG by default.
    '--enable-debug-command', 'local',
    ...(cluster
      ? ['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--cluster-node-timeout', '2000']
      : []),
    ...(options.args ?? []),
  ];

  let child: ChildProcess | null = await launch(args);

  const cli = (...cliArgs: string[]): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile('redis-cli', ['-h', HOST, '-p', String(port), ...cliArgs], { timeout: 30_000 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`redis-cli ${cliArgs.join(' ')}: ${error.message}\n${stderr}`));
        else resolve(stdout.trim());
      });
    });

  const kill = async (): Promise<void> => {
    const running = child;
    child = null;
    if (running === null || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGKILL');
    await exited;
  };

  return {
    host: HOST,
    port,
    url: `redis://${HOST}:${port}`,
    dir,
    cli,
    pause: async (ms) => {
      const reply = await cli('CLIENT', 'PAUSE', String(ms), 'ALL');
      if (reply !== 'OK') throw new Error(`CLIENT PAUSE answered ${reply}`);
    },
    sleep: async (seconds) => {
      const reply = await cli('DEBUG', 'SLEEP', String(seconds));
      if (reply !== 'OK') throw new Error(`DEBUG SLEEP answered ${reply}`);
    },
    kill,
    restart: async () => {
      await kill();
      child = await launch(args);
    },
    stop: async () => {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Spawns redis-server and resolves once it logs that it accepts connections. */
function launch(args: readonly string[]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(`not ready after ${READY_TIMEOUT_MS} ms`);
    }, READY_TIMEOUT_MS);
    const fail = (why: string): void => {
      clearTimeout(timer);
      reject(new Error(`redis-server ${args.join(' ')}: ${why}\n${output.slice(-2_000)}`));
    };
    const onData = (chunk: Buffer): void => {
      if (output.length < 20_000) output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        // Keep draining its logs (so a full pipe never blocks it) but stop collecting them.
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      if (output.length < 20_000) output += chunk.toString();
    });
    child.once('error', (error) => fail(error.message));
    child.once('exit', (code, signal) => fail(`exited early (code ${code}, signal ${signal})`));
  });
}

/**
 * A port nothing listens on now, found by letting the kernel pick one (bind port 0). For a Cluster
 * node, port + 10000 (its bus port) must exist and be free as well.
 */
async function freePort(withBus: boolean): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const port = await bind(0);
    if (!withBus) return port;
    if (port + 10_000 <= 65_535 && (await bind(port + 10_000).then(() => true, () => false))) return port;
  }
  throw new Error('no free loopback port found');
}

function bind(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, HOST, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      server.close(() => resolve(bound));
    });
  });
}
