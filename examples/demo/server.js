// A tiny HTTP server for the demo: answers every request with its pid and uptime.
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 3000);
const started = Date.now();
createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(
    JSON.stringify({ pid: process.pid, uptimeMs: Date.now() - started, path: req.url }) + '\n',
  );
}).listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${port}`));
process.on('SIGTERM', () => {
  console.log('SIGTERM: closing');
  process.exit(0);
});
