/** @module TCP connect check: success when the three-way handshake completes within the timeout. */
import net from 'node:net';
import type { Clock } from '../clock.js';
import type { TcpCheckConfig } from '../config.js';
import type { CheckResult } from './result.js';

export function splitHostPort(target: string): { host: string; port: number } {
  const match = /^\[?([^\]]*?)\]?:(\d+)$/.exec(target);
  if (!match) throw new Error(`not host:port: ${target}`);
  return { host: match[1] as string, port: Number(match[2]) };
}

export async function runTcpCheck(check: TcpCheckConfig, clock: Clock): Promise<CheckResult> {
  const startedAtMs = clock.now();
  const t0 = clock.monotonic();
  const { host, port } = splitHostPort(check.target);
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (error?: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({
        name: check.name,
        type: 'tcp',
        target: check.target,
        startedAtMs,
        durationSeconds: (clock.monotonic() - t0) / 1000,
        success: error === undefined,
        ...(error !== undefined ? { error } : {}),
      });
    };
    const timer = setTimeout(() => done(`timeout after ${check.timeout} ms`), check.timeout);
    socket.once('connect', () => done());
    socket.once('error', (err) => done(err.message));
  });
}
