// `warden events [SERVICE...]`: state changes as NDJSON, one per line, until Ctrl-C.
import { connect, type GlobalOptions } from '../context.js';
import { EXIT, print } from '../output.js';

/** Streams `{time, instance, service, from, to, reason, pid}` lines for the services named (or all). */
export async function events(services: string[], options: GlobalOptions): Promise<number> {
  let ended: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (ended = resolve));
  // The answer timeout covers `subscribe`; the stream itself may stay quiet for ever.
  const client = await connect(options, { onEvent: (event) => print(JSON.stringify(event)) });
  try {
    // Refused (an unknown service): the error is printed by the caller, and the open connection
    // must not keep the process waiting.
    await client.call('subscribe', { targets: services });
    process.once('SIGINT', () => ended(EXIT.ok));
    process.once('SIGTERM', () => ended(EXIT.ok));
    // The daemon went away (`down`): the stream is over.
    client.onClose(() => ended(EXIT.ok));
    return await done;
  } finally {
    client.close();
  }
}
