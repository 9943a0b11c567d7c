import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A fake provider that misbehaves on cue, at the TCP level (so it can also send what node:http
 * refuses to: oversized headers, a reset before the status line). Each connection reads one HTTP
 * request and then plays the current fault. It counts open sockets and the bytes it wrote, so a
 * test can prove the gateway let go of the connection and stopped reading an endless body.
 */
export type Fault =
  | { kind: 'ok-json'; body: unknown }
  | { kind: 'stall-before-headers' }
  | { kind: 'stall-mid-body'; contentType: 'application/json' | 'text/event-stream'; first: string }
  | { kind: 'invalid-json' }
  | { kind: 'invalid-sse'; lines: string }
  | { kind: 'reset-before-headers' }
  | { kind: 'reset-mid-body'; contentType: 'application/json' | 'text/event-stream'; first: string }
  | { kind: 'huge-body'; contentType: 'application/json' | 'text/event-stream'; bytes: number; chunk: (i: number) => Buffer; prefix?: string; status?: number }
  | { kind: 'huge-headers'; bytes: number };

export interface FaultyUpstream {
  readonly url: string;
  fault: Fault;
  /** Bytes of response body written in the current fault. */
  sent: number;
  readonly openSockets: () => number;
  /** Open sockets that carried a request (a client's pool may also hold a fresh, idle one). */
  readonly servingSockets: () => number;
  close(): Promise<void>;
}

export async function startFaultyUpstream(initial: Fault): Promise<FaultyUpstream> {
  const sockets = new Set<Socket>();
  const serving = new Set<Socket>();
  const state: { fault: Fault; sent: number } = { fault: initial, sent: 0 };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      serving.delete(socket);
    });
    socket.on('error', () => undefined);
    let head = '';
    let bodyLeft = -1;
    socket.on('data', (d: Buffer) => {
      if (bodyLeft < 0) {
        head += d.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end === -1) return;
        const length = Number(/content-length:\s*(\d+)/i.exec(head.slice(0, end))?.[1] ?? '0');
        bodyLeft = length - (head.length - end - 4);
      } else bodyLeft -= d.length;
      if (bodyLeft <= 0) {
        bodyLeft = Number.POSITIVE_INFINITY;
        serving.add(socket);
        play(socket, state.fault, state);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get fault() {
      return state.fault;
    },
    set fault(f: Fault) {
      state.fault = f;
      state.sent = 0;
    },
    get sent() {
      return state.sent;
    },
    set sent(n: number) {
      state.sent = n;
    },
    openSockets: () => sockets.size,
    servingSockets: () => serving.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function headers(status: number, contentType: string, extra = '', chunked = true): string {
  return `HTTP/1.1 ${status} OK\r\nconnection: close\r\ncontent-type: ${contentType}\r\n${chunked ? 'transfer-encoding: chunked\r\n' : ''}${extra}\r\n`;
}
const chunk = (data: string | Buffer): Buffer => {
  const b = typeof data === 'string' ? Buffer.from(data) : data;
  return Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')]);
};

function play(socket: Socket, fault: Fault, state: { sent: number }): void {
  switch (fault.kind) {
    case 'ok-json': {
      const body = JSON.stringify(fault.body);
      socket.end(`HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      return;
    }
    case 'stall-before-headers':
      return; // read the request, never answer
    case 'stall-mid-body':
      socket.write(headers(200, fault.contentType));
      socket.write(chunk(fault.first));
      return; // and then silence
    case 'invalid-json': {
      const body = '{"id":"x","choices":[{"message":';
      socket.end(`HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
      return;
    }
    case 'invalid-sse':
      socket.write(headers(200, 'text/event-stream'));
      socket.write(chunk(fault.lines));
      socket.end('0\r\n\r\n');
      return;
    case 'reset-before-headers':
      socket.resetAndDestroy();
      return;
    case 'reset-mid-body':
      socket.write(headers(200, fault.contentType));
      socket.write(chunk(fault.first), () => setTimeout(() => socket.resetAndDestroy(), 10));
      return;
    case 'huge-body': {
      // Lazily generated: never more than one chunk in memory; stops when the peer goes away.
      socket.write(headers(fault.status ?? 200, fault.contentType));
      if (fault.prefix) socket.write(chunk(fault.prefix));
      let i = 0;
      const pump = (): void => {
        while (!socket.destroyed && state.sent < fault.bytes) {
          const c = fault.chunk(i++);
          state.sent += c.length;
          if (!socket.write(chunk(c))) return void socket.once('drain', pump);
        }
        if (!socket.destroyed) socket.end('0\r\n\r\n');
      };
      pump();
      return;
    }
    case 'huge-headers': {
      let h = 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n';
      for (let n = 0; n * 1000 < fault.bytes; n++) h += `x-h${n}: ${'h'.repeat(990)}\r\n`;
      socket.end(`${h}content-length: 2\r\n\r\n{}`);
      return;
    }
  }
}
