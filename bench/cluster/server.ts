// The server of the cluster bench, one small HTTP server whose 4 instances share one port. Under
// warden it serves the socket warden holds (listenFds(), fd 3) and says when it serves
// (notifyReady); under PM2's cluster mode it listens on PORT itself (Node's cluster module shares
// it through PM2's master) and says `ready` (wait_ready). Either way, on SIGTERM or SIGINT it
// stops accepting, ends the requests under way, and exits.

/** The server's source for PM2's cluster mode (CommonJS: PM2's cluster master `require`s it). */
export const PM2_SERVER = `const { createServer } = require('node:http');
const server = createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ pid: process.pid }) + '\\n');
});
server.listen({ port: Number(process.env.PORT), host: '127.0.0.1' }, () => process.send?.('ready'));
const stop = () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
`;

/** The server's source under warden, importing warden's library from `lib` (a file URL). */
export function serverSource(lib: string): string {
  return `import { createServer } from 'node:http';
import { listenFds, notifyReady } from ${JSON.stringify(lib)};
const [socket] = listenFds();
if (socket === undefined) throw new Error('no socket from warden');
const server = createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ pid: process.pid }) + '\\n');
});
server.listen({ fd: socket.fd }, () => notifyReady());
const stop = () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
`;
}
