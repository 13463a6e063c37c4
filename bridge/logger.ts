import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON lines on stdout, one logger per process; requests and components log through children. */
export const createLogger = (level: string, service = 'bridge'): Logger => pino({ level, base: { service } });
