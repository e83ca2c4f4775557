// The dashboard at `/` (docs/dashboard.md): an HTML page, its script (bundled from
// src/http/dashboard/ by scripts/bundle.ts) and its style, read from the package at each request
// (nothing held in memory, nothing fetched from elsewhere). They hold no data, so a browser can
// load them without the token; the data comes from the event streams, which need it.
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import type { Router } from './router.js';

/** Where the built page lives: dist/src/http/dashboard/ beside this module. */
const DIR = new URL('./dashboard/', import.meta.url);

/**
 * Scripts only from this origin and no inline ones, styles from this origin, requests to this
 * origin only, no framing (so a button cannot be clicked through another site's page).
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const FILES: [path: string, file: string, type: string][] = [
  ['/', 'index.html', 'text/html; charset=utf-8'],
  ['/dashboard.js', 'dashboard.js', 'text/javascript; charset=utf-8'],
  ['/dashboard.css', 'dashboard.css', 'text/css; charset=utf-8'],
];

/** Adds the page's routes to `router`, readable without the token. */
export function addDashboard(router: Router): void {
  for (const [path, file, type] of FILES)
    router.add(
      'GET',
      path,
      async (_req, res) => send(res, await readFile(new URL(file, DIR)), type),
      'public',
    );
}

function send(res: ServerResponse, body: Buffer, type: string): void {
  res.writeHead(200, {
    'Content-Type': type,
    'Content-Security-Policy': CSP,
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
  });
  res.end(body);
}
