import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';

const BIN = join(import.meta.dirname, '..', 'bin', 'aimledger');

/**
 * The master key every server on a benchmark data set is given. A store remembers the key it first
 * ran with and refuses another, and the data sets are reused between runs and tools, so they all use
 * this fixed one. It guards no secret: benchmark data sets hold no access keys.
 */
export const BENCH_MASTER_KEY = createHash('sha256').update('aimledger benchmark data sets').digest('base64');

/**
 * Starts `aimledger serve` on a free port as a child process (with `nodeArgs` before the script,
 * e.g. a CPU profiler) and resolves with its base URL once it says it is serving. The environment
 * is PATH plus `env`; the server's standard error is kept in `log()` and, unless `quiet`, passed on.
 */
export function startServe(serveArgs: string[], env: Record<string, string>, nodeArgs: string[] = [], quiet = false): Promise<{ child: ChildProcess; base: string; log(): string; banner(): string }> {
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
      if (m) resolve({ child, base: m[1] as string, log: () => errors, banner: () => out });
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}${errors}`)));
  });
}

/**
 * An empty database for one benchmark run: a new SQLite file in `dir` (emptied first), or a
 * PostgreSQL database `name` dropped and created again on the server of `pgUrl`. Answers its URL.
 */
export async function freshBenchDatabase(backend: string, dir: string, name: string, pgUrl: string): Promise<string> {
  if (backend === 'sqlite') {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    return `sqlite:${join(dir, `${name}.db`)}`;
  }
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  await client.query(`drop database if exists ${name} with (force)`);
  await client.query(`create database ${name}`);
  await client.end();
  const url = new URL(pgUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A receipt URL on this machine that only counts what is pushed to it. */
export async function countingReceiver(): Promise<{ url: string; count(): number; close(): void }> {
  let received = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received += 1;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/r`, count: () => received, close: () => server.close() };
}

/** CPU seconds (user + system) a process and its server processes (`--workers`) have used so far, from /proc (Linux). */
export function cpuSeconds(pid: number): number {
  const own = (p: number) => {
    const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  };
  const children = readdirSync('/proc').filter((d) => /^[0-9]+$/.test(d)).map(Number).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]?.split(' ')[1] === String(pid);
    } catch {
      return false;
    }
  });
  return own(pid) + children.reduce((sum, p) => sum + own(p), 0);
}

