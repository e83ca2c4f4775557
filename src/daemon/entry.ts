// Entry of the detached daemon that `warden up` spawns: process hygiene, then the handshake on
// fd 3 ("ready" once the socket listens, or the start-up error), then serve until stopped.
import { writeHandshake } from '../detach/handshake.js';
import { closeInheritedFds, keepPrivate } from '../detach/hygiene.js';
import { resolveHome } from '../home/paths.js';
import { StartupError } from '../home/take-home.js';
import { logLine, runDaemon } from './daemon.js';

/** The handshake pipe the CLI passes as the daemon's fd 3. */
const HANDSHAKE_FD = 3;

async function main(): Promise<void> {
  keepPrivate(HANDSHAKE_FD);
  const closed = closeInheritedFds(HANDSHAKE_FD);
  process.umask(0o022);
  process.chdir('/');
  if (closed.length > 0) logLine(`closed inherited fds: ${closed.join(', ')}`);
  const home = resolveHome(process.argv[2]);
  try {
    process.exitCode = await runDaemon({
      home,
      onListening: () => writeHandshake(HANDSHAKE_FD, { ready: true, pid: process.pid }),
    });
    // Everything is closed, so Node ends by itself once the last answers are flushed; a handle
    // left open by mistake must not keep a stopped daemon alive.
    setTimeout(() => process.exit(), 3000).unref();
  } catch (error) {
    const body =
      error instanceof StartupError
        ? { code: error.code, message: error.message }
        : {
            code: 'INTERNAL',
            message: error instanceof Error ? (error.stack ?? error.message) : String(error),
          };
    logLine(`start-up failed: ${body.message}`);
    writeHandshake(HANDSHAKE_FD, { error: body });
    process.exit(1);
  }
}

void main();
