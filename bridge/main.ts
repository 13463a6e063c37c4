import { loadConfig } from './config';
import { createLogger } from './logger';
import { startBridge } from './server';
import { runService } from './service';

/** `node --import tsx bridge/main.ts`: the bridge as a process. */
await runService('bridge', () => loadConfig(process.env), (config) => createLogger(config.LOG_LEVEL), startBridge);
