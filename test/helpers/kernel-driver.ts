/** A step-by-step Python kernel client for the kernel e2e tests (test/e2e/kernel*.test.ts). */
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import type { BedState } from './bed.js';

/**
 * A Python client driven step by step: it prints one JSON line per step and
 * waits for a line on stdin before the next, so the test can look at gpu in between.
 */
export const DRIVER = String.raw`
import json, os, signal, sys, time, jupyter_client
def say(**kw):
    print(json.dumps(kw), flush=True)
    sys.stdin.readline()
def run(kc, code, timeout=30):
    out = []
    kc.execute_interactive(code, timeout=timeout, output_hook=lambda m: out.append(m['content'].get('text', '')) if m['msg_type'] == 'stream' else None)
    return ''.join(out)
def ports(km):
    return [km.shell_port, km.iopub_port, km.stdin_port, km.control_port, km.hb_port]
def start(km):
    t = time.time()
    km.start_kernel()
    kc = km.client(); kc.start_channels(); kc.wait_for_ready(timeout=60)
    return kc, round(time.time() - t, 2)
def interrupt(km, kc):
    kc.execute("import time; time.sleep(60)")
    time.sleep(1)
    t = time.time(); km.interrupt_kernel()
    while True:
        m = kc.get_iopub_msg(timeout=10)
        if m['msg_type'] == 'error':
            return m['content']['ename'], round(time.time() - t, 2)
kernel_name, mode = sys.argv[1], sys.argv[2]
km = jupyter_client.KernelManager(kernel_name=kernel_name)
kc, ready = start(km)
pid = lambda: km.provisioner.process.pid
if mode == 'lifecycle':
    say(step='ready', seconds=ready, launcher=pid(), ports=ports(km), out=run(kc, "import socket, os; print(socket.gethostname(), os.getpid())"))
    ename, seconds = interrupt(km, kc)
    say(step='interrupted', ename=ename, seconds=seconds)
    old = ports(km)
    t = time.time(); km.restart_kernel(now=False); kc.wait_for_ready(timeout=60)
    say(step='restarted-same-ports', seconds=round(time.time() - t, 2), same=ports(km) == old, launcher=pid(), out=run(kc, "import os, socket, time\nif os.fork() == 0:\n    print('forked child', flush=True); os._exit(0)\ntime.sleep(1); print(socket.gethostname())"))
    old = ports(km)
    # As VS Code restarts: the old launcher goes, a new one gets a new connection file with new ports.
    t = time.time(); km.shutdown_kernel(now=False, restart=True)
    for name in ('shell_port', 'iopub_port', 'stdin_port', 'control_port', 'hb_port'):
        setattr(km, name, 0)
    km.cleanup_connection_file(); km.start_kernel(); kc.stop_channels(); kc = km.client(); kc.start_channels(); kc.wait_for_ready(timeout=60)
    say(step='restarted-new-ports', seconds=round(time.time() - t, 2), old=old, ports=ports(km), launcher=pid(), out=run(kc, "print(6 * 7)"))
    t = time.time(); km.shutdown_kernel(now=False)
    say(step='shut-down', seconds=round(time.time() - t, 2), ports=ports(km))
elif mode == 'job':
    say(step='ready', seconds=ready, ports=ports(km), out=run(kc, "import os, socket; print(socket.gethostname(), os.environ.get('SLURM_JOB_ID'), os.getpid())"))
    ename, seconds = interrupt(km, kc)
    say(step='interrupted', ename=ename, seconds=seconds)
    km.shutdown_kernel(now=False)
    say(step='shut-down', ports=ports(km))
elif mode == 'orphan':
    say(step='ready', seconds=ready, launcher=pid(), ports=ports(km), client=os.getpid())
    time.sleep(600)
elif mode == 'kill':
    say(step='ready', seconds=ready, launcher=pid(), ports=ports(km))
    os.kill(pid(), int(sys.argv[3]))
    km.provisioner.process.wait()
    say(step='killed', ports=ports(km))
    km.cleanup_resources(restart=True)
    kc.stop_channels()
    kc, ready = start(km)
    say(step='started-again', seconds=ready, ports=ports(km), out=run(kc, "import socket; print(socket.gethostname())"))
    km.shutdown_kernel(now=False)
    say(step='shut-down', ports=ports(km))
`;

export class Driver {
  private lines: string[] = [];
  private waiting: ((line: string) => void) | undefined;
  readonly child: ResultPromise;
  constructor(bed: BedState, args: string[]) {
    const env = ['HOME=' + bed.home, 'USER=' + bed.user, 'LOGNAME=' + bed.user, 'PATH=/usr/bin:/bin', 'LANG=C.UTF-8'];
    this.child = execa('runuser', ['-u', bed.user, '--', 'env', '-i', ...env, '/usr/bin/python3', join(bed.home, 'kdriver.py'), ...args], { reject: false, cwd: bed.home, timeout: 240_000, buffer: false, stdin: 'pipe' });
    let buf = '';
    this.child.stdout!.on('data', (d: Buffer) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (this.waiting) {
          this.waiting(line);
          this.waiting = undefined;
        } else this.lines.push(line);
      }
    });
  }
  /** The next step's JSON; fails when the client exits first (its stderr says why). */
  async next<T = Record<string, unknown>>(): Promise<T> {
    const line = this.lines.shift() ?? (await Promise.race([new Promise<string>((r) => (this.waiting = r)), this.child.then((r) => `exit ${r.exitCode}`)]));
    if (!line.startsWith('{')) throw new Error(`the client ended: ${line}`);
    return JSON.parse(line) as T;
  }
  go(): void {
    this.child.stdin!.write('\n');
  }
  async end(): Promise<void> {
    this.child.stdin!.end();
    await this.child;
  }
}

