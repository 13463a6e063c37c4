import { createLogger } from '../logger';
import { runService } from '../service';
import { loadWmsConfig } from './config';
import { startWmsSimulator } from './simulator';

/** `node --import tsx bridge/wms/main.ts`: the warehouse simulator as a process. */
await runService(
  'wms simulator',
  () => loadWmsConfig(process.env),
  (config) => createLogger(config.logLevel, 'wms'),
  ({ logLevel: _level, ...options }, logger) => startWmsSimulator({ ...options, logger }),
);
