/**
 * One Chrome DevTools Protocol session with the V8 inspector workerd opens when Miniflare is given
 * an `inspectorPort`: the target is the isolate that runs the Worker and its Durable Objects
 * (`core:user:…`), not Miniflare's own internal workers.
 */
export type Inspector = {
  send<T>(method: string, params?: object): Promise<T>;
  /** A command whose answer is not awaited (some never come). */
  post(method: string, params?: object): void;
  /** Notifications the isolate sends unasked (a heap snapshot's chunks, for one). */
  onEvent(listener: (method: string, params: any) => void): () => void;
  close(): void;
};

type Target = { id: string; webSocketDebuggerUrl: string; title?: string; url?: string };

/** Every isolate workerd runs: ours (`core:user:…`) and Miniflare's simulators of KV, the Cache API and so on. */
export const inspectorTargets = async (port: number): Promise<Target[]> => (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as Target[];

export const isUserTarget = (t: Target) => /core:user/.test(`${t.title} ${t.url}`);

export async function inspect(port: number, target?: Target): Promise<Inspector> {
  target ??= (await inspectorTargets(port)).find(isUserTarget) ?? (await inspectorTargets(port))[0];
  if (!target) throw new Error('no inspector target');
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.addEventListener('open', resolve, { once: true });
    socket.addEventListener('error', reject, { once: true });
  });
  let next = 1;
  const listeners: ((method: string, params: any) => void)[] = [];
  const pending = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();
  socket.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message: string }; method?: string; params?: unknown };
    if (message.id === undefined) {
      for (const listener of listeners) listener(message.method ?? '', message.params);
      return;
    }
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.error) waiter?.reject(new Error(`inspector: ${message.error.message}`));
    else waiter?.resolve(message.result);
  });
  const send = <T>(method: string, params: object = {}) =>
    new Promise<T>((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve: resolve as (result: unknown) => void, reject });
      socket.send(JSON.stringify({ id, method, params }));
    });
  const post = (method: string, params: object = {}) => socket.send(JSON.stringify({ id: next++, method, params }));
  return { send, post, onEvent: (listener) => {
      listeners.push(listener);
      return () => void listeners.splice(listeners.indexOf(listener), 1);
    }, close: () => socket.close() };
}
