/**
 * Seed payloads for fuzzing, one per ingest endpoint: the captured Alertmanager 0.25 and
 * Prometheus 2.42 payloads, and hand-written ones in each remaining sender's format (the
 * agent's heartbeat and alerts as its contract describes them, PagerDuty, Grafana, OTLP).
 * No vitest imports: the fuzz script uses this file too.
 */
import { captured } from '../helpers/fixtures.js';

export interface IngestSeed {
  /** Name printed in the per-endpoint counts. */
  name: string;
  path: string;
  bodies: unknown[];
}

const NOW = '2026-11-21T04:00:00.000Z';
const NOW_NANOS = String(Date.parse(NOW) * 1_000_000);

export const OTLP_SEED = {
  resourceMetrics: [
    {
      resource: { attributes: [{ key: 'host.name', value: { stringValue: 'web-1' } }, { key: 'service.name', value: { stringValue: 'sightline-agent' } }] },
      scopeMetrics: [
        {
          scope: { name: 'sightline-agent' },
          metrics: [
            {
              name: 'system.filesystem.usage',
              unit: 'By',
              sum: {
                aggregationTemporality: 2,
                isMonotonic: false,
                dataPoints: [
                  { attributes: [{ key: 'system.filesystem.mountpoint', value: { stringValue: '/' } }, { key: 'system.filesystem.state', value: { stringValue: 'used' } }], timeUnixNano: NOW_NANOS, asInt: '600' },
                  { attributes: [{ key: 'system.filesystem.mountpoint', value: { stringValue: '/' } }, { key: 'system.filesystem.state', value: { stringValue: 'free' } }], timeUnixNano: NOW_NANOS, asInt: '400' },
                ],
              },
            },
            { name: 'system.memory.utilization', unit: '1', gauge: { dataPoints: [{ attributes: [{ key: 'system.memory.state', value: { stringValue: 'used' } }], timeUnixNano: NOW_NANOS, asDouble: 0.42 }] } },
            { name: 'system.cpu.time', unit: 's', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ attributes: [{ key: 'cpu.mode', value: { stringValue: 'idle' } }], timeUnixNano: NOW_NANOS, asDouble: 1234.5 }] } },
          ],
        },
      ],
    },
  ],
};

export const HEARTBEAT_SEED = {
  agentId: '7d1f7a52-3c55-4a3e-9f51-0d5c4b1e2a10',
  host: 'web-1',
  version: '0.1.0',
  sentAt: NOW,
  intervalSeconds: 60,
  sampleIntervalSeconds: 15,
  inventory: {
    collectedAt: NOW,
    os: { platform: 'linux', distro: 'Debian GNU/Linux', release: '12', kernel: '6.1.0', arch: 'x64' },
    cpu: { model: 'Intel Xeon', logicalCores: 2, physicalCores: 1 },
    memoryBytes: 4_000_000_000,
    disks: [{ device: '/dev/sda', name: 'disk', type: 'SSD', sizeBytes: 64_000_000_000 }],
    interfaces: [{ name: 'eth0', mac: '52:54:00:12:34:56', ipv4: ['10.0.0.5'], ipv6: [], speedMbps: 1000 }],
  },
  checks: [{ name: 'web', type: 'http', target: 'http://127.0.0.1/', success: true, since: NOW, lastRunAt: NOW, durationSeconds: 0.01, httpStatus: 200 }],
  firingAlerts: 0,
};

export const AGENT_ALERTS_SEED = {
  alerts: [
    {
      labels: { alertname: 'FilesystemAlmostFull', host: 'web-1', service: 'host', severity: 'warning', mountpoint: '/' },
      annotations: { summary: 'Filesystem / on web-1 is 93% full' },
      status: 'firing',
      startsAt: NOW,
    },
  ],
};

export const PAGERDUTY_SEED = {
  routing_key: 'replaced-by-the-fuzzer',
  event_action: 'trigger',
  dedup_key: 'disk-web-1',
  payload: { summary: 'Disk almost full on web-1', source: 'web-1', severity: 'warning', component: 'disk', group: 'billing', class: 'DiskFull', custom_details: { free: '7%' } },
  client: 'monitor',
  client_url: 'https://monitor.example/1',
};

export function ingestSeeds(): IngestSeed[] {
  const webhook = ['firing-DiskWillFillIn4Hours', 'firing-HostHighCpuLoad', 'resolved-DiskWillFillIn4Hours'].map((n) => captured(`alertmanager-0.25-webhook-${n}.json`).body);
  const v2 = [1, 2, 3, 4, 5].map((n) => captured(`prometheus-2.42-post-api-v2-alerts-${n}.json`).body);
  return [
    { name: 'alertmanager webhook', path: '/api/v1/alerts/alertmanager', bodies: webhook },
    { name: 'alertmanager api v2', path: '/api/v2/alerts', bodies: v2 },
    { name: 'grafana webhook', path: '/api/v1/alerts/grafana', bodies: webhook.map((b) => ({ ...(b as object), version: '1', orgId: 1, state: 'alerting', title: '[FIRING:1]' })) },
    { name: 'native batch', path: '/api/v1/alerts', bodies: [AGENT_ALERTS_SEED, { alerts: (v2[0] as unknown[]).map((a) => ({ ...(a as object), status: 'firing' })) }] },
    { name: 'pagerduty events v2', path: '/v2/enqueue', bodies: [PAGERDUTY_SEED, { routing_key: 'x', event_action: 'resolve', dedup_key: 'disk-web-1' }] },
    { name: 'agent heartbeat', path: '/api/v1/agents/heartbeat', bodies: [HEARTBEAT_SEED, { ...HEARTBEAT_SEED, inventory: null, checks: [] }] },
    { name: 'otlp metrics', path: '/v1/metrics', bodies: [OTLP_SEED] },
  ];
}

/** Every path to a value inside `base` (the root is `[]`). */
export function pathsOf(base: unknown): (string | number)[][] {
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, p: (string | number)[]) => {
    paths.push(p);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...p, i]));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
  };
  walk(base, []);
  return paths;
}

/** A copy of `base` with the value at `path` replaced (or removed when `value` is undefined). */
export function replaceAt(base: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(base) as any;
  let node = copy;
  for (const k of path.slice(0, -1)) node = node[k];
  const last = path[path.length - 1] as string;
  if (value === undefined) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
  } else node[last] = value;
  return copy;
}
