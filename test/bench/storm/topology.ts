/**
 * @module A seeded service topology for the correlation benchmark: services in layers
 * (frontends → APIs → backends → databases/queues/caches), each with a criticality tier,
 * an owner, the services it depends on, its hosts and the labels its alerts carry.
 * `dependsOn` only points down the layers (and, among APIs, to later ones), so the graph
 * is a DAG by construction. The object is plain data a service catalogue could load;
 * `renderTopologyYaml` writes it as YAML.
 */
import { stringify } from 'yaml';
import { Random } from './random.js';

export const LAYERS = ['frontend', 'api', 'backend', 'database', 'queue', 'cache'] as const;
export type Layer = (typeof LAYERS)[number];

export interface Host {
  name: string;
  /** Address Prometheus scrapes: a DNS name or an IP, without port. */
  address: string;
}

export interface Service {
  name: string;
  layer: Layer;
  /** Criticality, 1 = most critical (the server's `services[].tier`). */
  tier: 1 | 2 | 3;
  owner: string;
  dependsOn: string[];
  hosts: Host[];
  /** Prometheus `job` of the service's own exporter. */
  job: string;
  /** Port of the service's metrics endpoint (`instance` = address:port). */
  port: number;
  /** Labels that identify the service's alerts when they carry no `service` label. */
  match: Record<string, string>;
}

export interface Topology {
  seed: number;
  services: Service[];
}

const NAMES: Record<Layer, string[]> = {
  frontend: ['web-storefront', 'mobile-bff', 'admin-portal', 'partner-gateway', 'seller-portal', 'help-center', 'marketing-site', 'checkout-web'],
  api: [
    'checkout-api', 'payments-api', 'search-api', 'catalog-api', 'auth-api', 'shipping-api', 'inventory-api', 'billing-api', 'profile-api',
    'reviews-api', 'pricing-api', 'orders-api', 'promotions-api', 'notifications-api', 'recommendations-api', 'tax-api', 'loyalty-api', 'returns-api',
  ],
  backend: [
    'fraud-scorer', 'email-worker', 'invoice-worker', 'image-resizer', 'fulfilment-worker', 'ledger-service', 'stock-sync', 'report-builder',
    'search-indexer', 'webhook-dispatcher', 'geo-service', 'currency-service',
  ],
  database: ['orders-db', 'payments-db', 'catalog-db', 'users-db', 'inventory-db', 'billing-db', 'ledger-db', 'reviews-db', 'analytics-db'],
  queue: ['events-kafka', 'orders-queue', 'email-queue', 'jobs-rabbitmq'],
  cache: ['sessions-redis', 'catalog-cache', 'pricing-cache', 'rate-limit-redis', 'search-cache'],
};

/** Share of services per layer. */
const SHARE: Record<Layer, number> = { frontend: 0.12, api: 0.3, backend: 0.2, database: 0.16, queue: 0.08, cache: 0.14 };
const HOSTS: Record<Layer, [number, number]> = { frontend: [2, 4], api: [2, 6], backend: [1, 3], database: [2, 3], queue: [3, 3], cache: [1, 3] };
const PORTS: Record<Layer, number> = { frontend: 8080, api: 8080, backend: 9091, database: 9187, queue: 9308, cache: 9121 };
const OWNERS = ['team-storefront', 'team-payments', 'team-search', 'team-platform', 'team-data', 'team-identity', 'team-logistics', 'team-growth'];

export interface TopologyOptions {
  seed: number;
  /** Number of services (at least 12). */
  services: number;
}

function layerCounts(total: number): Record<Layer, number> {
  const counts = Object.fromEntries(LAYERS.map((l) => [l, Math.max(1, Math.round(total * SHARE[l]))])) as Record<Layer, number>;
  // Rounding drift goes to the API layer, the widest one.
  counts.api += total - LAYERS.reduce((n, l) => n + counts[l], 0);
  return counts;
}

export function generateTopology(options: TopologyOptions): Topology {
  if (options.services < 12) throw new Error('a topology needs at least 12 services');
  const rng = new Random(options.seed ^ 0x70b0);
  const counts = layerCounts(options.services);
  const byLayer = {} as Record<Layer, Service[]>;
  let ipBlock = 10;
  const jobs = new Set<string>();
  for (const layer of LAYERS) {
    const pool = NAMES[layer];
    byLayer[layer] = [];
    for (let i = 0; i < counts[layer]; i++) {
      const base = pool[i % pool.length] as string;
      const name = i < pool.length ? base : `${base}-${Math.floor(i / pool.length) + 1}`;
      // Prometheus jobs are short ("checkout"), but two services never share one.
      const short = name.replace(/-(api|worker|service)$/, '');
      const job = jobs.has(short) ? name : short;
      jobs.add(job);
      // A third of the services run on hosts Prometheus knows by IP only.
      const byIp = rng.chance(1 / 3);
      const block = ipBlock++;
      const hosts: Host[] = [];
      const [lo, hi] = HOSTS[layer];
      for (let h = 1; h <= rng.int(lo, hi); h++) {
        const hostName = `${name}-${String(h).padStart(2, '0')}`;
        hosts.push({ name: hostName, address: byIp ? `10.${20 + (block >> 8)}.${block & 255}.${10 + h}` : `${hostName}.prod.internal` });
      }
      const tier = (layer === 'frontend' ? rng.pick([1, 1, 2]) : layer === 'backend' ? rng.pick([2, 3, 3]) : rng.pick([1, 2, 2, 3])) as 1 | 2 | 3;
      byLayer[layer].push({
        name,
        layer,
        tier,
        owner: rng.pick(OWNERS),
        dependsOn: [],
        hosts,
        job,
        port: PORTS[layer],
        match: { job },
      });
    }
  }

  const { frontend, api, backend, database, queue, cache } = byLayer;
  const add = (from: Service, to: Service) => {
    if (!from.dependsOn.includes(to.name)) from.dependsOn.push(to.name);
  };
  for (const f of frontend) for (const a of rng.sample(api, rng.int(2, 4))) add(f, a);
  api.forEach((a, i) => {
    // Only later APIs, so API → API edges cannot form a cycle.
    if (rng.chance(0.4)) for (const b of rng.sample(api.slice(i + 1), rng.int(1, 2))) add(a, b);
    for (const b of rng.sample(backend, rng.int(0, 2))) add(a, b);
    for (const d of rng.sample(database, rng.int(1, 2))) add(a, d);
    if (rng.chance(0.6)) add(a, rng.pick(cache));
    if (rng.chance(0.4)) add(a, rng.pick(queue));
  });
  for (const b of backend) {
    for (const d of rng.sample(database, rng.int(1, 2))) add(b, d);
    if (rng.chance(0.6)) add(b, rng.pick(queue));
    if (rng.chance(0.3)) add(b, rng.pick(cache));
  }
  // Everything below the frontends serves someone: an orphan gets a consumer one layer up.
  const consumers: Record<Layer, Service[]> = { frontend: [], api: frontend, backend: api, database: [...api, ...backend], queue: [...api, ...backend], cache: api };
  const services = LAYERS.flatMap((l) => byLayer[l]);
  for (const s of services) {
    if (s.layer === 'frontend') continue;
    if (!services.some((c) => c.dependsOn.includes(s.name))) add(rng.pick(consumers[s.layer]), s);
  }
  for (const s of services) s.dependsOn.sort();
  return { seed: options.seed, services };
}

/** Services that depend on `name` directly. */
export function dependentsOf(topology: Topology, name: string): Service[] {
  return topology.services.filter((s) => s.dependsOn.includes(name));
}

/**
 * The topology as the server's service catalogue sees it (`services:` of the config file):
 * an alert belongs to a service by its `service` label, its match labels or its host.
 */
export function catalogueOf(topology: Topology): { services: CatalogueEntry[] } {
  return {
    services: topology.services.map((s) => ({
      name: s.name,
      tier: s.tier,
      owner: s.owner,
      dependsOn: s.dependsOn,
      match: { labels: s.match, hosts: s.hosts.map((h) => h.address) },
    })),
  };
}

export interface CatalogueEntry {
  name: string;
  tier: number;
  owner: string;
  dependsOn: string[];
  match: { labels: Record<string, string>; hosts: string[] };
}

export function renderTopologyYaml(topology: Topology): string {
  return stringify(catalogueOf(topology), { lineWidth: 0 });
}
