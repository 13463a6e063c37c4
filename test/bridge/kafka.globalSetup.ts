import type { TestProject } from 'vitest/node';
// @ts-expect-error -- a plain ESM script shared with `npm run kafka:start`
import { startKafka, stopKafka } from '../../scripts/kafka.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
  }
}

/** One real broker for the bridge tests, started on a free loopback port and stopped after. */
export default async function setup(project: TestProject) {
  const broker = await startKafka();
  project.provide('kafkaBrokers', broker.brokers);
  return () => stopKafka(broker);
}
