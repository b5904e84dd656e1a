/**
 * `npm run fuzz [-- --count 2000 --seed 42 --concurrency 4]`: the HTTP fuzz against a live
 * server with a larger count than the test suite's. Exit status 1 on any failure.
 */
import { parseArgs } from 'node:util';
import { stopAllProcesses } from '../helpers/processes.js';
import { fuzzLiveServer } from './live.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    concurrency: { type: 'string', default: '4' },
    huge: { type: 'string', default: '2' },
  },
});
const perEndpoint = Number(values.count);
const seed = Number(values.seed);
if (!Number.isInteger(perEndpoint) || perEndpoint < 1 || !Number.isInteger(seed)) {
  process.stderr.write('usage: npm run fuzz -- [--count N] [--seed N] [--concurrency N] [--huge N]\n');
  process.exit(2);
}
process.stdout.write(`fuzz: ${perEndpoint} generated inputs per endpoint, seed ${seed}\n`);
try {
  const result = await fuzzLiveServer({ perEndpoint, seed, concurrency: Number(values.concurrency), hugeBodies: Number(values.huge), onProgress: (l) => process.stderr.write(`\r${l}   `) });
  process.stderr.write('\n');
  process.stdout.write(`${result.text}\n`);
  for (const problem of result.afterwards) process.stdout.write(`PROBLEM ${problem}\n`);
  const failed = result.report.failures.length > 0 || result.afterwards.length > 0;
  process.stdout.write(`fuzz: ${failed ? 'FAILED' : 'ok'} (seed ${seed})\n`);
  process.exitCode = failed ? 1 : 0;
} finally {
  await stopAllProcesses();
}
