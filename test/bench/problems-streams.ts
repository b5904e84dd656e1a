/**
 * Seeded generators of incidents that look like two kinds of real alert streams, with ground
 * truth, for the problems bench. Nothing here is copied from a data set: vocabularies, rule
 * codes and templates are generated or made up.
 *
 * - `logs`: incidents made of log lines of 16 systems. Each system has its own vocabulary and
 *   a few base templates (`Receiving <obj> <id> src: /<ip> dest: /<ip>` style); its faults
 *   share base lines and differ by a line or two that are variants of the same template with
 *   one or two words changed, so the texts of two faults of one system share most words. The
 *   first line (the incident's title) is often a shared line.
 * - `security`: IDS and host-monitoring alerts. Rule codes in every style (numeric ids like
 *   5710, hyphenated `ET-SCAN-…`, dotted `hids.syscheck.…`); attacks are sequences of steps
 *   that share their first steps with other attacks (a scan before several exploits); scans
 *   touch many hosts; slow exfiltration lasts days with thousands of repeats; recurring noise
 *   alerts fire thousands of times inside incidents and are often the incident's first alert;
 *   noise-only incidents recur too (a class of their own per noise rule).
 */
import type { ProblemAlert, ProblemIncident } from '../../server/src/domain/problem.js';
import { mulberry32 } from '../../server/src/problems/seeded-random.js';
import type { GeneratedIncidents } from './problems-generate.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

type Random = () => number;

function pick<T>(list: readonly T[], random: Random): T {
  return list[Math.floor(random() * list.length)] as T;
}

function shuffle<T>(list: readonly T[], random: Random): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const SYLLABLES = ['ka', 'lo', 'mi', 'ran', 'te', 'vo', 'sul', 'pe', 'dra', 'gon', 'ni', 'bel', 'tor', 'ux', 'fen', 'qua', 'zi', 'mor'];
const word = (random: Random) => Array.from({ length: 2 + Math.floor(random() * 2) }, () => pick(SYLLABLES, random)).join('');
const camel = (...words: string[]) => words.map((w) => (w[0] ?? '').toUpperCase() + w.slice(1)).join('');

/** Zipf-weighted index in [0, n). */
function zipfIndex(n: number, exponent: number, random: Random): number {
  const weights = Array.from({ length: n }, (_, i) => 1 / Math.pow(i + 1, exponent));
  let r = random() * weights.reduce((s, w) => s + w, 0);
  for (let i = 0; i < n; i++) if ((r -= weights[i] as number) <= 0) return i;
  return n - 1;
}

const ip = (random: Random) => `10.${Math.floor(random() * 255)}.${Math.floor(random() * 255)}.${Math.floor(random() * 255)}`;
const num = (random: Random) => String(Math.floor(random() * 100000));
const hex = (random: Random, digits: number) => Array.from({ length: digits }, () => '0123456789abcdef'[Math.floor(random() * 16)]).join('');

// ---------------------------------------------------------------------------------------------
// logs

const NOUNS = ['block', 'packet', 'replica', 'segment', 'region', 'session', 'channel', 'lease', 'volume', 'container', 'task', 'shard', 'snapshot', 'ticket', 'buffer', 'partition', 'node', 'job', 'socket', 'frame', 'page', 'commit', 'checkpoint', 'heartbeat', 'queue'];
const VERBS = ['receiving', 'served', 'deleting', 'allocating', 'verifying', 'writing', 'reading', 'closing', 'opening', 'sending', 'starting', 'stopping', 'scanning', 'flushing', 'restoring', 'registering'];
const STATES = ['terminating', 'succeeded', 'failed', 'interrupted', 'timed out', 'refused', 'corrupt', 'expired', 'rejected', 'stale', 'missing', 'aborted', 'retrying', 'dropped', 'incomplete', 'overflowed'];
const ROLES = ['responder', 'manager', 'handler', 'server', 'worker', 'scheduler', 'monitor', 'client', 'agent', 'daemon'];

/** A line template: words with placeholders `{id}`, `{ip}`, `{n}`, `{path}`, `{hex}` filled per incident. */
type Template = string[];

function fill(template: Template, random: Random): string {
  return template
    .map((w) => w.replace('{id}', num(random)).replace('{ip}', ip(random)).replace('{n}', num(random)).replace('{path}', `/data/${word(random)}/${num(random)}`).replace('{hex}', hex(random, 16)))
    .join(' ');
}

interface LogSystem {
  component: string;
  service: string;
  base: Template[];
}

interface LogFault {
  system: LogSystem;
  /** Lines in order; `required` lines are in every incident, the others in about half. */
  lines: { template: Template; required: boolean }[];
}

function makeSystem(s: number, random: Random): LogSystem {
  const nouns = shuffle(NOUNS, random).slice(0, 4);
  const verbs = shuffle(VERBS, random).slice(0, 4);
  const role = camel(nouns[0] as string, pick(ROLES, random));
  const prefix = `${(nouns[0] as string).slice(0, 3)}_{id}`;
  const shapes: Template[] = [
    [camel(verbs[0] as string), nouns[0] as string, prefix, 'src:', '/{ip}', 'dest:', '/{ip}'],
    [role, '{n}', 'for', nouns[0] as string, prefix, 'terminating'],
    [verbs[1] as string, nouns[1] as string, 'of', 'size', '{n}', 'from', '/{ip}'],
    [camel(nouns[2] as string), '{path}', verbs[2] as string, 'by', role, 'in', '{n}', 'ms'],
    [verbs[3] as string, nouns[3] as string, prefix, 'on', '{ip}', 'state', 'ok'],
  ];
  return { component: `${word(random)}.${camel(pick(ROLES, random))}`, service: `sys-${String(s).padStart(2, '0')}-${word(random)}`, base: shuffle(shapes, random).slice(0, 4) };
}

/** `base` with one or two of its plain words replaced: a line that shares most of its words. */
function variant(base: Template, used: Set<string>, random: Random): Template {
  for (let attempt = 0; attempt < 50; attempt++) {
    const out = [...base];
    const positions = out.map((w, i) => (/^[a-z]+$/.test(w) && w !== 'for' && w !== 'of' && w !== 'by' && w !== 'in' && w !== 'on' ? i : -1)).filter((i) => i >= 0);
    const changes = 1 + Math.floor(random() * 2);
    for (const p of shuffle(positions, random).slice(0, changes)) out[p] = pick(STATES, random).split(' ')[0] as string;
    const key = out.join(' ');
    if (key !== base.join(' ') && !used.has(key)) {
      used.add(key);
      return out;
    }
  }
  return [...base, word(random)];
}

function makeLogFaults(systems: readonly LogSystem[], random: Random): LogFault[] {
  const faults: LogFault[] = [];
  for (const system of systems) {
    const used = new Set(system.base.map((t) => t.join(' ')));
    const count = 3 + Math.floor(random() * 4);
    for (let f = 0; f < count; f++) {
      // Most faults of a system log its first base line (`Receiving block …`) among others.
      const shared = random() < 0.6 ? [system.base[0] as Template, ...shuffle(system.base.slice(1), random).slice(0, Math.floor(random() * 2))] : shuffle(system.base, random).slice(0, 1 + Math.floor(random() * 2));
      const own = Array.from({ length: 1 + Math.floor(random() * 2) }, () => variant(pick(system.base, random), used, random));
      const lines = [...shared.map((t) => ({ template: t, required: random() < 0.6 })), ...own.map((t) => ({ template: t, required: true }))];
      // The first line is a shared one about half of the time, else the fault's own.
      faults.push({ system, lines: random() < 0.5 ? lines : [...lines.slice(shared.length), ...lines.slice(0, shared.length)] });
    }
  }
  return faults;
}

export interface StreamOptions {
  incidents: number;
  now: number;
  seed: number;
  days: number;
  /** Share of one-off incidents (ground truth: each its own class). */
  noise: number;
}

function incidentOf(id: string, alerts: ProblemAlert[], fields: Pick<ProblemIncident, 'service' | 'host' | 'severity' | 'openedAt' | 'resolvedAt'>): ProblemIncident {
  const first = alerts[0] as ProblemAlert;
  return { id, title: first.title, alertname: first.name, summary: '', ...fields, downtimeMs: null, alerts };
}

export function generateLogIncidents(options: StreamOptions): GeneratedIncidents {
  const random = mulberry32(options.seed);
  const systems = Array.from({ length: 16 }, (_, s) => makeSystem(s, random));
  const faults = shuffle(makeLogFaults(systems, random), random);
  const incidents: ProblemIncident[] = [];
  const truth = new Map<string, number>();
  for (let n = 0; n < options.incidents; n++) {
    const id = `log-${String(n).padStart(6, '0')}`;
    const openedAt = options.now - Math.floor(random() * options.days * DAY_MS);
    const host = `node-${Math.floor(random() * 120)}`;
    const times = { openedAt, resolvedAt: openedAt + Math.floor(random() * 2 * HOUR_MS) };
    if (random() < options.noise) {
      const system = pick(systems, random);
      const line = fill(variant(pick(system.base, random), new Set(), random), random) + ` ${word(random)} ${word(random)}`;
      incidents.push(incidentOf(id, [{ name: system.component, title: `${system.component}: ${line}`, occurrences: 1 }], { service: system.service, host, severity: 'warning', ...times }));
      truth.set(id, -1);
      continue;
    }
    const f = zipfIndex(faults.length, 0.9, random);
    const fault = faults[f] as LogFault;
    const lines = fault.lines.filter((l, i) => i === 0 || l.required || random() < 0.5);
    const alerts = lines.map((l) => ({ name: fault.system.component, title: `${fault.system.component}: ${fill(l.template, random)}`, occurrences: 1 + Math.floor(random() * 20) }));
    incidents.push(incidentOf(id, alerts, { service: fault.system.service, host, severity: 'error', ...times }));
    truth.set(id, f);
  }
  return { incidents, truth };
}

// ---------------------------------------------------------------------------------------------
// security

interface Rule {
  code: string;
  text: (random: Random) => string;
  severity: ProblemIncident['severity'];
}

const TOPICS = ['ssh', 'smb', 'rdp', 'http', 'dns', 'ldap', 'ftp', 'sql', 'kerberos', 'tls', 'smtp', 'vnc'];
const ACTS = ['login attempt with unknown user', 'brute force of credentials', 'suspicious user agent', 'possible directory traversal', 'shellcode in payload', 'privilege escalation via sudo', 'new service installed', 'file integrity changed', 'outbound beacon to rare domain', 'large outbound transfer', 'password spray', 'lateral movement via admin share', 'web shell upload', 'encoded powershell command', 'credential dump from memory', 'scheduled task created'];
const SCAN_KINDS = ['syn scan', 'os detection probe', 'service version probe', 'ping sweep', 'udp scan'];

/** A rule code in one of the styles security tools use. */
function ruleCode(style: number, words: readonly string[], random: Random): string {
  switch (style % 3) {
    case 0:
      return String(1000 + Math.floor(random() * 99000));
    case 1:
      return ['ET', ...words.map((w) => w.toUpperCase().replace(/\s+/g, '-'))].join('-');
    default:
      return ['hids', ...words.map((w) => w.toLowerCase().replace(/\s+/g, '_'))].join('.');
  }
}

function makeRule(i: number, topic: string, act: string, severity: Rule['severity'], random: Random): Rule {
  const code = ruleCode(i, [topic, act.split(' ')[0] as string, act.split(' ').slice(-1)[0] as string], random);
  return { code, severity, text: (r) => `${topic}: ${act} from ${ip(r)} to ${ip(r)} port ${1 + Math.floor(r() * 65535)}` };
}

interface Attack {
  steps: Rule[];
  /** Scans repeat their first step over many target hosts; slow ones last days with many repeats. */
  kind: 'plain' | 'scan' | 'slow';
}

export function generateSecurityIncidents(options: StreamOptions): GeneratedIncidents {
  const random = mulberry32(options.seed);
  let ruleNumber = 0;
  const nextRule = (topic: string, act: string, severity: Rule['severity']) => makeRule(ruleNumber++, topic, act, severity, random);
  const scans = SCAN_KINDS.map((k) => nextRule(pick(TOPICS, random), k, 'warning'));
  const noise = Array.from({ length: 8 }, () => nextRule(pick(TOPICS, random), pick(ACTS, random), 'info'));
  const attacks: Attack[] = [];
  for (let a = 0; a < 18; a++) {
    const topic = pick(TOPICS, random);
    const kind = a % 6 === 0 ? 'scan' : a % 6 === 1 ? 'slow' : 'plain';
    // Multi-step attacks often open with a scan shared with other attacks.
    const steps = kind === 'scan' ? [pick(scans, random)] : [...(random() < 0.5 ? [pick(scans, random)] : []), ...Array.from({ length: 1 + Math.floor(random() * 3) }, () => nextRule(topic, pick(ACTS, random), pick(['critical', 'error', 'warning'] as const, random)))];
    if (kind === 'scan') steps.push(nextRule(topic, `${pick(SCAN_KINDS, random)} follow up`, 'warning'));
    attacks.push({ steps, kind });
  }
  const classes = attacks.length;
  const incidents: ProblemIncident[] = [];
  const truth = new Map<string, number>();
  const alertOf = (rule: Rule, occurrences: number): ProblemAlert => ({ name: rule.code, title: `${rule.code}: ${rule.text(random)}`, occurrences });
  for (let n = 0; n < options.incidents; n++) {
    const id = `sec-${String(n).padStart(6, '0')}`;
    const openedAt = options.now - Math.floor(random() * options.days * DAY_MS);
    const host = `host-${Math.floor(random() * 400)}`;
    const noiseIn = shuffle(noise, random).slice(0, Math.floor(random() * 4));
    const noiseAlerts = noiseIn.map((r) => alertOf(r, 100 + Math.floor(random() * 50_000)));
    if (random() < options.noise) {
      const rule = nextRule(pick(TOPICS, random), `${pick(ACTS, random)} ${word(random)}`, 'info');
      incidents.push(incidentOf(id, [alertOf(rule, 1), ...noiseAlerts], { service: null, host, severity: 'info', openedAt, resolvedAt: openedAt + HOUR_MS }));
      truth.set(id, -1);
      continue;
    }
    // About one incident in six is recurring noise alone: a class per noise rule.
    if (random() < 0.16) {
      const r = zipfIndex(noise.length, 1, random);
      incidents.push(incidentOf(id, [alertOf(noise[r] as Rule, 1000 + Math.floor(random() * 100_000))], { service: null, host, severity: 'info', openedAt, resolvedAt: openedAt + 6 * HOUR_MS }));
      truth.set(id, classes + r);
      continue;
    }
    const a = zipfIndex(attacks.length, 0.8, random);
    const attack = attacks[a] as Attack;
    const steps = attack.steps.filter((_, i) => i === 0 || random() < 0.85);
    let alerts: ProblemAlert[] = steps.map((r) => alertOf(r, 1 + Math.floor(random() * 5)));
    let resolvedAt = openedAt + Math.floor(random() * 3 * HOUR_MS);
    if (attack.kind === 'scan') {
      // One alert per target host of the sweep, the same rule each time.
      const targets = 5 + Math.floor(random() * 60);
      alerts = [...Array.from({ length: targets }, () => alertOf(steps[0] as Rule, 1 + Math.floor(random() * 3))), ...alerts.slice(1)];
    }
    if (attack.kind === 'slow') {
      alerts = alerts.map((al) => ({ ...al, occurrences: al.occurrences * (500 + Math.floor(random() * 5000)) }));
      resolvedAt = openedAt + (2 + Math.floor(random() * 5)) * DAY_MS;
    }
    // Noise already firing comes first (and titles the incident) more often than not.
    const all = random() < 0.6 ? [...noiseAlerts, ...alerts] : [...alerts, ...noiseAlerts];
    incidents.push(incidentOf(id, all, { service: null, host, severity: (steps[steps.length - 1] as Rule).severity, openedAt, resolvedAt }));
    truth.set(id, a);
  }
  return { incidents, truth };
}
