/**
 * `npm run fuzz [-- --count 1000 --seed 42 --concurrency 4 --database sqlite|postgres|both]`:
 * the hostile cases and the HTTP fuzz against a live server, with a larger count than the
 * test suite's, on SQLite and on a real PostgreSQL (started here from Debian's package). The
 * last line is `fuzz: cases=<n> 5xx=<n> crashes=<n> stalls=<n>`; exit status 1 on any failure.
 */
import { parseArgs } from 'node:util';
import { stopAllProcesses } from '../helpers/processes.js';
import { createTestDatabase, startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { formatCounts, fuzzLiveServer, type FuzzCounts } from './live.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    concurrency: { type: 'string', default: '4' },
    huge: { type: 'string', default: '2' },
    database: { type: 'string', default: 'both' },
  },
});
const perEndpoint = Number(values.count);
const seed = Number(values.seed);
const databases = values.database === 'both' ? ['sqlite', 'postgres'] : [values.database];
if (!Number.isInteger(perEndpoint) || perEndpoint < 1 || !Number.isInteger(seed) || !databases.every((d) => d === 'sqlite' || d === 'postgres')) {
  process.stderr.write('usage: npm run fuzz -- [--count N] [--seed N] [--concurrency N] [--huge N] [--database sqlite|postgres|both]\n');
  process.exit(2);
}
process.stdout.write(`fuzz: ${perEndpoint} generated inputs per endpoint, seed ${seed}, on ${databases.join(' and ')}\n`);
const total: FuzzCounts = { cases: 0, serverErrors: 0, crashes: 0, stalls: 0 };
let failed = false;
let postgres: PostgresServer | null = null;
try {
  for (const database of databases) {
    let databaseUrl: string | undefined;
    if (database === 'postgres') {
      postgres = await startPostgres();
      databaseUrl = await createTestDatabase(postgres.url);
    }
    const result = await fuzzLiveServer({ perEndpoint, seed, databaseUrl, concurrency: Number(values.concurrency), hugeBodies: Number(values.huge), onProgress: (l) => process.stderr.write(`\r${l.slice(0, 100).padEnd(100)}`) });
    process.stderr.write('\n');
    process.stdout.write(`--- ${database}\n${result.text}\n`);
    for (const problem of result.afterwards) process.stdout.write(`PROBLEM ${problem}\n`);
    process.stdout.write(`fuzz ${database}: ${formatCounts(result.counts)}\n`);
    failed ||= result.report.failures.length > 0 || result.afterwards.length > 0 || result.hostile.problems.length > 0;
    for (const k of Object.keys(total) as (keyof FuzzCounts)[]) total[k] += result.counts[k];
    await stopAllProcesses();
  }
  process.stdout.write(`fuzz: ${formatCounts(total)}${failed ? ' FAILED' : ''} (seed ${seed})\n`);
  process.exitCode = failed ? 1 : 0;
} finally {
  await stopAllProcesses();
  await postgres?.stop();
}
