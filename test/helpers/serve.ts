import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'aimledger');

/**
 * Starts `aimledger <args>` with a clean environment (PATH plus `env`) and resolves once its
 * standard output matches `ready`; rejects if it exits first or takes over a minute.
 */
export function startCli(args: string[], env: Record<string, string>, ready: RegExp): Promise<{
  child: ChildProcess; output: string; match: RegExpExecArray; exited: Promise<number | null>;
}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    let out = '';
    let err = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`no ${ready} in time:\n${out}\n${err}`)); }, 60_000);
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d) => {
      out += d;
      const match = ready.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ child, output: out, match, exited });
      }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`exited with ${code}:\n${out}\n${err}`)); });
  });
}

export interface CliResult { code: number | null; stdout: string; stderr: string }

/**
 * Runs the CLI as a user would, with a clean environment apart from PATH, and waits for it to
 * exit; a run still going after `timeoutMs` is killed and reported as such.
 */
export function cli(args: string[], options: { stdin?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`aimledger ${args.join(' ')} still running after ${options.timeoutMs ?? 120_000} ms:\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 120_000);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    child.stdin.end(options.stdin ?? '');
  });
}

/**
 * Runs the CLI on a terminal (a pseudo-terminal made by util-linux `script`) and answers each
 * prompt matching `answers[i][0]` with `answers[i][1]` once it appears, as a person typing would.
 */
export function cliOnTerminal(args: string[], answers: Array<[RegExp, string]>, env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { env: { PATH: process.env.PATH ?? '', TERM: 'dumb', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let next = 0;
    let answeredAt = 0;
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`no exit in time:\n${output}`)); }, 60_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      const answer = answers[next];
      if (answer && answer[0].test(output.slice(answeredAt))) {
        answeredAt = output.length;
        next += 1;
        child.stdin.write(`${answer[1]}\n`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); child.stdin.destroy(); resolve({ code, output }); });
  });
}

/**
 * Starts `serve` on a free port with a quick, partly failing simulator (reports 300 ms after
 * dispatch, a fifth of them failures) and resolves with its base URL once it listens.
 */
export async function serveWithSimulator(database: string, env: Record<string, string>, seed: number): Promise<{ child: ChildProcess; base: string; exited: Promise<number | null> }> {
  const started = await startCli([
    'serve', '--port', '0', '--log-level', 'warn', '--database', database,
    '--simulator-delay-ms', '300', '--simulator-fail-ratio', '0.2', '--simulator-seed', String(seed),
  ], env, /serving on (http:\/\/\S+)/);
  return { child: started.child, base: started.match[1] as string, exited: started.exited };
}
