/** A gate generation passes through before each token: closed while the engine is paused. */
export class PauseGate {
  private opened: Promise<void> = Promise.resolve();
  private openGate: (() => void) | undefined;

  get isClosed(): boolean {
    return this.openGate !== undefined;
  }

  close(): void {
    if (this.openGate) return;
    this.opened = new Promise<void>((resolve) => {
      this.openGate = resolve;
    });
  }

  open(): void {
    const open = this.openGate;
    this.openGate = undefined;
    open?.();
  }

  /** Resolves when the gate is open (at once if it is), or rejects when `signal` fires first. */
  wait(signal?: AbortSignal): Promise<void> {
    if (!this.openGate) return Promise.resolve();
    if (!signal) return this.opened;
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason);
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      void this.opened.then(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }
}
