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

export class PollingLoop {
  private stopped = true;
  private poked = false;
  private loop?: Promise<void>;
  private wake?: () => void;

  constructor(
    /** Names the process in log lines ("audience processor: … ; will retry"). */
    private readonly name: string,
    /** One pass: answers how many items it handled (0 → pause). */
    private readonly pass: () => Promise<number>,
    private readonly options: PollingLoopOptions,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  /** New work was committed (by this process): look now rather than after the pause. */
  poke(): void {
    this.poked = true;
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let handled = 0;
      this.poked = false;
      try {
        handled = await this.pass();
      } catch (error) {
        const first = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 200);
        this.options.log?.(`${this.name}: ${first}; will retry`);
      }
      if (handled === 0 && !this.stopped && !this.poked)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.options.idleMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
    }
  }
}
