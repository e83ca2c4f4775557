// The dashboard at `/` (docs/dashboard.md): the instances and the merged log tail, kept live
// by the server's two event streams, and start/stop/restart buttons that send the token given
// once in this tab. No framework, nothing fetched from elsewhere (the page's CSP forbids it).
import { Instances, type Action } from './instances.js';
import { LogTail } from './log-tail.js';
import { connectStream } from './stream.js';
import { Token } from './token.js';
import type { Figures, LogLine, StateChange } from './wire.js';

/** Lines of the past shown when the page opens. */
const TAIL_LINES = 200;

const byId = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

const token = new Token(byId<HTMLDialogElement>('token-dialog'));
const message = byId('message');
const connection = byId('connection');
const say = (text: string, isError = false): void => {
  message.textContent = text;
  message.classList.toggle('error', isError);
};

byId('token-cancel').addEventListener('click', () =>
  byId<HTMLDialogElement>('token-dialog').close('cancel'),
);
byId('token-button').addEventListener(
  'click',
  () => void token.ask("The server's token (the file of http.token_file)."),
);

const instances = new Instances(byId('instances'), (action, name) => void act(action, name));
const tail = new LogTail(byId('log'), byId<HTMLInputElement>('filter'));

const streams = new Map<string, string>();
const showConnection = (name: string, status: string): void => {
  streams.set(name, status);
  const all = [...streams.values()];
  const worst = all.find((s) => s !== 'live') ?? 'live';
  connection.textContent = worst;
  connection.className = `connection connection-${worst.replaceAll(' ', '-')}`;
};

connectStream('/api/v1/events', token, {
  onOpen: () => undefined,
  onEvent: (name, data) => {
    if (name === 'figures') instances.figures(data as Figures);
    else if (name === 'state') instances.state(data as StateChange);
  },
  onStatus: (s) => showConnection('events', s),
});
connectStream(`/api/v1/logs?follow=1&lines=${TAIL_LINES}`, token, {
  onOpen: () => tail.clear(),
  onEvent: (name, data) => {
    if (name === 'line') tail.add(data as LogLine);
    else if (name === 'dropped') say('some log lines were skipped: the page fell behind', true);
  },
  onStatus: (s) => showConnection('logs', s),
});

// POST /api/v1/ACTION with the token; asks for it first, and again once if it is refused.
async function act(action: Action, instance: string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    if (
      !token.isSet &&
      (await token.ask(`To ${action} ${instance}, give the server's token.`)) === null
    )
      return;
    say(`${action} ${instance}…`);
    let res: Response;
    try {
      res = await fetch(`/api/v1/${action}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...token.headers() },
        body: JSON.stringify({ targets: [instance] }),
      });
    } catch {
      return say(`${action} ${instance}: the server does not answer`, true);
    }
    if (res.status === 401) {
      token.forget();
      continue;
    }
    const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
    if (!res.ok)
      return say(`${action} ${instance}: ${body.error?.message ?? res.statusText}`, true);
    return say(`${action} ${instance}: done`);
  }
  say(`${action} ${instance}: the token was refused`, true);
}
