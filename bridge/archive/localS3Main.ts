// `npm start`'s object storage: the local S3 API server the bridge archives to (OBJECTS_PORT, OBJECTS_DIR).
import { startLocalS3 } from './localS3';

const port = Number(process.env.OBJECTS_PORT ?? 8794);
const directory = process.env.OBJECTS_DIR ?? '.data/objects';
const server = await startLocalS3({ directory, port });
process.stdout.write(`${JSON.stringify({ level: 30, time: Date.now(), msg: `object storage (S3 API) on ${server.endpoint}, files in ${directory}` })}\n`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void server.close().finally(() => process.exit(0)));
}
