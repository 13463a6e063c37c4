import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { serve, type ServerType } from '@hono/node-server';
import type { BridgeConfig } from '../config';

type Fetch = (request: Request) => Response | Promise<Response>;
export type Listener = { url: string; close(): Promise<void> };
type ListenerConfig = Pick<BridgeConfig, 'BRIDGE_HOST' | 'BRIDGE_PORT' | 'BRIDGE_ADMIN_HOST' | 'BRIDGE_ADMIN_PORT' | 'BRIDGE_TLS_CERT' | 'BRIDGE_TLS_KEY'>;

/**
 * The bridge's two listeners (ADR 0003): the public one for the objects' pushes, the admin one
 * for operators. With BRIDGE_TLS_CERT/KEY both serve HTTPS; whether plain HTTP may face beyond
 * loopback was decided when the configuration was checked (security/exposure.ts).
 */
export async function startListeners(config: ListenerConfig, apps: { public: Fetch; admin: Fetch }): Promise<{ public: Listener; admin: Listener }> {
  const tls = config.BRIDGE_TLS_CERT && config.BRIDGE_TLS_KEY ? { cert: readPem(config.BRIDGE_TLS_CERT, 'BRIDGE_TLS_CERT'), key: readPem(config.BRIDGE_TLS_KEY, 'BRIDGE_TLS_KEY') } : null;
  const publicListener = await listen(apps.public, config.BRIDGE_HOST, config.BRIDGE_PORT, tls, 'BRIDGE_PORT');
  try {
    return { public: publicListener, admin: await listen(apps.admin, config.BRIDGE_ADMIN_HOST, config.BRIDGE_ADMIN_PORT, tls, 'BRIDGE_ADMIN_PORT') };
  } catch (error) {
    await publicListener.close();
    throw error;
  }
}

function readPem(file: string, setting: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`${setting}: cannot read ${file} (${(error as { code?: string }).code ?? String(error)}): give a readable PEM file`, { cause: error });
  }
}

function listen(fetch: Fetch, hostname: string, port: number, tls: { cert: string; key: string } | null, setting: string): Promise<Listener> {
  return new Promise((resolve, reject) => {
    const options = tls ? { fetch, hostname, port, createServer: createHttpsServer, serverOptions: tls } : { fetch, hostname, port };
    const server: ServerType = serve(options, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      const host = hostname.includes(':') ? `[${hostname}]` : hostname;
      resolve({ url: `${tls ? 'https' : 'http'}://${host}:${bound}`, close: () => new Promise<void>((done) => server.close(() => done())) });
    });
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`${hostname}:${port} is already in use: free it or set ${setting} to another port`, { cause: error }) : error),
    );
  });
}
