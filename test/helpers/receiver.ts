import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after } from 'node:test';

/** Receivers listening; each test file closes the ones a failed test left open when it ends. */
const listening = new Set<Receiver>();
after(async () => {
  for (const receiver of [...listening]) await receiver.down();
});

export interface Received {
  path: string;
  envelope: { request_id: string; domain_id: string; callback_type: string; body: string; retry: boolean };
}

/**
 * A customer's receipt endpoint, in the test process: `up` answers 200, `error` 500, `slow`
 * answers only after `slowMs`, and `down` closes the listening socket (connections refused).
 */
export class Receiver {
  readonly received: Received[] = [];
  mode: 'up' | 'error' | 'slow' = 'up';
  slowMs = 2000;
  private server: Server | undefined;
  private port = 0;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        this.received.push({ path: req.url ?? '', envelope: JSON.parse(body) as Received['envelope'] });
        const answer = () => { res.statusCode = this.mode === 'error' ? 500 : 200; res.end('ok'); };
        if (this.mode === 'slow') setTimeout(answer, this.slowMs);
        else answer();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    listening.add(this);
    return `http://127.0.0.1:${this.port}`;
  }

  /** Stops listening (later pushes are refused) until start() again, on the same port. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    listening.delete(this);
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Every receipt object pushed to `path`, with the envelope's retry flag. */
  receipts(path: string): Array<{ receipt: Record<string, unknown>; retry: boolean; batch: boolean }> {
    return this.received.filter((r) => r.path === path).flatMap((r) => {
      const body = JSON.parse(r.envelope.body) as Record<string, unknown> | Array<Record<string, unknown>>;
      return (Array.isArray(body) ? body : [body]).map((receipt) => ({ receipt, retry: r.envelope.retry, batch: Array.isArray(body) }));
    });
  }
}
