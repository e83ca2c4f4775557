// Shared parts of the `listen` tests: one connection's answer, a request loop, the socket a
// daemon bound for a service.
import { connect, createServer, type Server } from 'node:net';
import type { Sandbox } from './cli.js';

/** What one connection got: the line the server wrote, or the error. */
export type Answer = { line: string } | { error: string };

/**
 * Connects to `target` (a loopback port or a unix socket path), and reads until the server
 * closes; an HTTP GET is sent first when `http` is set.
 */
export function ask(target: number | string, http = false, timeoutMs = 30_000): Promise<Answer> {
  return new Promise((resolve) => {
    let text = '';
    const socket =
      typeof target === 'number' ? connect({ host: '127.0.0.1', port: target }) : connect(target);
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`ETIMEDOUT: ${timeoutMs}ms`)));
    if (http) socket.write('GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ error: error.code ?? error.message }),
    );
    socket.on('end', () => resolve({ line: http ? (text.split('\r\n\r\n')[1] ?? '') : text }));
  });
}

/** Asks `target` one request at a time until `stop()`; returns every answer. */
export function askInLoop(target: number, http: boolean): { stop: () => Promise<Answer[]> } {
  const answers: Answer[] = [];
  let isOn = true;
  const loop = (async () => {
    while (isOn) answers.push(await ask(target, http));
  })();
  return {
    stop: async () => {
      isOn = false;
      await loop;
      return answers;
    },
  };
}

/** The port warden bound for `service`'s first socket (`status --json` `sockets`). */
export async function boundPort(s: Sandbox, service: string): Promise<number> {
  const r = await s.status();
  const socket = r.sockets.find((k) => k.service === service);
  if (socket === undefined) throw new Error(`no socket of ${service}: ${JSON.stringify(r)}`);
  return Number(socket.bound.slice(socket.bound.lastIndexOf(':') + 1));
}

/** A server of the test's own on a loopback port the kernel picked (someone else's program). */
export function holdPort(): Promise<{ port: number; server: Server }> {
  return new Promise((resolve, reject) => {
    const server = createServer((c) => c.end());
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (typeof address === 'object' && address !== null) resolve({ port: address.port, server });
      else reject(new Error('no port'));
    });
  });
}
