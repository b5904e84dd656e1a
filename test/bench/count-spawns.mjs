/**
 * Preload for the agent bench (`node --import`): appends one line to $SIGHTLINE_BENCH_SPAWN_LOG
 * for every child process the process starts. spawn, exec, execFile and fork all go through
 * ChildProcess.prototype.spawn; the synchronous functions call an internal binding instead, so
 * each is wrapped by name, and the ES module bindings are re-synced afterwards.
 */
import cp from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const log = process.env.SIGHTLINE_BENCH_SPAWN_LOG;
if (log) {
  const record = (how, file) => appendFileSync(log, `${how} ${String(file)}\n`);
  const proto = cp.ChildProcess.prototype;
  const spawnAsync = proto.spawn;
  proto.spawn = function (options) {
    record('spawn', options?.file);
    return spawnAsync.call(this, options);
  };
  for (const name of ['spawnSync', 'execSync', 'execFileSync']) {
    const original = cp[name];
    cp[name] = function (...args) {
      record(name, args[0]);
      return original.apply(this, args);
    };
  }
  syncBuiltinESMExports();
}
