/**
 * The loop shared by the processes that drain a table in PostgreSQL (the intake processor, the
 * audience processor, the journey trigger): run a pass; when it handled nothing, pause `idleMs`
 * unless poked; a failed pass is logged in one short line (never a row's content) and retried after
 * the pause. `stop()` wakes a pausing loop and resolves once the pass under way has finished.
 */
export interface PollingLoopOptions {
  idleMs: number;
  log?: (message: string) => void;
  /** Loops running passes side by side (default 1); each pauses on its own when it found nothing. */
  concurrency?: number;
}

export abstract class PollingLoop {
  #stopped = true;
  #poked = false;
  #loops: Promise<void>[] = [];
  readonly #wakers = new Set<() => void>();
  readonly #name: string;
  readonly #options: PollingLoopOptions;

  /** `name` names the process in log lines ("audience processor: …; will retry"). */
  constructor(name: string, options: PollingLoopOptions) {
    this.#name = name;
    this.#options = options;
  }

  /** One pass: answers how many items it handled (0 → pause). */
  protected abstract pass(): Promise<number>;

  /** Whether the loop pauses after a pass that handled `handled` items (by default: only after none). */
  protected restsAfter(handled: number): boolean {
    return handled === 0;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#loops = Array.from({ length: this.#options.concurrency ?? 1 }, () => this.#run());
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const wake of this.#wakers) wake();
    await Promise.all(this.#loops);
  }

  /** New work was committed (by this process): look now rather than after the pause. */
  poke(): void {
    this.#poked = true;
    for (const wake of this.#wakers) wake();
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      let handled = 0;
      this.#poked = false;
      try {
        handled = await this.pass();
      } catch (error) {
        const first = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 200);
        this.#options.log?.(`${this.#name}: ${first}; will retry`);
      }
      if (this.restsAfter(handled) && !this.#stopped && !this.#poked)
        await new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(timer);
            this.#wakers.delete(wake);
            resolve();
          };
          const timer = setTimeout(wake, this.#options.idleMs);
          this.#wakers.add(wake);
        });
    }
  }
}

/** The loop options of a process whose own options carry `idleMs` and `log`. */
export function loopOptions(options: { idleMs?: number; log?: (message: string) => void }, idleMs: number) {
  return { idleMs: options.idleMs ?? idleMs, ...(options.log ? { log: options.log } : {}) };
}
