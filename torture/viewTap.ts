import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SkuCounters } from '../src/domain/sku';

const VIEWS_PATH = '/internal/projections/views';

/**
 * A transparent HTTP tap between the bridge and the edge that keeps what rebuilds send: the last
 * view of each SKU posted for each generation. The SKU object writes its own, newer view into KV
 * instead of the one sent (both are folds of a prefix of its log), and live writes keep
 * overwriting it, so KV never shows what a rebuild computed; the isolated rebuild check reads it
 * here. Bytes pass unchanged (the signature covers them); an edge that does not answer drops the
 * bridge's connection, as the edge itself would.
 */
export class ViewTap {
  /** generation → SKU → the last view sent for it. */
  readonly sent = new Map<string, Map<string, SkuCounters>>();
  readonly #server: Server;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 64 });
  readonly #targetPort: number;

  private constructor(targetPort: number) {
    this.#targetPort = targetPort;
    this.#server = createServer((req, res) => void this.#forward(req, res));
  }

  static async start(targetPort: number): Promise<ViewTap> {
    const tap = new ViewTap(targetPort);
    await new Promise<void>((resolve) => tap.#server.listen(0, '127.0.0.1', resolve));
    return tap;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
    this.#agent.destroy();
  }

  async #forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    if (req.method === 'POST' && req.url === VIEWS_PATH) this.#record(body);
    const upstream = request(
      { host: '127.0.0.1', port: this.#targetPort, method: req.method, path: req.url, headers: req.headers, agent: this.#agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    upstream.end(body);
  }

  #record(body: Buffer): void {
    try {
      const batch = JSON.parse(body.toString('utf8')) as { generation: string; views: SkuCounters[] };
      const views = this.sent.get(batch.generation) ?? new Map<string, SkuCounters>();
      for (const view of batch.views) views.set(view.sku, view);
      this.sent.set(batch.generation, views);
    } catch {
      // Not a batch the edge would take either: it refuses it, and the rebuild with it.
    }
  }
}
