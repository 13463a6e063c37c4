import { createLogger } from '../logger';
import { runService } from '../service';
import { loadSapConfig } from './simulator/config';
import { startSapSimulator } from './simulator/server';

/** `node --import tsx bridge/sap/main.ts`: the SAP OData warehouse simulator as a process. */
await runService(
  'sap simulator',
  () => loadSapConfig(process.env),
  (config) => createLogger(config.logLevel, 'sap'),
  ({ logLevel: _level, ...options }, logger) => startSapSimulator({ ...options, logger }),
);
