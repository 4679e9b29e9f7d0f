// Child processes of the runner: contender servers (started, awaited until `ready <port>`, asked
// to stop over IPC, killed if they do not) and their measurements from /proc (CPU time, peak
// RSS). Every child is tracked so that a failure or Ctrl-C leaves nothing running.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { HOST, httpRequest, parsePrometheus } from './common';

const children = new Set<ChildProcess>();

/** Spawns `node [nodeArgs] <script>` with an IPC channel; tracked until it exits. */
export function spawnNode(script: string, env: Readonly<Record<string, string>>, nodeArgs: readonly string[] = []): ChildProcess {
  const child = spawn(process.execPath, [...nodeArgs, script], { env: { ...env }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** What a child writes to stdout and stderr, collected as it comes. */
export function collectOutput(child: ChildProcess): { readonly stdout: () => string; readonly stderr: () => string } {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return { stdout: () => stdout, stderr: () => stderr };
}

/**
 * Asks the child to stop over IPC (SIGTERM when the channel is gone), then SIGKILL after
 * `graceMs`; resolves when it has exited. IPC rather than a signal: the gateway's Apollo Server
 * has its own SIGTERM handler, and the two racing can leave the process up.
 */
export function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (child.connected) child.send({ type: 'stop' });
    else child.kill('SIGTERM');
  });
}

/** Stops every child still running (finally blocks and signal handlers call it). */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...children].map((c) => stopChild(c)));
}

/** The environment a child gets: nothing inherited but PATH and HOME, so a stray variable cannot change it. */
export function childEnv(vars: Readonly<Record<string, string>>): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...vars };
}

/** Keeps the last lines a child printed, for the error message when it fails. */
class Tail {
  private readonly lines: string[] = [];
  push(text: string): void {
    for (const line of text.split('\n')) if (line.trim().length > 0) this.lines.push(line);
    if (this.lines.length > 40) this.lines.splice(0, this.lines.length - 40);
  }
  toString(): string {
    return this.lines.join('\n');
  }
}

export class ContenderServer {
  readonly tail = new Tail();
  port = 0;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {}

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get graphqlUrl(): string {
    return `http://${HOST}:${this.port}/graphql`;
  }

  /** Starts `dist/bench/servers/<script>` and waits for its `ready <port>` line. */
  static async start(
    name: string,
    script: string,
    env: Readonly<Record<string, string>>,
    nodeArgs: readonly string[] = [],
    timeoutMs = 90_000,
  ): Promise<ContenderServer> {
    const child = spawnNode(path.join(__dirname, 'servers', script), childEnv(env), nodeArgs);
    const server = new ContenderServer(name, child);
    child.stderr?.on('data', (chunk: Buffer) => server.tail.push(chunk.toString('utf8')));
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      const timer = setTimeout(() => fail(new Error(`${name}: not ready after ${timeoutMs / 1000} s`)), timeoutMs);
      const onExit = (code: number | null): void => fail(new Error(`${name}: exited with ${code} before ready`));
      const fail = (error: Error): void => {
        clearTimeout(timer);
        child.off('exit', onExit);
        reject(new Error(`${error.message}\n${server.tail.toString()}`));
      };
      child.once('exit', onExit);
      child.stdout?.on('data', (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        server.tail.push(text);
        if (server.port !== 0) return;
        buffered += text;
        const match = /^ready (\d+)$/m.exec(buffered);
        if (!match) return;
        server.port = Number(match[1]);
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve();
      });
    });
    child.once('exit', (code, signal) => {
      if (code !== 0) process.stderr.write(`${name} (pid ${server.pid}) exited: ${code ?? signal}\n${server.tail.toString()}\n`);
    });
    return server;
  }

  /** Counters from its /metrics; SQL statements from the IPC fallback when /metrics lacks them. */
  async counters(): Promise<Map<string, number>> {
    const answer = await httpRequest(`http://${HOST}:${this.port}/metrics`);
    const metrics = parsePrometheus(answer.body.toString('utf8'));
    if (!metrics.has('pms_sql_statements_total')) {
      const stats = await this.ipcStats();
      for (const [k, v] of Object.entries(stats)) if (!metrics.has(k)) metrics.set(k, v);
    }
    return metrics;
  }

  private ipcStats(): Promise<Record<string, number>> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.child.off('message', onMessage);
        resolve({});
      }, 2_000);
      const onMessage = (message: unknown): void => {
        const m = message as { type?: string; stats?: Record<string, number> };
        if (m.type !== 'stats') return;
        clearTimeout(timer);
        this.child.off('message', onMessage);
        resolve(m.stats ?? {});
      };
      this.child.on('message', onMessage);
      this.child.send({ type: 'stats' });
    });
  }

  stop(): Promise<void> {
    return stopChild(this.child);
  }
}

let clockTicks = 0;

function ticksPerSecond(): number {
  if (clockTicks === 0) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** utime + stime of a process, in µs (from /proc/<pid>/stat). */
export function cpuMicros(pid: number): number {
  return statCpuMicros(`/proc/${pid}/stat`);
}

/** utime + stime, in µs, from a `stat` file of /proc (a process's or a thread's). */
function statCpuMicros(statPath: string): number {
  const stat = readFileSync(statPath, 'utf8');
  // Fields after the command name (which may hold spaces): state is [0], utime [11], stime [12].
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / ticksPerSecond();
}

/**
 * utime + stime, in µs, of a process's threads other than its main one (V8's compiler and GC
 * helpers, libuv's pool): the part of its CPU that a profile of the main thread does not show.
 */
export function otherThreadsCpuMicros(pid: number): number {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    if (tid === String(pid)) continue;
    try {
      total += statCpuMicros(`/proc/${pid}/task/${tid}/stat`);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return total;
}

/** Peak resident set size of a process so far, in MB (VmHWM). */
export function peakRssMb(pid: number): number {
  const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}
