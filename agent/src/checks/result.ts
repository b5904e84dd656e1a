/** @module What a check run yields: plain data, rendered by /metrics, rules and heartbeats. */

export type HttpPhase = 'resolve' | 'connect' | 'tls' | 'processing' | 'transfer';

export interface HttpDetails {
  statusCode: number;
  phases: Record<HttpPhase, number>;
  /** Whether the final connection used TLS. */
  ssl: boolean;
  /** Epoch seconds of the earliest notAfter in the peer's chain. */
  sslEarliestCertExpiry?: number;
  contentLength: number;
  failedDueToRegex: boolean;
  httpVersion: string;
}

export interface ProcessDetails {
  count: number;
  /** user + system CPU seconds summed over matching processes. */
  cpuSeconds: number;
  residentBytes: number;
}

export interface CheckResult {
  name: string;
  type: 'http' | 'tcp' | 'process';
  target: string;
  success: boolean;
  /** Epoch ms when the run started. */
  startedAtMs: number;
  durationSeconds: number;
  error?: string;
  http?: HttpDetails;
  process?: ProcessDetails;
}
