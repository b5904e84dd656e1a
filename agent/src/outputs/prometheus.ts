/**
 * @module GET /metrics: a prom-client Registry of its own, with Node process metrics from
 * prom-client and one lazily-read family object per snapshot family. Families are registered
 * when they first appear (meminfo fields differ between kernels).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import client from 'prom-client';
import type { Family } from '../series.js';

/** The shape prom-client's Registry asks of a metric: a name, help, type and an async get(). */
class FamilyMetric {
  readonly aggregator = 'sum' as const;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: Family['type'],
    private readonly read: (name: string) => Family | undefined,
  ) {}
  get() {
    const family = this.read(this.name);
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: family?.samples ?? [] };
  }
  reset(): void {}
}

export interface MetricsRegistry {
  registry: client.Registry;
  /** The exposition text, from the families as they are now. */
  render(): Promise<string>;
}

export function createMetricsRegistry(sources: () => Family[]): MetricsRegistry {
  const registry = new client.Registry();
  // prom-client samples event-loop delay with a 10 ms timer by default: 100 wake-ups a second, which
  // cost more CPU than the agent's own 15 s cycle. Once a second still shows a blocked loop.
  client.collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 1000 });
  // These three are gauges named *_total, which `promtool check metrics` flags (node_exporter has no such
  // finding); the same counts remain as nodejs_active_{handles,requests,resources} by type.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
  let current = new Map<string, Family>();
  const read = (name: string) => current.get(name);
  return {
    registry,
    async render() {
      const next = new Map<string, Family>();
      for (const family of sources()) next.set(family.name, family);
      current = next;
      for (const family of next.values()) {
        if (!registry.getSingleMetric(family.name)) {
          registry.registerMetric(new FamilyMetric(family.name, family.help, family.type, read) as unknown as client.Metric);
        }
      }
      return registry.metrics();
    },
  };
}

export interface MetricsServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves GET /metrics; "host:port" with port 0 picks a free port (tests). */
export async function startMetricsServer(listen: string, metrics: MetricsRegistry, onError: (err: unknown) => void): Promise<MetricsServer> {
  const match = /^\[?([^\]]*?)\]?:(\d+)$/.exec(listen);
  if (!match) throw new Error(`listen: not host:port: ${listen}`);
  const host = match[1] || '0.0.0.0';
  const server = http.createServer((req, res) => {
    const pathname = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (pathname === '/metrics') {
      metrics.render().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        (err: unknown) => {
          onError(err);
          res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n');
        },
      );
      return;
    }
    if (pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body><h1>Sightline agent</h1><p><a href="/metrics">Metrics</a></p></body></html>\n');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(match[2]), host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${shownHost}:${port}/metrics`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
