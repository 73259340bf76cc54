/**
 * Group commit: callers submit items one by one and each waits for its own result, while the items
 * are applied in batches, one batch at a time. Items that arrive while a batch is being applied
 * form the next one, so under load a batch holds everything that arrived during the previous
 * commit, and alone an item is applied at once (no timer, no added latency). When `apply` throws,
 * every item of that batch gets the error; later batches go on.
 */
export class GroupCommit<T, R> {
  private queue: Array<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  private running = false;

  constructor(private readonly apply: (items: T[]) => Promise<R[]>, private readonly maxBatch = 256) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.running) void this.run();
    });
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        // Let the requests already received reach the queue first: with a synchronous driver
        // (SQLite) a batch would otherwise commit before the next request is even read.
        await new Promise((resolve) => setImmediate(resolve));
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const results = await this.apply(batch.map((b) => b.item));
          batch.forEach((b, i) => b.resolve(results[i] as R));
        } catch (error) {
          for (const b of batch) b.reject(error);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
