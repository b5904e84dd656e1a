/** @module An agent's heartbeat as the server takes it in: who it is, what it runs, how its checks stand. */

export interface HeartbeatInput {
  agentId: string;
  host: string;
  version: string;
  sentAt: number;
  intervalSeconds: number;
  inventory: unknown;
  checks: unknown[];
  firingAlerts: number;
}
