// npm run bench, group "kernel": kernel ready (jupyter_client's start_kernel until the
// first kernel_info reply through the forwards) for the kernelspec jss-gpu, against the
// hand-written sequence over the same shared connection: one ssh that runs ipykernel on
// ipc sockets, one `ssh -O forward` of the five ports (or `ssh -fN -L` x5 when no
// connection is up). Both are started by the same client, each as a kernelspec.
import { writeFileSync, mkdirSync, chownSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const bin = join(root, 'dist/bin.js');

const HAND = String.raw`#!/bin/sh
# The hand-written sequence, as a kernelspec's argv: $1 is the connection file.
f=$1
get() { sed -n "s/.*\"$1\": *\([0-9]*\).*/\1/p" "$f"; }
key=$(sed -n 's/.*"key": *"\([^"]*\)".*/\1/p' "$f")
d=/tmp/jss-h-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
S=$(get shell_port) I=$(get iopub_port) N=$(get stdin_port) C=$(get control_port) H=$(get hb_port)
L="-L 127.0.0.1:$S:$d/k-$S -L 127.0.0.1:$I:$d/k-$I -L 127.0.0.1:$N:$d/k-$N -L 127.0.0.1:$C:$d/k-$C -L 127.0.0.1:$H:$d/k-$H"
# shellcheck disable=SC2086
if ssh -O check gpu 2>/dev/null; then ssh -O forward $L gpu & else ssh -f -N $L gpu; fi
printf '{"transport":"ipc","ip":"%s/k","shell_port":%s,"iopub_port":%s,"stdin_port":%s,"control_port":%s,"hb_port":%s,"key":"%s","signature_scheme":"hmac-sha256"}\n' "$d" "$S" "$I" "$N" "$C" "$H" "$key" |
  ssh gpu "mkdir -m 700 $d && cat > $d/c.json && exec python3 -m ipykernel_launcher -f $d/c.json"
`;

const CLIENT = String.raw`
import sys, time, subprocess, jupyter_client
km = jupyter_client.KernelManager(kernel_name=sys.argv[1])
t = time.time()
km.start_kernel()
kc = km.client(); kc.start_channels(); kc.wait_for_ready(timeout=60)
print('READY_MS', round((time.time() - t) * 1000, 1), flush=True)
kc.stop_channels()
km.shutdown_kernel()
`;

export async function kernelRows({ state, as, quiet, warm, record, RUNS }) {
  const r = as(['node', bin, 'kernel', 'add', 'gpu']);
  if (r.status !== 0) throw new Error(r.stderr);
  const dir = join(state.home, '.local/share/jupyter/kernels/jss-hand');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(state.home, 'hand-kernel.sh'), HAND);
  writeFileSync(join(dir, 'kernel.json'), JSON.stringify({ argv: ['/bin/sh', join(state.home, 'hand-kernel.sh'), '{connection_file}'], display_name: 'hand-written', language: 'python', interrupt_mode: 'message' }));
  writeFileSync(join(state.home, 'kbench.py'), CLIENT);
  for (const f of [join(state.home, 'hand-kernel.sh'), join(state.home, 'kbench.py'), dir, join(dir, 'kernel.json')]) chownSync(f, state.uid, state.gid);
  const ready = (kernel) => {
    const out = as(['/usr/bin/python3', join(state.home, 'kbench.py'), kernel]);
    const t = Number(/READY_MS (\S+)/.exec(out.stdout)?.[1]);
    if (!Number.isFinite(t)) throw new Error(`kernel ${kernel}: ${out.stdout} ${out.stderr}`);
    return t;
  };
  const series = async (kernel, before) => {
    const xs = [];
    for (let i = 0; i < RUNS; i++) {
      await quiet();
      // The hand-written sequence leaves its socket directory behind (ours removes its own).
      spawnSync('sh', ['-c', 'rm -rf /tmp/jss-h-*']);
      if (before) before();
      xs.push(ready(kernel));
    }
    return xs;
  };
  const cold = record('kernel ready', 'hand-written: ssh + ipykernel + five forwards (cold)', await series('jss-hand'));
  record('kernel ready', 'kernelspec jss-gpu (cold)', await series('jss-gpu'), cold);
  const hot = record('kernel ready', "hand-written, after the user's own ssh gpu (warm)", await series('jss-hand', warm));
  record('kernel ready', "kernelspec jss-gpu, after the user's own ssh gpu (warm)", await series('jss-gpu', warm), hot);
  await quiet();
}
