import { mkdirSync } from 'node:fs';
import S3rver from 's3rver';

/** The local stand-in for R2 that `npm start` and the tests run: a real S3 API server over files. */
export type LocalS3 = { endpoint: string; close(): Promise<void> };

/** Its credentials: s3rver checks signatures against these, as R2 checks its own keys. */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export async function startLocalS3({ directory, port = 0, host = '127.0.0.1' }: { directory: string; port?: number; host?: string }): Promise<LocalS3> {
  mkdirSync(directory, { recursive: true });
  const server = new S3rver({ address: host, port, directory, silent: true });
  const address = await server.run();
  return { endpoint: `http://${host}:${address.port}`, close: () => server.close() };
}
