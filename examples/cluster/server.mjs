// One instance of the cluster example: an HTTP server on the socket warden holds (fd 3, from
// listenFds()), ready once it serves (notifyReady), and a graceful stop on SIGTERM: it stops
// accepting, ends the requests under way, and exits; the socket stays open in warden and in the
// other instances, so no connection is refused meanwhile.
import { createServer } from 'node:http';
import { listenFds, notifyReady } from 'warden';

const [socket] = listenFds();
if (socket === undefined) {
  console.error('no listening socket passed: run me under warden (listen:) or systemd');
  process.exit(2);
}
const server = createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  const instance = process.env.WARDEN_INSTANCE ?? '?';
  res.end(JSON.stringify({ pid: process.pid, instance, path: req.url }) + '\n');
});
server.listen({ fd: socket.fd }, () => {
  console.log(`serving on fd ${socket.fd} (${socket.name})`);
  notifyReady();
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  // Idle keep-alive connections would hold close() open.
  server.closeIdleConnections();
});
