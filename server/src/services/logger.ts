/** @module The server's structured log (pino), the same in every thread. */
import pino, { type Logger } from 'pino';
import type { ServerConfig } from '../config.js';

export function createLogger(config: Pick<ServerConfig, 'log'>): Logger {
  return pino({
    level: config.log.level,
    base: { service: 'sightline' },
    // Belt and braces: nothing should log credentials, and if it tries, they are masked.
    redact: { paths: ['*.authorization', '*.token', '*.adminToken', '*.routing_key', '*.hmacSecret', '*.webhookSecret', '*.password'], censor: '[redacted]' },
  });
}
