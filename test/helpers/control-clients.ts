// Raw clients of the control socket for flood tests, and the daemon's resident memory.
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';

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
