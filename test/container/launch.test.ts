/**
 * The container parts of the launch script (issue 6), run for real against
 * fake engines: `docker`/`podman` and `apptainer`/`singularity` stand-ins that
 * record their argv and environment and answer like the real ones. PATH holds
 * only them and the standard tools the script uses, so engine detection is
 * exercised exactly (no /usr/bin/docker of podman-docker to fall back on).
 * The real engine is run by test/e2e/container.test.ts on the test bed.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, existsSync, symlinkSync, rmSync, chmodSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { renderLaunchScript } from '../../src/core/plan.js';
import { validateProfile, type ProfileInput } from '../../src/core/profile.js';

const TOOLS = ['sh', 'mkdir', 'chmod', 'rm', 'mv', 'sed', 'od', 'tr', 'cut', 'date', 'hostname', 'id', 'tail', 'head', 'grep', 'cat', 'sleep', 'ps', 'setsid', 'nohup', 'python3', 'env', 'basename', 'ls', 'awk'];

/** A docker/podman stand-in; state in $FAKE_STATE, behaviour from files there. */
const FAKE_ENGINE = String.raw`#!/bin/sh
s=$FAKE_STATE
printf '%s' "$(basename "$0")" >>"$s/calls"
for a in "$@"; do printf ' %s' "$a" >>"$s/calls"; done
echo >>"$s/calls"
kind=$(cat "$s/kind-$(basename "$0")" 2>/dev/null || echo docker)
case "$1" in
  version)
    if [ -e "$s/down-$(basename "$0")" ]; then
      cat "$s/down-$(basename "$0")"; exit 1
    fi
    if [ "$kind" = podman ]; then printf 'Client:       Podman Engine\nVersion:      4.3.1\nAPI Version:  4.3.1\n'
    else printf 'Client: Docker Engine - Community\n Version:           24.0.7\n API version:       1.43\n\nServer: Docker Engine - Community\n Engine:\n  Version:          24.0.7\n'; fi ;;
  image)
    [ -e "$s/no-image" ] && { echo "Error: No such image: $5" >&2; exit 1; }
    cat "$s/image-user" 2>/dev/null; echo ;;
  container)
    [ -e "$s/ctr" ] || { echo "Error: No such container: $5" >&2; exit 1; }
    case "$4" in
      *Running*) cat "$s/ctr/running" ;;
      *Labels*) cat "$s/ctr/owner" ;;
      *Pid*) cat "$s/ctr/pid" 2>/dev/null || echo 4242 ;;
    esac ;;
  run)
    case " $* " in
      *" --rm "*) echo 1.23.3; exit 0 ;;
    esac
    [ -e "$s/run-fails" ] && { cat "$s/run-fails" >&2; exit 125; }
    shift
    : >"$s/run-args"
    for a in "$@"; do printf '%s\n' "$a" >>"$s/run-args"; done
    # Like a client behind sudo or a wrapper: our environment does not reach the engine;
    # the token arrives only through --env-file, read now (the file may go right after).
    printf '%s' "\${JUPYTER_TOKEN-unset}" >"$s/run-env-token"
    : >"$s/run-token"
    prev=""
    for a in "$@"; do
      if [ "$prev" = --env-file ]; then
        sed -n 's/^JUPYTER_TOKEN=//p' "$a" | tr -d '\n' >"$s/run-token"
        python3 -c 'import os, sys; print(oct(os.stat(sys.argv[1]).st_mode & 0o777))' "$a" >"$s/run-env-file-mode"
      fi
      prev=$a
    done
    mkdir -p "$s/ctr"
    echo true >"$s/ctr/running"
    owner=""
    prev=""
    for a in "$@"; do
      [ "$prev" = --label ] && case "$a" in io.jupyter-ssh-setup.user=*) owner=\${a#*=} ;; esac
      prev=$a
    done
    echo "$owner" >"$s/ctr/owner"
    if [ -e "$s/no-sock" ] && case " $* " in *" --sock="*) true ;; *) false ;; esac; then
      echo false >"$s/ctr/running"; echo "[C ServerApp] Unrecognized flag: '--sock'" >"$s/ctr/log"; echo 0123456789abcdef; exit 0
    fi
    # --sock=PATH: a stand-in Jupyter on that socket (0600), its PID the container's.
    for a in "$@"; do
      case "$a" in --sock=*)
        nohup python3 -c '
import http.server, os, socketserver, sys
class S(socketserver.UnixStreamServer):
    def get_request(self):
        conn, _ = self.socket.accept()
        return conn, ("local", 0)
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.headers.get("Authorization") == "token " + sys.argv[2] else 403); self.end_headers()
    def do_POST(self):
        self.send_response(200); self.end_headers()
        open(sys.argv[3], "w").write("shutdown")
        os._exit(0)
    def log_message(self, *a):
        pass
srv = S(sys.argv[1], H)
os.chmod(sys.argv[1], 0o600)
if os.path.exists(sys.argv[4]):
    os.chown(sys.argv[1], 65534, 65534)
srv.serve_forever()
' "\${a#--sock=}" "$(cat "$s/run-token")" "$s/shutdown" "$s/userns-remap" </dev/null >/dev/null 2>&1 &
        echo $! >"$s/ctr/pid" ;;
      esac
    done
    echo 0123456789abcdef ;;
  exec)
    if [ -e "$s/dies" ]; then echo false >"$s/ctr/running"; exit 137; fi
    exit 0 ;;
  port) echo 127.0.0.1:40123 ;;
  logs) if [ -e "$s/ctr/log" ]; then cat "$s/ctr/log"; else echo "[I ServerApp] Jupyter Server 1.23.3 is running at:"; echo "[C ServerApp] fake last line"; fi ;;
  stop) [ -e "$s/ctr/pid" ] && kill "$(cat "$s/ctr/pid")" 2>/dev/null; [ -e "$s/ctr" ] && echo false >"$s/ctr/running"; echo "$2" ;;
  info) if [ "$kind" = podman ]; then if [ -e "$s/rootless" ]; then echo true; else echo false; fi; else echo '[name=seccomp,profile=default]'; fi ;;
  rm) rm -rf "$s/ctr"; echo "$3" ;;
  pull) echo "must never pull" >&2; exit 99 ;;
  *) echo "fake: $*" >&2; exit 2 ;;
esac
`.replaceAll('\\${', '${');

/**
 * An apptainer/singularity stand-in: 'exec [opts] IMAGE jupyter APP ... --port=P'
 * runs a tiny HTTP server on 127.0.0.1:P (named jupyter in ps) that exits on
 * POST /api/shutdown; 'exec IMAGE jupyter-APP --version' prints a version.
 */
const FAKE_APPTAINER = String.raw`#!/bin/sh
s=$FAKE_STATE
printf '%s' "$(basename "$0")" >>"$s/calls"
for a in "$@"; do printf ' %s' "$a" >>"$s/calls"; done
echo >>"$s/calls"
[ "$1" = exec ] || exit 2
shift
: >"$s/run-args"
for a in "$@"; do printf '%s\n' "$a" >>"$s/run-args"; done
printf '%s' "\${JUPYTER_TOKEN-unset}" >"$s/run-token"
port=""
for a in "$@"; do
  case "$a" in --version) echo 2.0.0; exit 0 ;; --port=*) port=\${a#--port=} ;; esac
done
exec python3 -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers()
    def do_POST(self):
        self.send_response(200); self.end_headers()
        raise SystemExit(0)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
' "$port" jupyter-fake
`.replaceAll('\\${', '${');

interface Remote {
  dir: string;
  home: string;
  state: string;
  bin: string;
  script: string;
  run(action: string): { code: number; reply: Record<string, unknown>; stdout: string; stderr: string };
  calls(): string[];
  runArgs(): string[];
  cleanup(): void;
}

/** A remote: HOME, a bin dir with the tools and the given fake engines, the rendered script. */
function remote(input: ProfileInput, engines: Record<string, 'docker' | 'podman' | 'apptainer'>): Remote {
  const dir = mkdtempSync(join(tmpdir(), 'jss-ctr-'));
  const home = join(dir, 'home');
  const state = join(dir, 'state');
  const bin = join(dir, 'bin');
  for (const d of [home, state, bin]) mkdirSync(d, { recursive: true });
  for (const tool of TOOLS) {
    const path = tool === 'python3' ? '/usr/bin/python3' : execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin:/usr/sbin:/sbin' } }).trim();
    symlinkSync(path, join(bin, tool));
  }
  for (const [name, kind] of Object.entries(engines)) {
    writeFileSync(join(bin, name), kind === 'apptainer' ? FAKE_APPTAINER : FAKE_ENGINE);
    chmodSync(join(bin, name), 0o755);
    writeFileSync(join(state, `kind-${name}`), kind);
  }
  const script = join(dir, 'launch.sh');
  writeFileSync(script, renderLaunchScript(validateProfile(input)));
  const env = { PATH: bin, HOME: home, FAKE_STATE: state, LANG: 'C' };
  return {
    dir,
    home,
    state,
    bin,
    script,
    run(action) {
      const r = spawnSync(join(bin, 'sh'), [script, action], { env, encoding: 'utf8', timeout: 30_000, cwd: home });
      const last = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).at(-1);
      return { code: r.status ?? -1, reply: last ? (JSON.parse(last) as Record<string, unknown>) : {}, stdout: r.stdout, stderr: r.stderr };
    },
    calls: () => (existsSync(join(state, 'calls')) ? readFileSync(join(state, 'calls'), 'utf8').trim().split('\n') : []),
    runArgs: () => readFileSync(join(state, 'run-args'), 'utf8').replace(/\n$/, '').split('\n'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

// --bind tcp: these cases are about the published port; the socket has its own cases below.
const docker: ProfileInput = { name: 'box', host: 'gpu', container: 'docker', image: 'quay.io/jupyter/base-notebook:2024-01-15', remotePort: '8899', bind: 'tcp' };

const t = suite('container launch script against fake engines');

t('docker: start runs the container detached, on 127.0.0.1 only, token through a 0600 --env-file, never pulled', () => {
  const r = remote({ ...docker, mount: ['/data:/data:ro', 'type=bind,src=/scratch,dst=/scratch'], containerGpus: true, notebookDir: 'work' }, { docker: 'docker' });
  try {
    mkdirSync(join(r.home, 'work'));
    const out = r.run('start');
    assert.is(out.code, 0, out.stdout + out.stderr);
    const reply = out.reply;
    assert.is(reply.ok, true, out.stdout);
    assert.is(reply.reused, false);
    assert.is(reply.node, '127.0.0.1');
    assert.is(reply.port, 8899);
    assert.is(reply.container, 'jss-box');
    assert.is(reply.engine, 'docker');
    assert.is(reply.pid, 4242);
    const token = String(reply.token);
    assert.match(token, /^[0-9a-f]{48}$/);
    const dir = join(r.home, 'work');
    assert.equal(r.runArgs(), [
      '--pull=never', '--name', 'jss-box',
      '--label', 'io.jupyter-ssh-setup.profile=box', '--label', `io.jupyter-ssh-setup.user=${execFileSync('id', ['-un'], { encoding: 'utf8' }).trim()}`,
      '--env-file', join(r.home, '.jupyter-ssh-setup/box/token.env'), '-v', `${dir}:${dir}`, '-w', dir,
      '-v', '/data:/data:ro', '--mount', 'type=bind,src=/scratch,dst=/scratch', '--gpus', 'all',
      '-d', '-p', '127.0.0.1:8899:8899', 'quay.io/jupyter/base-notebook:2024-01-15',
      'jupyter-lab', '--no-browser', '--ip=0.0.0.0', '--port=8899', '--port-retries=0', `--notebook-dir=${dir}`, '--allow-root',
    ]);
    assert.is(readFileSync(join(r.state, 'run-token'), 'utf8'), token, 'the engine got the token from --env-file');
    assert.is(readFileSync(join(r.state, 'run-env-file-mode'), 'utf8').trim(), '0o600', 'a file only we can read');
    assert.is(readFileSync(join(r.state, 'run-env-token'), 'utf8'), 'unset', 'not through the environment, which sudo or a wrapper drops');
    assert.not.ok(existsSync(join(r.home, '.jupyter-ssh-setup/box/token.env')), 'the token file is gone once the container runs');
    assert.not.ok(r.calls().some((c) => c.includes(token)), 'the token is in no argv');
    assert.not.ok(r.calls().some((c) => / pull( |$)/.test(c)), 'never pulls');
    const conn = JSON.parse(readFileSync(join(r.home, '.jupyter-ssh-setup/box/connection.json'), 'utf8'));
    assert.is(conn.token, token);
    assert.is(conn.container, 'jss-box');
  } finally {
    r.cleanup();
  }
});

t('docker: a second start reuses the running container; status shows it; stop removes it', () => {
  const r = remote(docker, { docker: 'docker' });
  try {
    const first = r.run('start').reply;
    const runs = () => r.calls().filter((c) => c.startsWith('docker run')).length;
    assert.is(runs(), 1);
    const again = r.run('start');
    assert.is(again.reply.reused, true, again.stdout);
    assert.is(again.reply.token, first.token);
    assert.is(runs(), 1, 'no second container');
    const status = r.run('status').reply;
    assert.is(status.running, true);
    assert.is(status.port, 8899);
    const stop = r.run('stop');
    assert.equal(stop.reply, { ok: true, name: 'box', stopped: true, pid: 4242, container: 'jss-box' }, stop.stdout);
    assert.ok(r.calls().some((c) => c === 'docker stop -t 10 jss-box'));
    assert.ok(r.calls().some((c) => c === 'docker rm -f jss-box'));
    assert.not.ok(existsSync(join(r.state, 'ctr')), 'container removed');
    assert.not.ok(existsSync(join(r.home, '.jupyter-ssh-setup/box/connection.json')));
    assert.match(readFileSync(join(r.home, '.jupyter-ssh-setup/box/jupyter.log'), 'utf8'), 'fake last line', 'its output is kept');
    assert.equal(r.run('status').reply, { ok: true, name: 'box', running: false });
    assert.equal(r.run('stop').reply, { ok: true, name: 'box', stopped: false, running: false });
  } finally {
    r.cleanup();
  }
});

t('docker: a missing image is never pulled; the message says how to pull it', () => {
  const r = remote(docker, { docker: 'docker' });
  try {
    writeFileSync(join(r.state, 'no-image'), '');
    for (const action of ['start', 'check']) {
      const out = r.run(action);
      assert.is(out.code, 3);
      assert.is(out.reply.ok, false);
      assert.is(out.reply.error, 'image-missing');
      assert.match(String(out.reply.message), 'never pulled automatically');
      assert.match(String(out.reply.message), 'ssh box docker pull quay.io/jupyter/base-notebook:2024-01-15');
    }
    assert.not.ok(r.calls().some((c) => / (run|pull) /.test(c)));
  } finally {
    r.cleanup();
  }
});

t('engine detection: docker profile with only podman; podman profile with only docker; podman behind the docker name', () => {
  const gpus = { ...docker, containerGpus: true };
  const onlyPodman = remote(gpus, { podman: 'podman' });
  const onlyDocker = remote({ ...gpus, container: 'podman' }, { docker: 'docker' });
  const podmanDocker = remote(gpus, { docker: 'podman' });
  try {
    for (const [r, command, kind, flags] of [
      [onlyPodman, 'podman', 'podman', ['--device', 'nvidia.com/gpu=all']],
      [onlyDocker, 'docker', 'docker', ['--gpus', 'all']],
      [podmanDocker, 'docker', 'podman', ['--device', 'nvidia.com/gpu=all']],
    ] as const) {
      const out = r.run('start');
      assert.is(out.reply.ok, true, out.stdout);
      assert.is(out.reply.engine, kind);
      assert.ok(r.calls().some((c) => c.startsWith(`${command} run `)), `${command} ran the container`);
      const args = r.runArgs();
      const at = args.indexOf(flags[0]);
      assert.ok(at >= 0 && args[at + 1] === flags[1], `GPU flags ${flags.join(' ')} in ${args.join(' ')}`);
    }
  } finally {
    onlyPodman.cleanup();
    onlyDocker.cleanup();
    podmanDocker.cleanup();
  }
});

t('engine detection: a docker without its daemon is passed over for podman; none at all is a clear error', () => {
  const both = remote(docker, { docker: 'docker', podman: 'podman' });
  const neither = remote(docker, { docker: 'docker' });
  const denied = remote(docker, { docker: 'docker' });
  const empty = remote(docker, {});
  try {
    writeFileSync(join(both.state, 'down-docker'), 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n');
    const out = both.run('start');
    assert.is(out.reply.engine, 'podman', out.stdout);
    writeFileSync(join(neither.state, 'down-docker'), 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n');
    const down = neither.run('start');
    assert.is(down.code, 3);
    assert.is(down.reply.error, 'engine-not-found');
    assert.match(String(down.reply.message), 'Cannot connect to the Docker daemon');
    writeFileSync(join(denied.state, 'down-docker'), 'permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: dial unix /var/run/docker.sock: connect: permission denied\n');
    assert.match(String(denied.run('check').reply.message), 'add your user to the docker group');
    const none = empty.run('check');
    assert.is(none.reply.error, 'engine-not-found');
    assert.match(String(none.reply.message), 'neither docker nor podman is installed');
  } finally {
    both.cleanup();
    neither.cleanup();
    denied.cleanup();
    empty.cleanup();
  }
});

t('--allow-root only when the image runs as root; port auto lets the engine pick the host port', () => {
  const r = remote({ ...docker, remotePort: 'auto' }, { docker: 'docker' });
  try {
    writeFileSync(join(r.state, 'image-user'), '1000');
    const out = r.run('start');
    assert.is(out.reply.ok, true, out.stdout);
    assert.is(out.reply.port, 40123, 'the host port the engine chose');
    const args = r.runArgs();
    assert.not.ok(args.includes('--allow-root'));
    assert.ok(args.includes('127.0.0.1::8888'), args.join(' '));
    assert.ok(args.includes('--port=8888'));
  } finally {
    r.cleanup();
  }
});

t('a container of the same name: ours and stale is replaced, someone else\'s is left alone', () => {
  const r = remote(docker, { docker: 'docker' });
  try {
    mkdirSync(join(r.state, 'ctr'));
    writeFileSync(join(r.state, 'ctr/running'), 'true\n');
    writeFileSync(join(r.state, 'ctr/owner'), 'someone-else\n');
    const theirs = r.run('start');
    assert.is(theirs.code, 5);
    assert.is(theirs.reply.error, 'container-exists');
    assert.ok(existsSync(join(r.state, 'ctr')), 'not removed');
    assert.is(r.run('stop').reply.stopped, false, 'stop leaves it too');
    assert.ok(existsSync(join(r.state, 'ctr')));
    writeFileSync(join(r.state, 'ctr/owner'), execFileSync('id', ['-un'], { encoding: 'utf8' }));
    const ours = r.run('start');
    assert.is(ours.reply.ok, true, ours.stdout);
    assert.ok(r.calls().some((c) => c === 'docker rm -f jss-box'), 'the stale one went first');
  } finally {
    r.cleanup();
  }
});

t('failures: a busy port, and Jupyter exiting in the container (which is removed)', () => {
  const busy = remote(docker, { docker: 'docker' });
  const dies = remote(docker, { docker: 'docker' });
  try {
    writeFileSync(join(busy.state, 'run-fails'), 'Error: cannot listen on the TCP port: listen tcp4 127.0.0.1:8899: bind: address already in use\n');
    const b = busy.run('start');
    assert.is(b.code, 5);
    assert.is(b.reply.error, 'port-busy');
    assert.match(String(b.reply.message), 'port 8899');
    writeFileSync(join(dies.state, 'dies'), '');
    const d = dies.run('start');
    assert.is(d.code, 6);
    assert.is(d.reply.error, 'jupyter-exited');
    assert.match(String(d.reply.message), 'fake last line');
    assert.not.ok(existsSync(join(dies.state, 'ctr')), 'the dead container is removed');
    assert.not.ok(existsSync(join(dies.home, '.jupyter-ssh-setup/box/connection.json')));
  } finally {
    busy.cleanup();
    dies.cleanup();
  }
});

t('check reports the engine, the image and Jupyter in it', () => {
  const r = remote({ ...docker, app: 'server' }, { docker: 'podman' });
  try {
    const out = r.run('check');
    assert.equal(out.reply, {
      ok: true, name: 'box', host: execFileSync('hostname', { encoding: 'utf8' }).trim(),
      jupyter: 'quay.io/jupyter/base-notebook:2024-01-15 (podman 4.3.1)', app: 'server', version: '1.23.3',
      engine: 'podman', engineVersion: '4.3.1', image: 'quay.io/jupyter/base-notebook:2024-01-15', imagePresent: true, bind: 'tcp',
    });
    assert.ok(r.calls().includes('docker run --rm --pull=never quay.io/jupyter/base-notebook:2024-01-15 jupyter-server --version'));
  } finally {
    r.cleanup();
  }
});

t('--bind socket: no published port, our user, a 0600 socket in a mounted 0700 directory; the wait and stop speak HTTP over it', () => {
  const r = remote({ ...docker, bind: 'socket' }, { docker: 'docker' });
  try {
    const out = r.run('start');
    assert.is(out.code, 0, out.stdout + out.stderr);
    const dir = join(r.home, '.jupyter-ssh-setup/box/container');
    const sock = join(dir, 'jupyter.sock');
    assert.is(out.reply.ok, true, out.stdout);
    assert.is(out.reply.bind, 'socket');
    assert.is(out.reply.sock, sock);
    assert.is(out.reply.port, 0);
    assert.is(out.reply.bindFallback, undefined);
    const id = (f: string) => execFileSync('id', [f], { encoding: 'utf8' }).trim();
    const args = r.runArgs();
    assert.not.ok(args.includes('-p'), 'nothing published');
    assert.equal(args.slice(args.indexOf('-d')), [
      '-d', '-v', `${dir}:${dir}`, '-e', `HOME=${dir}`, '--user', `${id('-u')}:${id('-g')}`,
      'quay.io/jupyter/base-notebook:2024-01-15', 'jupyter-lab', '--no-browser', `--sock=${sock}`, '--sock-mode=0600', `--notebook-dir=${r.home}`,
      ...(id('-u') === '0' ? ['--allow-root'] : []),
    ]);
    assert.is(statSync(dir).mode & 0o777, 0o700);
    assert.is(statSync(sock).mode & 0o777, 0o600);
    const status = r.run('status');
    assert.is(status.reply.running, true);
    assert.is(status.reply.sock, sock);
    const check = r.run('check');
    assert.is(check.reply.bind, 'socket');
    assert.is(check.reply.sockPrivate, true, check.stdout);
    const stop = r.run('stop');
    assert.is(stop.code, 0, stop.stdout + stop.stderr);
    assert.is(stop.reply.stopped, true);
    assert.is(readFileSync(join(r.state, 'shutdown'), 'utf8'), 'shutdown', "Jupyter's shutdown API over the socket");
    assert.not.ok(existsSync(sock), 'stop removes the socket');
    assert.ok(r.calls().some((c) => c.startsWith('docker rm -f jss-box')), 'and the container');
  } finally {
    r.cleanup();
  }
});

t('--bind socket on rootless podman: no --user (its root is us), --allow-root', () => {
  const r = remote({ ...docker, bind: 'socket', container: 'podman' }, { podman: 'podman' });
  try {
    writeFileSync(join(r.state, 'rootless'), '');
    const out = r.run('start');
    assert.is(out.code, 0, out.stdout + out.stderr);
    const args = r.runArgs();
    assert.not.ok(args.includes('--user'));
    assert.is(args.at(-1), '--allow-root');
    r.run('stop');
  } finally {
    r.cleanup();
  }
});

t('--bind socket with an image whose Jupyter has no --sock: the container goes, it runs on TCP, said once', () => {
  const r = remote({ ...docker, bind: 'socket' }, { docker: 'docker' });
  try {
    writeFileSync(join(r.state, 'no-sock'), '');
    const out = r.run('start');
    assert.is(out.code, 0, out.stdout + out.stderr);
    assert.is(out.reply.bindFallback, 'jupyter lab in quay.io/jupyter/base-notebook:2024-01-15 cannot listen on a Unix socket (that needs Jupyter Server 1.x or Notebook 6.4 or later)');
    assert.is(out.reply.port, 8899);
    assert.is(out.reply.sock, undefined);
    const args = r.runArgs();
    assert.equal(args.slice(args.indexOf('-d'), args.indexOf('-d') + 3), ['-d', '-p', '127.0.0.1:8899:8899']);
    r.run('stop');
  } finally {
    r.cleanup();
  }
});

// Needs root, to give the socket away as a userns-remapped daemon would.
(process.getuid?.() === 0 ? t : t.skip)('--bind socket where the socket comes out as another user\'s: the container goes, it runs on TCP, said once', () => {
  const r = remote({ ...docker, bind: 'socket' }, { docker: 'docker' });
  try {
    writeFileSync(join(r.state, 'userns-remap'), '');
    const out = r.run('start');
    assert.is(out.code, 0, out.stdout + out.stderr);
    const host = execFileSync('hostname', { encoding: 'utf8' }).trim();
    assert.is(out.reply.bindFallback, `the socket that jupyter lab in quay.io/jupyter/base-notebook:2024-01-15 made on ${host} is not owned by you (docker runs the container as another user)`);
    assert.is(out.reply.port, 8899);
    assert.is(out.reply.sock, undefined);
    assert.not.ok(existsSync(join(r.home, '.jupyter-ssh-setup/box/container/jupyter.sock')), 'the stray socket is removed');
    assert.ok(r.runArgs().includes('-p'));
    r.run('stop');
  } finally {
    r.cleanup();
  }
});

t('mount specs reach the engine exactly; ~/ is the remote home', () => {
  const odd = `/data/it's "here" $(id) \`x\` ;&|*?[x]:/in`;
  const r = remote({ ...docker, mount: ['~/data:/data', odd] }, { docker: 'docker' });
  try {
    assert.is(r.run('start').reply.ok, true);
    const args = r.runArgs();
    assert.ok(args.includes(`${r.home}/data:/data`), args.join('\n'));
    assert.ok(args.includes(odd), args.join('\n'));
  } finally {
    r.cleanup();
  }
});

const apptainer: ProfileInput = { name: 'app', host: 'hpc', container: 'apptainer', image: '~/images/jupyter.sif', containerGpus: true, app: 'server' };

t('apptainer: exec [--nv] [--bind] IMAGE jupyter on 127.0.0.1, detached; stop ends it', () => {
  const port = 20000 + (process.pid % 20000);
  const r = remote({ ...apptainer, remotePort: String(port), mount: ['/scratch:/scratch', 'type=bind,source=/a,destination=/b'], notebookDir: '/tmp' }, { apptainer: 'apptainer' });
  try {
    mkdirSync(join(r.home, 'images'));
    writeFileSync(join(r.home, 'images/jupyter.sif'), '');
    const out = r.run('start');
    assert.is(out.reply.ok, true, out.stdout + out.stderr);
    assert.is(out.reply.port, port);
    assert.is(out.reply.engine, 'apptainer');
    assert.equal(r.runArgs(), [
      '--nv', '--bind', '/tmp', '--bind', '/scratch:/scratch', '--mount', 'type=bind,source=/a,destination=/b', '--pwd', '/tmp',
      join(r.home, 'images/jupyter.sif'), 'jupyter-server', '--no-browser', '--ip=127.0.0.1', `--port=${port}`, '--port-retries=0', '--notebook-dir=/tmp',
      ...(process.getuid?.() === 0 ? ['--allow-root'] : []),
    ]);
    assert.is(readFileSync(join(r.state, 'run-token'), 'utf8'), out.reply.token);
    assert.is(r.run('start').reply.reused, true);
    assert.is(r.run('status').reply.running, true);
    const stop = r.run('stop');
    assert.is(stop.reply.stopped, true, stop.stdout);
    assert.equal(r.run('status').reply, { ok: true, name: 'app', running: false });
  } finally {
    r.run('stop');
    r.cleanup();
  }
});

t('apptainer: singularity when that is what is there; image checks; check', () => {
  const r = remote(apptainer, { singularity: 'apptainer' });
  const uri = remote({ ...apptainer, image: 'docker://quay.io/jupyter/base-notebook' }, { apptainer: 'apptainer' });
  const none = remote(apptainer, {});
  try {
    const missing = r.run('check');
    assert.is(missing.reply.error, 'image-missing');
    assert.match(String(missing.reply.message), `${r.home}/images/jupyter.sif is not on`);
    mkdirSync(join(r.home, 'images'));
    writeFileSync(join(r.home, 'images/jupyter.sif'), '');
    const ok = r.run('check');
    assert.is(ok.reply.ok, true, ok.stdout);
    assert.is(ok.reply.engine, 'singularity');
    assert.is(ok.reply.version, '2.0.0');
    const pull = uri.run('start');
    assert.is(pull.reply.error, 'image-missing');
    assert.match(String(pull.reply.message), 'apptainer pull jupyter.sif docker://quay.io/jupyter/base-notebook');
    assert.is(none.run('start').reply.error, 'engine-not-found');
  } finally {
    r.cleanup();
    uri.cleanup();
    none.cleanup();
  }
});

t.run();
