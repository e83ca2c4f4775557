// POST /api/v1/start, /stop, /restart with `{"targets": ["web:0"]}`: what the dashboard's buttons
// send, run through the control protocol's own handlers (WardenSource.call). A stand-in for the
// REST API's routes of the same paths and shapes (issue 19.3), which replace it at merge.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ProtocolError, type ErrorCode } from '../ipc/protocol.js';
import type { Router } from './router.js';
import type { ActionMethod, WardenSource } from './source.js';

/** Largest body read: a list of targets. */
const MAX_BODY_BYTES = 64 * 1024;

/** The HTTP status of each protocol error these methods throw; others are 500. */
const STATUS: Partial<Record<ErrorCode, number>> = {
  BAD_REQUEST: 400,
  INVALID_PARAMS: 400,
  UNKNOWN_SERVICE: 404,
  SHUTTING_DOWN: 503,
};

/** Adds the three POST routes over `source` to `router`. */
export function addActions(router: Router, source: WardenSource): void {
  for (const method of ['start', 'stop', 'restart'] as const)
    router.add('POST', `/api/v1/${method}`, (req, res) => act(method, source, req, res));
}

async function act(
  method: ActionMethod,
  source: WardenSource,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  try {
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? ''))
      throw new ProtocolError('BAD_REQUEST', 'send the body as Content-Type: application/json');
    const params = parseBody(await readBody(req));
    answer(res, 200, await source.call(method, params));
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    answer(res, STATUS[error.code] ?? 500, { error: { code: error.code, message: error.message } });
  }
}

function parseBody(text: string): { targets: string[] } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ProtocolError('BAD_REQUEST', 'the body is not JSON: send {"targets": ["web"]}');
  }
  const targets = (body as { targets?: unknown } | null)?.targets;
  if (!Array.isArray(targets) || !targets.every((t) => typeof t === 'string'))
    throw new ProtocolError('INVALID_PARAMS', 'targets must be a list of services or instances');
  return { targets };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new ProtocolError('BAD_REQUEST', `the body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}
