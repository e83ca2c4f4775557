// The instance cards: state (colour and word), pid, uptime, restarts, CPU and memory with a
// minute of history, and for an instance not running its last exit and telling stderr lines.
import { bytes, cpu, duration, lastExit } from './format.js';
import { Sparkline } from './sparkline.js';
import type { Figures, InstanceFigures, StateChange } from './wire.js';

/** What a button asks of an instance. */
export type Action = 'start' | 'stop' | 'restart';

const LIVE = new Set(['starting', 'running']);

/** One card and its parts that change. */
interface Card {
  root: HTMLElement;
  state: HTMLElement;
  pid: HTMLElement;
  uptime: HTMLElement;
  restarts: HTMLElement;
  cpu: HTMLElement;
  memory: HTMLElement;
  cpuSpark: Sparkline;
  memorySpark: Sparkline;
  exit: HTMLElement;
  stderr: HTMLElement;
}

/** The cards of every instance, in the server's order. */
export class Instances {
  readonly #container: HTMLElement;
  readonly #act: (action: Action, instance: string) => void;
  readonly #cards = new Map<string, Card>();

  constructor(container: HTMLElement, act: (action: Action, instance: string) => void) {
    this.#container = container;
    this.#act = act;
  }

  /** Shows the figures of a second: every instance, in order; cards of gone ones are removed. */
  figures(f: Figures): void {
    const seen = new Set<string>();
    f.instances.forEach((i, index) => {
      seen.add(i.instance);
      const card = this.#cards.get(i.instance) ?? this.#add(i.instance);
      if (this.#container.children[index] !== card.root)
        this.#container.insertBefore(card.root, this.#container.children[index] ?? null);
      show(card, i, f.time);
    });
    for (const [name, card] of this.#cards)
      if (!seen.has(name)) {
        card.root.remove();
        this.#cards.delete(name);
      }
  }

  /** Shows a state change at once (the next figures fill in the rest). */
  state(e: StateChange): void {
    const card = this.#cards.get(e.instance);
    if (card === undefined) return;
    setState(card, e.to);
    card.pid.textContent = e.pid === null ? '–' : String(e.pid);
  }

  #add(name: string): Card {
    const root = element('article', 'card');
    root.dataset.instance = name;
    const head = element('header', 'card-head');
    const title = element('h3', 'name', name);
    const state = element('span', 'state');
    head.append(title, state);
    const facts = element('dl', 'facts');
    const fact = (label: string, cls: string): HTMLElement => {
      const dd = element('dd', cls, '–');
      const wrap = element('div', 'fact');
      wrap.append(element('dt', '', label), dd);
      facts.append(wrap);
      return dd;
    };
    const pid = fact('pid', 'pid');
    const uptime = fact('uptime', 'uptime');
    const restarts = fact('restarts', 'restarts');
    const cpuSpark = new Sparkline(`CPU of ${name}, last minute`);
    const memorySpark = new Sparkline(`memory of ${name}, last minute`);
    const figure = (label: string, cls: string, spark: Sparkline): HTMLElement => {
      const value = element('span', `value ${cls}`, '–');
      const row = element('div', `figure figure-${cls}`);
      row.append(element('span', 'label', label), value, spark.element);
      figures.append(row);
      return value;
    };
    const figures = element('div', 'figures');
    const cpuValue = figure('CPU', 'cpu', cpuSpark);
    const memory = figure('memory', 'memory', memorySpark);
    const exit = element('p', 'exit');
    const stderr = element('ul', 'stderr');
    const actions = element('div', 'actions');
    for (const action of ['start', 'stop', 'restart'] as const) {
      const button = element('button', `action ${action}`, action) as HTMLButtonElement;
      button.type = 'button';
      button.addEventListener('click', () => this.#act(action, name));
      actions.append(button);
    }
    root.append(head, facts, figures, exit, stderr, actions);
    const card: Card = {
      root,
      state,
      pid,
      uptime,
      restarts,
      cpu: cpuValue,
      memory,
      cpuSpark,
      memorySpark,
      exit,
      stderr,
    };
    this.#cards.set(name, card);
    return card;
  }
}

function show(card: Card, i: InstanceFigures, now: number): void {
  setState(card, i.state);
  card.pid.textContent = i.pid === null ? '–' : String(i.pid);
  const isLive = LIVE.has(i.state);
  card.uptime.textContent =
    isLive && i.startedAt !== null
      ? duration(now - i.startedAt)
      : `${i.state} ${duration(now - i.since)}`;
  card.restarts.textContent = String(i.restarts);
  card.cpu.textContent = i.tree === null ? '–' : cpu(i.tree.cpuPercent);
  card.memory.textContent = i.tree === null ? '–' : bytes(i.tree.memoryBytes);
  card.cpuSpark.push(i.tree?.cpuPercent ?? null);
  card.memorySpark.push(i.tree?.memoryBytes ?? null);
  const why = [i.lastExit === null ? '' : `last exit: ${lastExit(i.lastExit)}`, i.reason ?? '']
    .filter((s) => s !== '')
    .join(' · ');
  const next =
    i.nextRestartAt === null ? '' : ` · next start in ${duration(i.nextRestartAt - now)}`;
  card.exit.textContent = isLive ? '' : why + next;
  card.stderr.replaceChildren(...(isLive ? [] : i.stderr).map((line) => element('li', '', line)));
}

function setState(card: Card, state: string): void {
  card.state.textContent = state;
  card.root.className = `card state-${state}`;
}

function element(tag: string, cls: string, text?: string): HTMLElement {
  const e = document.createElement(tag);
  if (cls !== '') e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
