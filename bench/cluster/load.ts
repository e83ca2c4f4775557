// A small load generator for the cluster bench: `concurrency` loops on loopback, each sending one
// GET on a new connection (no keep-alive, `Connection: close`), so that a port nobody accepts on
// shows as a refused connection rather than as a reused socket's reset. Counts requests served,
// errors by code, and the latency of each request.
import { request } from 'node:http';

/** What one load run saw. */
export interface LoadResult {
  served: number;
  /** Failed requests by error code (ECONNREFUSED, ECONNRESET...) or `HTTP 5xx`. */
  errors: Record<string, number>;
  /** Latencies of the served requests, ms, in completion order. */
  latenciesMs: number[];
}

/** A running load: `stop()` ends the loops and resolves with what they saw. */
export interface Load {
  stop(): Promise<LoadResult>;
}

/** Starts `concurrency` request loops against http://127.0.0.1:`port`/. */
export function startLoad(port: number, concurrency: number): Load {
  const result: LoadResult = { served: 0, errors: {}, latenciesMs: [] };
  let running = true;
  const once = (): Promise<void> =>
    new Promise((resolve) => {
      const began = process.hrtime.bigint();
      const fail = (code: string): void => {
        result.errors[code] = (result.errors[code] ?? 0) + 1;
        resolve();
      };
      const req = request(
        { host: '127.0.0.1', port, path: '/', agent: false, headers: { connection: 'close' } },
        (res) => {
          res.resume();
          res.on('end', () => {
            if ((res.statusCode ?? 0) >= 500) return fail(`HTTP ${res.statusCode}`);
            result.served++;
            result.latenciesMs.push(Number(process.hrtime.bigint() - began) / 1e6);
            resolve();
          });
          res.on('error', (e: NodeJS.ErrnoException) => fail(e.code ?? 'EIO'));
        },
      );
      req.setTimeout(10_000, () =>
        req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })),
      );
      req.on('error', (e: NodeJS.ErrnoException) => fail(e.code ?? 'EIO'));
      req.end();
    });
  const loop = async (): Promise<void> => {
    while (running) await once();
  };
  const loops = Array.from({ length: concurrency }, loop);
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return result;
    },
  };
}

/** The `p`th percentile (0..100) of `values`, nearest rank; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = values.toSorted((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
  );
}
