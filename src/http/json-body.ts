// The body of a write to the REST API: JSON, an object, at most MAX_BODY_BYTES. Read in full
// before the method runs, so a body refused (too large, not JSON, not an object) changes nothing.
import type { IncomingMessage } from 'node:http';

/** The largest body read (bytes): params are a few names and flags. */
export const MAX_BODY_BYTES = 64 * 1024;

/** A body that cannot be read as params (the protocol's BAD_REQUEST): HTTP 400, 413 or 415. */
export class BodyError extends Error {
  readonly code = 'BAD_REQUEST';
  constructor(
    readonly status: 400 | 413 | 415,
    message: string,
  ) {
    super(message);
    this.name = 'BodyError';
  }
}

/**
 * The body of `req` as a JSON object; an empty body is `{}`. A non-empty body must be sent as
 * `Content-Type: application/json` (a cross-site form cannot send that without a CORS
 * preflight, which this server never grants).
 * @throws BodyError 413 past MAX_BODY_BYTES (the rest is not read), 415 for another content
 *   type, 400 for malformed JSON or a value that is not an object
 */
export async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readText(req);
  if (text.trim() === '') return {};
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json')
    throw new BodyError(415, `send the params as JSON with "Content-Type: application/json"`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new BodyError(400, `the body is not valid JSON: ${why}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new BodyError(400, 'the body must be a JSON object of the method params, e.g. {}');
  return value as Record<string, unknown>;
}

// The body as text. Past the bound the rest is drained unread (not destroyed: the 413 answer
// must still reach the client).
function readText(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const tooLarge = () =>
      new BodyError(413, `the body is over ${MAX_BODY_BYTES} bytes; params are small JSON`);
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
      req.resume();
      return reject(tooLarge());
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) return void chunks.push(chunk);
      req.off('data', onData);
      req.resume();
      reject(tooLarge());
    };
    req.on('data', onData);
    req.once('error', reject);
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}
