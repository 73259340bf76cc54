import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A connection with no request for this long during a drain is closed (its client has gone quiet). */
const QUIET_MS = 1000;

/**
 * Follows the server's connections so a shutdown can drain them: while draining, every answer
 * says `Connection: close` (the app's hook), so busy connections end after their current answer;
 * connections that stay quiet (no request in flight, none for a second) are closed here. Closing
 * only quiet ones means a client between two requests is not cut off mid-exchange.
 */
export class ConnectionTracker {
  private readonly sockets = new Map<Socket, { active: number; quietSince: number }>();

  constructor(private readonly server: Server) {
    server.on('connection', (socket: Socket) => {
      this.sockets.set(socket, { active: 0, quietSince: Date.now() });
      socket.once('close', () => this.sockets.delete(socket));
    });
    server.on('request', (request, response) => {
      const state = this.sockets.get(request.socket);
      if (!state) return;
      state.active += 1;
      response.once('close', () => {
        state.active -= 1;
        state.quietSince = Date.now();
      });
    });
  }

  /** Resolves once no connection is open, closing quiet ones as it goes, or after `ms` at most. */
  async drain(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.sockets.size > 0 && Date.now() < deadline) {
      const now = Date.now();
      for (const [socket, state] of this.sockets) {
        if (state.active === 0 && now - state.quietSince >= QUIET_MS) socket.end();
      }
      await sleep(50);
    }
  }
}
