/**
 * A seeded generator of recurring-fault incidents with ground truth, for the problems bench
 * and tests: faults recur with Zipf frequencies, texts carry variable ids, IPs, numbers and
 * host names, and unique noise incidents are mixed in.
 */
import type { ProblemIncident } from '../../server/src/domain/problem.js';
import { mulberry32 } from '../../server/src/problems/seeded-random.js';

const DAY_MS = 86_400_000;

interface Fault {
  alertname: string;
  title: (v: Variables) => string;
  summary: (v: Variables) => string;
  service: string;
  severity: ProblemIncident['severity'];
}

interface Variables {
  host: string;
  n: number;
  ip: string;
  id: string;
}

const WORDS = ['cache', 'queue', 'shard', 'replica', 'broker', 'token', 'session', 'index', 'bucket', 'socket', 'thread', 'cert', 'lease', 'quota', 'backup', 'cron', 'dns', 'proxy', 'ingress', 'worker'];
const SYMPTOMS = ['exhausted', 'timeout', 'refused', 'corrupted', 'stalled', 'expired', 'throttled', 'saturated', 'unreachable', 'leaking', 'rejected', 'lagging'];
const SERVICES = ['checkout', 'payments', 'search', 'catalog', 'auth', 'billing', 'inventory', 'shipping', 'ledger', 'notifier'];

function pick<T>(list: readonly T[], random: () => number): T {
  return list[Math.floor(random() * list.length)] as T;
}

function camel(...words: string[]): string {
  return words.map((w) => w[0]?.toUpperCase() + w.slice(1)).join('');
}

const SYLLABLES = ['ka', 'lo', 'mi', 'ran', 'te', 'vo', 'sul', 'pe', 'dra', 'gon', 'ni', 'bel', 'tor', 'ux', 'fen', 'qua'];

/** A pronounceable word without digits (digits would be masked). */
function word(random: () => number): string {
  return Array.from({ length: 2 + Math.floor(random() * 2) }, () => pick(SYLLABLES, random)).join('');
}

/**
 * `count` distinct synthetic faults. A fault raises 1–5 kinds of alert (own alert name and
 * title) that share the fault's component and a few of its words, on one service.
 */
export function makeFaults(count: number, random: () => number): Fault[][] {
  const faults: Fault[][] = [];
  for (let f = 0; f < count; f++) {
    const component = `${pick(WORDS, random)}${word(random)}`;
    const vocabulary = [word(random), word(random), word(random)];
    const service = pick(SERVICES, random);
    const alerts: Fault[] = [];
    const kinds = 1 + Math.floor(random() * 5);
    for (let a = 0; a < kinds; a++) {
      const symptom = pick(SYMPTOMS, random);
      const extra = pick(vocabulary, random);
      alerts.push({
        alertname: camel(component, symptom),
        title: (v) => `${component} ${symptom} on ${v.host}: ${extra} at ${v.n}%`,
        summary: (v) => `${component} ${vocabulary.join(' ')} ${symptom} for request ${v.id} from ${v.ip}`,
        service,
        severity: pick(['critical', 'warning', 'error'] as const, random),
      });
    }
    faults.push(alerts);
  }
  return faults;
}

export interface GeneratedIncidents {
  incidents: ProblemIncident[];
  /** Ground-truth fault per incident id; noise incidents have label -1. */
  truth: Map<string, number>;
}

export interface GenerateOptions {
  incidents: number;
  faults: number;
  /** Share of one-off noise incidents. */
  noise: number;
  hosts: number;
  days: number;
  now: number;
  seed: number;
  /** Exponent of the Zipf recurrence. */
  zipf: number;
}

export function generateIncidents(options: GenerateOptions): GeneratedIncidents {
  const random = mulberry32(options.seed);
  const faults = makeFaults(options.faults, random);
  const weights = faults.map((_, i) => 1 / Math.pow(i + 1, options.zipf));
  const total = weights.reduce((s, w) => s + w, 0);
  const hosts = Array.from({ length: options.hosts }, (_, i) => `node-${String(i).padStart(3, '0')}.dc${i % 3}`);
  const incidents: ProblemIncident[] = [];
  const truth = new Map<string, number>();
  for (let n = 0; n < options.incidents; n++) {
    const id = `inc-${String(n).padStart(6, '0')}`;
    const openedAt = options.now - Math.floor(random() * options.days * DAY_MS);
    const v: Variables = {
      host: pick(hosts, random),
      n: Math.floor(random() * 100),
      ip: `10.${Math.floor(random() * 255)}.${Math.floor(random() * 255)}.${Math.floor(random() * 255)}:${1024 + Math.floor(random() * 60000)}`,
      id: Math.floor(random() * 2 ** 32).toString(16).padStart(8, '0') + '-1a2b-4c3d-8e9f-' + Math.floor(random() * 2 ** 48).toString(16).padStart(12, '0'),
    };
    const resolvedAt = openedAt + Math.floor(random() * 4 * 3_600_000);
    if (random() < options.noise) {
      const words = [pick(WORDS, random), pick(SYMPTOMS, random), word(random), word(random)];
      incidents.push({ id, title: `${words.join(' ')} on ${v.host}`, alertname: camel(words[2] as string, 'Anomaly'), summary: `${words.reverse().join(' ')} ${word(random)}`, service: pick(SERVICES, random), host: v.host, severity: 'info', openedAt, resolvedAt, downtimeMs: null });
      truth.set(id, -1);
      continue;
    }
    let r = random() * total;
    let f = 0;
    while (f < faults.length - 1 && (r -= weights[f] as number) > 0) f++;
    const fault = pick(faults[f] as Fault[], random);
    incidents.push({ id, title: fault.title(v), alertname: fault.alertname, summary: fault.summary(v), service: fault.service, host: v.host, severity: fault.severity, openedAt, resolvedAt, downtimeMs: null });
    truth.set(id, f);
  }
  return { incidents, truth };
}
