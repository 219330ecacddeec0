/**
 * The loop shared by the processes that drain a table in PostgreSQL (the intake processor, the
 * audience processor, the journey trigger): run a pass; when it handled nothing, pause `idleMs`
 * unless poked; a failed pass is logged in one short line (never a row's content) and retried after
 * the pause. `stop()` wakes a pausing loop and resolves once the pass under way has finished.
 */
export interface PollingLoopOptions {
  idleMs: number;
  log?: (message: string) => void;
}

export abstract class PollingLoop {
  #stopped = true;
  #poked = false;
  #loop?: Promise<void>;
  #wake?: () => void;
  readonly #name: string;
  readonly #options: PollingLoopOptions;

  /** `name` names the process in log lines ("audience processor: …; will retry"). */
  constructor(name: string, options: PollingLoopOptions) {
    this.#name = name;
    this.#options = options;
  }

  /** One pass: answers how many items it handled (0 → pause). */
  protected abstract pass(): Promise<number>;

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
  }

  /** New work was committed (by this process): look now rather than after the pause. */
  poke(): void {
    this.#poked = true;
    this.#wake?.();
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
      if (handled === 0 && !this.#stopped && !this.#poked)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.#options.idleMs);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
    }
  }
}

/** The loop options of a process whose own options carry `idleMs` and `log`. */
export function loopOptions(options: { idleMs?: number; log?: (message: string) => void }, idleMs: number) {
  return { idleMs: options.idleMs ?? idleMs, ...(options.log ? { log: options.log } : {}) };
}
