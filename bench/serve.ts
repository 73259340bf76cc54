import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '..', 'bin', 'aimledger');

/**
 * Starts `aimledger serve` on a free port as a child process (with `nodeArgs` before the script,
 * e.g. a CPU profiler) and resolves with its base URL once it says it is serving. The environment
 * is PATH plus `env`; the server's standard error is kept in `log()` and, unless `quiet`, passed on.
 */
export function startServe(serveArgs: string[], env: Record<string, string>, nodeArgs: string[] = [], quiet = false): Promise<{ child: ChildProcess; base: string; log(): string }> {
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'serve', '--port', '0', '--log-level', 'warn', ...serveArgs], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '', ...env },
  });
  let errors = '';
  child.stderr?.on('data', (d: Buffer) => {
    errors += d.toString();
    if (!quiet) process.stderr.write(d);
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /serving on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, base: m[1] as string, log: () => errors });
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}${errors}`)));
  });
}
