/**
 * Starts one real PostgreSQL for the whole run; test files each create their own
 * database on it. Without PostgreSQL the run fails loudly (CI installs it in .ci/run);
 * SIGHTLINE_TEST_SKIP_POSTGRES=1 runs the SQLite half only, for quick local loops.
 */
import type { TestProject } from 'vitest/node';
import { startPostgres, type PostgresServer } from './postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string | null;
  }
}

let server: PostgresServer | null = null;

export async function setup(project: TestProject): Promise<void> {
  if (process.env.SIGHTLINE_TEST_SKIP_POSTGRES === '1' && !process.env.CI) {
    project.provide('postgresUrl', null);
    return;
  }
  server = await startPostgres();
  project.provide('postgresUrl', server.url);
}

export async function teardown(): Promise<void> {
  await server?.stop();
  server = null;
}
