import { request } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';

/**
 * Runs one cell in a fresh kernel of a Jupyter server, the way a browser
 * does: POST /api/kernels, then an execute_request over the kernel's
 * websocket, then DELETE the kernel. Node 20 has no WebSocket client without
 * a flag, so this is the least of RFC 6455 that Jupyter needs: one masked
 * text frame out, text frames (maybe fragmented) in.
 */
export async function runCell(port: number, token: string, code: string, timeoutMs = 60_000): Promise<string> {
  const kernel = JSON.parse(await api(port, token, 'POST', '/api/kernels', '{}')) as { id: string };
  try {
    const socket = await upgrade(port, `/api/kernels/${kernel.id}/channels?token=${encodeURIComponent(token)}`);
    try {
      return await execute(socket, code, timeoutMs);
    } finally {
      socket.destroy();
    }
  } finally {
    await api(port, token, 'DELETE', `/api/kernels/${kernel.id}`).catch(() => '');
  }
}

function api(port: number, token: string, method: string, path: string, body?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { Authorization: `token ${token}`, 'Content-Type': 'application/json' }, timeout: 30_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => ((res.statusCode ?? 0) < 300 ? resolve(text) : reject(new Error(`${method} ${path}: HTTP ${res.statusCode}`))));
    });
    req.once('timeout', () => req.destroy(new Error(`${method} ${path}: no answer`)));
    req.once('error', reject);
    req.end(body);
  });
}

function upgrade(port: number, path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path,
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': randomBytes(16).toString('base64') },
    });
    req.once('upgrade', (_res, socket, head) => {
      if (head.length) socket.unshift(head);
      resolve(socket);
    });
    req.once('response', (res) => reject(new Error(`kernel websocket: HTTP ${res.statusCode}`)));
    req.once('error', reject);
    req.end();
  });
}

/** A client frame: FIN + text, masked as RFC 6455 requires of clients. */
export function encodeTextFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const n = payload.length;
  const header = n < 126 ? Buffer.from([0x81, 0x80 | n]) : n < 65536 ? Buffer.from([0x81, 0x80 | 126, n >> 8, n & 255]) : Buffer.concat([Buffer.from([0x81, 0x80 | 127]), bigEndian64(n)]);
  const mask = randomBytes(4);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([header, mask, masked]);
}

function bigEndian64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

/** Splits server frames off the front of buf: [opcode, fin, payload][] and the rest. */
export function decodeFrames(buf: Buffer): { frames: { opcode: number; fin: boolean; payload: Buffer }[]; rest: Buffer } {
  const frames: { opcode: number; fin: boolean; payload: Buffer }[] = [];
  let at = 0;
  for (;;) {
    if (buf.length - at < 2) break;
    const fin = (buf[at]! & 0x80) !== 0;
    const opcode = buf[at]! & 0x0f;
    let len = buf[at + 1]! & 0x7f;
    let head = 2;
    if (len === 126) {
      if (buf.length - at < 4) break;
      len = buf.readUInt16BE(at + 2);
      head = 4;
    } else if (len === 127) {
      if (buf.length - at < 10) break;
      len = Number(buf.readBigUInt64BE(at + 2));
      head = 10;
    }
    if (buf.length - at < head + len) break;
    frames.push({ opcode, fin, payload: buf.subarray(at + head, at + head + len) });
    at += head + len;
  }
  return { frames, rest: buf.subarray(at) };
}

interface KernelMessage {
  msg_type: string;
  parent_header?: { msg_id?: string };
  content: { text?: string; execution_state?: string; ename?: string; evalue?: string; data?: Record<string, string> };
}

function execute(socket: Socket, code: string, timeoutMs: number): Promise<string> {
  const msgId = randomUUID();
  const session = randomUUID();
  const request = {
    header: { msg_id: msgId, username: 'jupyter-ssh-setup', session, msg_type: 'execute_request', version: '5.3', date: new Date().toISOString() },
    parent_header: {},
    metadata: {},
    channel: 'shell',
    content: { code, silent: false, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: true },
  };
  return new Promise((resolve, reject) => {
    let pending: Buffer = Buffer.alloc(0);
    let partial: Buffer[] = [];
    let output = '';
    const timer = setTimeout(() => reject(new Error(`the kernel did not finish within ${timeoutMs / 1000} s`)), timeoutMs);
    const finish = (error?: Error) => {
      clearTimeout(timer);
      socket.removeAllListeners('data');
      if (error) reject(error);
      else resolve(output);
    };
    socket.on('data', (chunk: Buffer) => {
      const { frames, rest } = decodeFrames(Buffer.concat([pending, chunk]));
      pending = rest;
      for (const f of frames) {
        if (f.opcode === 8) return finish(new Error('the kernel websocket closed'));
        if (f.opcode !== 1 && f.opcode !== 0) continue; // pings need no answer in a few seconds
        partial.push(f.payload);
        if (!f.fin) continue;
        const m = JSON.parse(Buffer.concat(partial).toString('utf8')) as KernelMessage;
        partial = [];
        if (m.parent_header?.msg_id !== msgId) continue;
        if (m.msg_type === 'stream') output += m.content.text ?? '';
        if (m.msg_type === 'execute_result') output += (m.content.data?.['text/plain'] ?? '') + '\n';
        if (m.msg_type === 'error') return finish(new Error(`the cell failed: ${m.content.ename}: ${m.content.evalue}`));
        if (m.msg_type === 'status' && m.content.execution_state === 'idle') return finish();
      }
    });
    socket.once('error', (e) => finish(e));
    socket.once('close', () => finish(new Error('the kernel websocket closed')));
    socket.write(encodeTextFrame(JSON.stringify(request)));
  });
}
