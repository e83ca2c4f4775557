// The server's bearer token, asked for once in a small form and kept in this tab's
// sessionStorage only (never localStorage or cookies: it goes when the tab closes).

const KEY = 'warden.token';

/** The token of this tab, and the form that asks for it. */
export class Token {
  readonly #dialog: HTMLDialogElement;
  readonly #input: HTMLInputElement;
  readonly #why: HTMLElement;
  #pending: Promise<string | null> | undefined;
  #waiters: (() => void)[] = [];

  constructor(dialog: HTMLDialogElement) {
    this.#dialog = dialog;
    this.#input = dialog.querySelector('input') as HTMLInputElement;
    this.#why = dialog.querySelector('#token-why') as HTMLElement;
  }

  /** `Authorization` for a request: none until a token was given. */
  headers(): Record<string, string> {
    const token = sessionStorage.getItem(KEY);
    return token === null ? {} : { authorization: `Bearer ${token}` };
  }

  /** True once a token was given in this tab. */
  get isSet(): boolean {
    return sessionStorage.getItem(KEY) !== null;
  }

  /** Forgets the token (the server refused it). */
  forget(): void {
    sessionStorage.removeItem(KEY);
  }

  /** Resolves the next time a token is given. */
  whenSet(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /**
   * Shows the form with `why`; resolves with the token given, or null if cancelled. Several
   * callers at once share one form.
   */
  ask(why: string): Promise<string | null> {
    this.#pending ??= new Promise<string | null>((resolve) => {
      this.#why.textContent = why;
      this.#input.value = '';
      const done = (token: string | null): void => {
        this.#dialog.removeEventListener('close', onClose);
        this.#pending = undefined;
        if (token !== null) {
          sessionStorage.setItem(KEY, token);
          for (const w of this.#waiters.splice(0)) w();
        }
        resolve(token);
      };
      const onClose = (): void => {
        const value = this.#input.value.trim();
        done(this.#dialog.returnValue === 'ok' && value !== '' ? value : null);
      };
      this.#dialog.returnValue = '';
      this.#dialog.addEventListener('close', onClose);
      this.#dialog.showModal();
    });
    return this.#pending;
  }
}
