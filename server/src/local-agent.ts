/**
 * @module `sightline server --local-agent` (what `npm start` runs): start a host agent for
 * this machine as a child process reporting to this server, so a newcomer sees the host in
 * the product right away. The agent is a separate program; the server only starts it.
 * Its ingest token is kept in `<dataDir>/local-agent.token` (mode 0600) and reused while valid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Runtime } from './main.js';
import { createAuthenticator, createToken } from './services/tokens.js';

async function localAgentToken(runtime: Runtime): Promise<string> {
  const file = path.join(runtime.config.dataDir, 'local-agent.token');
  if (existsSync(file)) {
    const saved = readFileSync(file, 'utf8').trim();
    const principal = await createAuthenticator(runtime.handle.db, runtime.clock, null).authenticate(saved);
    if (principal?.scopes.includes('ingest')) return saved;
  }
  const name = `local-agent-${new Date(runtime.clock.now()).toISOString().replace(/[-:T.Z]/g, '').slice(0, 14)}`;
  const created = await createToken(runtime.handle.db, runtime.clock, { name, scopes: ['ingest'] });
  if (!created.ok) throw new Error(created.error.message);
  writeFileSync(file, `${created.value.token}\n`, { mode: 0o600 });
  return created.value.token;
}

export interface LocalAgent {
  stop(): Promise<void>;
}

export async function startLocalAgent(runtime: Runtime, serverUrl: string, listen: string): Promise<LocalAgent> {
  const token = await localAgentToken(runtime);
  const entry = fileURLToPath(new URL('../../agent/src/cli.js', import.meta.url));
  const child: ChildProcess = spawn(process.execPath, [entry], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      SIGHTLINE_AGENT_SERVER_URL: serverUrl,
      SIGHTLINE_AGENT_SERVER_TOKEN: token,
      SIGHTLINE_AGENT_QUEUE_DIR: path.join(runtime.config.dataDir, 'local-agent'),
      SIGHTLINE_AGENT_LISTEN: listen,
      SIGHTLINE_AGENT_LOG_LEVEL: process.env.SIGHTLINE_AGENT_LOG_LEVEL ?? 'warn',
    },
  });
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM') runtime.log.warn({ code, signal }, 'local agent exited');
  });
  return {
    stop() {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      return new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}
