// A TCP proxy the tests put between Strix and PostgreSQL, to cut the database off (and bring it
// back) without touching the PostgreSQL service the machine shares.
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Resets every open connection and refuses new ones, as a stopped database server would. */
  cut(): Promise<void>;
  /** Accepts and forwards connections again. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function tcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = () => new Promise<void>((resolve, reject) => {
    server = createServer((client) => {
      const upstream = connect(target.port, target.host);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => { client.destroy(); upstream.destroy(); });
      }
      client.pipe(upstream).pipe(client);
    });
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      port = (server!.address() as { port: number }).port;
      resolve();
    });
  });
  const cut = async () => {
    await new Promise<void>((resolve) => { server?.close(() => resolve()); for (const s of sockets) s.resetAndDestroy(); });
    server = undefined;
  };
  await listen();
  return {
    get port() { return port; },
    cut,
    restore: listen,
    close: cut,
  };
}
