// A small HTTP daemon on warden's library (docs/library.md). Run by hand, `node hello-daemon.mjs`
// returns once the server listens, leaving it in the background; under warden (warden.yaml
// here), systemd or s6 it stays in the foreground and tells its supervisor it is ready.
import { createServer } from 'node:http';
import { daemonize, notifyStatus, notifyStopping } from 'warden';

const port = Number(process.env.PORT ?? 8080);
const state = process.env.STATE_DIR ?? '/tmp';

// First thing: everything before this line runs twice (in the caller and in the daemon).
const daemon = await daemonize({
  pidFile: `${state}/hello-daemon.pid`, // one instance at a time
  stdout: `${state}/hello-daemon.log`, // instead of /dev/null
  stderr: `${state}/hello-daemon.log`,
}).catch((error) => {
  // Nothing was started: another instance runs (ALREADY_RUNNING), no fd left (EMFILE)...
  console.error(`hello-daemon: ${error.message}`);
  process.exit(1);
});

let hits = 0;
const server = createServer((_req, res) => {
  hits += 1;
  res.end(`hello #${hits}\n`);
});

// A port in use (EADDRINUSE) or not allowed (EACCES): the caller prints this and exits 1.
server.once('error', (error) => daemon.fail(error));
server.listen(port, '127.0.0.1', () => {
  console.log(`${new Date().toISOString()} pid ${process.pid} listening on 127.0.0.1:${port}`);
  daemon.ready(`listening on 127.0.0.1:${port}`);
});

// SIGHUP is left to the program: the usual meaning is "re-read your configuration".
process.on('SIGHUP', () => {
  console.log(`${new Date().toISOString()} SIGHUP: reloading`);
  notifyStatus(`reloaded; ${hits} requests so far`);
});

process.on('SIGTERM', () => {
  notifyStopping();
  server.close(() => process.exit(0));
});
