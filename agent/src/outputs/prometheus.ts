/**
 * @module GET /metrics: a prom-client Registry of its own, with Node process metrics from
 * prom-client and one lazily-read family object per snapshot family. Families are registered
 * when they first appear (meminfo fields differ between kernels).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
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

const gzipAsync = promisify(gzip);
/** zlib's fastest level: half the CPU of level 6 for a body about a tenth larger (10 kB against 9 kB). */
const GZIP_LEVEL = 1;

/** Whether an Accept-Encoding header takes gzip (RFC 9110 §12.5.3: a q of 0 means "not acceptable"). */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  for (const part of header.split(',')) {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== '*') continue;
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    return q === undefined || Number(q) > 0;
  }
  return false;
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
      // Compressed when the scraper asks, as node_exporter does: Prometheus always does, and a
      // scrape shrinks about four times.
      const gzipped = acceptsGzip(req.headers['accept-encoding']);
      const respond = async () => {
        const text = await metrics.render();
        const headers = { 'content-type': metrics.registry.contentType, vary: 'Accept-Encoding' };
        if (!gzipped) return void res.writeHead(200, headers).end(text);
        const body = await gzipAsync(text, { level: GZIP_LEVEL });
        res.writeHead(200, { ...headers, 'content-encoding': 'gzip' }).end(body);
      };
      respond().catch((err: unknown) => {
        onError(err);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n');
      });
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
