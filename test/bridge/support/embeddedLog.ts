import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { EmbeddedEventLog } from '../../../bridge/eventLog/embedded';
import { TOPICS } from '../../../bridge/eventLog/topics';

/** An embedded event log with the bridge's topics for one test file, removed after it. */
export function embeddedLogForFile(prefix: string): EmbeddedEventLog {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const log = new EmbeddedEventLog(join(dir, 'log'));
  beforeAll(() => log.ensureTopics(TOPICS));
  afterAll(async () => {
    await log.close();
    await rm(dir, { recursive: true, force: true });
  });
  return log;
}
