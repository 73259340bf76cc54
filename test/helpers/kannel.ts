import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpGet, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './net.js';
import { until } from './poll.js';

export const BEARERBOX = '/usr/sbin/bearerbox';
export const SMSBOX = '/usr/sbin/smsbox';


function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = httpGet(url, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', (e) => resolve({ status: 0, body: e.message }));
    req.end();
  });
}

/** Percent-decodes to bytes (Kannel's %b is the binary message, UCS-2 with coding=2). */
function percentBytes(value: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    if (c === '%' && /^[0-9a-fA-F]{2}$/.test(value.slice(i + 1, i + 3))) {
      bytes.push(parseInt(value.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(c === '+' ? 0x20 : c.charCodeAt(0));
  }
  return Buffer.from(bytes);
}

export interface OperatorMessage {
  from: string;
  to: string;
  text: string;
}

/**
 * The one simulated part: a carrier (SMSC) behind Kannel's HTTP SMSC driver. It answers
 * `OK id=<n>` and reports delivery back to Kannel by the destination's last digits: ..02 failed
 * (DLR 2), ..04 buffered then delivered (4, then 1), ..16 rejected at submit (Kannel's 16), other
 * numbers delivered (1).
 */
class FakeOperator {
  readonly messages: OperatorMessage[] = [];
  private server: Server | undefined;
  private seq = 0;

  async start(port: number, kannelSmscPort: number): Promise<void> {
    this.server = createServer((req, res) => {
      const raw = (req.url ?? '').split('?')[1] ?? '';
      const params = new Map(raw.split('&').map((p) => { const i = p.indexOf('='); return [p.slice(0, i), p.slice(i + 1)] as const; }));
      const to = decodeURIComponent(params.get('to') ?? '');
      const coding = params.get('coding');
      const bytes = percentBytes(params.get('text') ?? '');
      // UCS-2 (coding 2) is big-endian UTF-16.
      const text = coding === '2' ? Buffer.from(bytes).swap16().toString('utf16le') : bytes.toString('latin1');
      this.messages.push({ from: decodeURIComponent(params.get('from') ?? ''), to, text });
      if (/16$/.test(to)) { res.end('ERR 21 invalid destination'); return; }
      const id = `op${++this.seq}`;
      res.end(`OK id=${id}`);
      const base = `http://127.0.0.1:${kannelSmscPort}/dlr?username=opuser&password=oppass&dlr-mid=${id}&to=${encodeURIComponent(to)}`;
      const receipt = (stat: string, err: string) => encodeURIComponent(`id:${id} sub:001 dlvrd:${stat === 'DELIVRD' ? '001' : '000'} stat:${stat} err:${err}`);
      void (async () => {
        await sleep(100);
        if (/04$/.test(to)) { await get(`${base}&dlr-mask=4&text=${receipt('ENROUTE', '000')}`); await sleep(100); }
        if (/02$/.test(to)) await get(`${base}&dlr-mask=2&dlr-err=001&text=${receipt('UNDELIV', '001')}`);
        else await get(`${base}&dlr-mask=1&text=${receipt('DELIVRD', '000')}`);
      })();
    });
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

export interface RunningKannel {
  sendsmsUrl: string;
  username: string;
  password: string;
  operator: FakeOperator;
  stop(): Promise<void>;
}

/** Starts a loopback-only Kannel (bearerbox and smsbox from Debian's package) with an HTTP SMSC to the fake operator. */
export async function startKannel(): Promise<RunningKannel> {
  const dir = mkdtempSync(join(tmpdir(), 'aimledger-kannel-'));
  const [admin, box, sendsms, smsc, op] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  writeFileSync(join(dir, 'kannel.conf'), `
group = core
admin-port = ${admin}
admin-interface = 127.0.0.1
admin-password = adminpw
status-password = statuspw
admin-allow-ip = "127.0.0.1"
smsbox-port = ${box}
smsbox-interface = 127.0.0.1
box-allow-ip = "127.0.0.1"
log-file = "${dir}/bearerbox.log"
log-level = 1
access-log = "${dir}/access.log"
dlr-storage = internal

group = smsc
smsc = http
smsc-id = op1
system-type = generic
port = ${smsc}
connect-allow-ip = "127.0.0.1"
smsc-username = opuser
smsc-password = oppass
send-url = "http://127.0.0.1:${op}/send?from=%P&to=%p&text=%b&coding=%c"
status-success-regex = "^OK"
status-permfail-regex = "^ERR"
status-tempfail-regex = "^RETRY"
generic-foreign-id-regex = "id=([a-z0-9]+)"

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = ${box}
sendsms-port = ${sendsms}
sendsms-interface = 127.0.0.1
log-file = "${dir}/smsbox.log"
log-level = 1
access-log = "${dir}/smsbox-access.log"
http-request-retry = 3
http-queue-delay = 1

group = sendsms-user
username = aimledger
password = kannel-secret
max-messages = 3
concatenation = true

group = sms-service
keyword = default
text = "No service"
catch-all = true
max-messages = 0
`);
  const operator = new FakeOperator();
  await operator.start(op, smsc);
  const children: ChildProcess[] = [];
  const run = (bin: string) => {
    const child = spawn(bin, ['-v', '1', join(dir, 'kannel.conf')], { stdio: 'ignore' });
    children.push(child);
  };
  run(BEARERBOX);
  await waitFor(async () => (await get(`http://127.0.0.1:${admin}/status.txt?password=statuspw`)).status === 200);
  run(SMSBOX);
  await waitFor(async () => {
    const status = await get(`http://127.0.0.1:${admin}/status.txt?password=statuspw`);
    return /op1.*online/.test(status.body) && /smsbox:/.test(status.body) && (await get(`http://127.0.0.1:${sendsms}/`)).status !== 0;
  });
  return {
    sendsmsUrl: `http://127.0.0.1:${sendsms}/cgi-bin/sendsms`,
    username: 'aimledger',
    password: 'kannel-secret',
    operator,
    async stop() {
      await get(`http://127.0.0.1:${admin}/shutdown?password=adminpw`);
      for (let i = 0; i < 50 && children.some((c) => c.exitCode === null); i++) await sleep(100);
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
      await operator.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  await until(check, { timeoutMs, what: 'Kannel did not come up' });
}
