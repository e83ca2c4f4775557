// Raw clients of the control socket for flood tests, and the daemon's resident memory.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { sandbox, waitFor, type Sandbox } from './cli.js';

// The daemon's resident memory (bytes), from /proc/PID/status.
export function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

export function open(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(path, () => resolve(socket));
    socket.once('error', reject);
  });
}

// Calls `onLine` with each answer line of `socket`.
export function onLines(socket: Socket, onLine: (line: string) => void): void {
  let buffer = '';
  socket.on('data', (d: Buffer) => {
    buffer += d.toString();
    let nl = buffer.indexOf('\n');
    while (nl !== -1) {
      onLine(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
      nl = buffer.indexOf('\n');
    }
  });
}

// Sends one request and resolves with its answer (the only request in flight on `socket`).
export function ask(socket: Socket, id: number, method: string): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    let buffer = '';
    const onData = (d: Buffer): void => {
      buffer += d.toString();
      const nl = buffer.indexOf('\n');
      if (nl === -1) return;
      socket.off('data', onData);
      resolve(JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>);
    };
    socket.on('data', onData);
    socket.write(`${JSON.stringify({ id, method })}\n`);
  });
}

export const STATUS = (id: number): string => `{"id":${id},"method":"status","params":{}}\n`;

/** A daemon for flood tests, warmed up, with its settled RSS and a wait for it to come back. */
export interface FloodTarget {
  s: Sandbox;
  pid: number;
  sock: string;
  /** RSS once the daemon has served a few requests of each kind (its settled size, bytes). */
  baseline: number;
  /** Waits until the RSS is back within 20% of `baseline`; @returns it */
  settle: (what: string) => Promise<number>;
}

/** Starts a daemon with one sleeper and warms it with 200 `status` requests. */
export async function floodTarget(): Promise<FloodTarget> {
  const s = sandbox();
  s.config('services:\n  sleeper:\n    command: [sleep, "600"]\n');
  assert.equal((await s.warden(['up', '--wait'])).code, 0);
  const pid = (await s.status()).daemon.pid;
  const sock = join(s.home, 'warden.sock');
  const warm = await open(sock);
  for (let i = 0; i < 200; i++) await ask(warm, i, 'status');
  warm.destroy();
  const baseline = rssOf(pid);
  const settle = (what: string): Promise<number> =>
    waitFor(
      `the daemon's RSS to come back within 20% of ${baseline} after ${what}`,
      () => {
        const rss = rssOf(pid);
        return rss <= baseline * 1.2 ? rss : false;
      },
      60_000,
      200,
    );
  return { s, pid, sock, baseline, settle };
}
