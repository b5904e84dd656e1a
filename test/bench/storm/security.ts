/**
 * @module A seeded intrusion-detection / host-monitoring alert stream with ground truth, the
 * second profile of the correlation benchmark. Shaped like a security team's feed rather than
 * a service's: no `service` label, hosts named by address, alert names that are rule codes —
 * numeric (`5710`, `31101`), hyphenated (`ET-SCAN-2001219`), dotted (`sysmon.proc.create`) —
 * and labels naming the actors (`src_ip`, `dst_ip`, `user`, `process`, `domain`).
 *
 * Faults (each one a truth group):
 * - scans: one outside address probes many hosts within minutes (one or two scan rules per
 *   host, sometimes an ssh login failure from the same address);
 * - multi-step attacks on one host: brute force, a login, sudo, a dropped process, persistence,
 *   the process calling out, the IDS seeing the callback; minutes apart, with unrelated alerts
 *   on the same host in between;
 * - a slow exfiltration: a connection alert that keeps firing for days, DNS tunnelling alerts
 *   re-firing every few minutes, large uploads now and then, all from one host;
 * - repeated noise: one rule on one host firing again and again for a while (a burst is one
 *   truth group), and admins' sudo and logins from the jump host on many hosts;
 * - single alerts of every family on random hosts.
 *
 * Summaries carry the numbers and addresses that change; labels do not. One label set never
 * has two overlapping episodes (a later one is dropped, as a sender would not see it twice).
 */
import { Random } from './random.js';
import { labelKey, type Labels, type Storm, type StormEpisode, type StormFault } from './generate.js';

export interface SecurityOptions {
  seed: number;
  days: number;
  hosts: number;
  scansPerDay: number;
  attacksPerDay: number;
  /** Slow exfiltrations over the whole run. */
  exfiltrations: number;
  noiseBurstsPerDay: number;
  singlesPerDay: number;
  start?: number;
}

export const DEFAULT_SECURITY: Required<SecurityOptions> = {
  seed: 20_261_208,
  days: 5,
  hosts: 120,
  scansPerDay: 8,
  attacksPerDay: 8,
  exfiltrations: 1,
  noiseBurstsPerDay: 30,
  singlesPerDay: 150,
  start: Date.parse('2026-11-16T00:00:00.000Z'),
};

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

const outside = (r: Random) => `${r.pick([45, 61, 89, 103, 185, 193, 198])}.${r.int(1, 254)}.${r.int(1, 254)}.${r.int(1, 254)}`;
const JUMP_HOST = '10.0.0.5';
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'oscar', 'peggy', 'trent', 'walter'];
const ADMINS = ['admin-ops', 'admin-db', 'admin-net'];
const BAD_NAMES = ['test', 'oracle', 'ubuntu', 'pi', 'git', 'postgres', 'ftp', 'guest'];
const DROPPED = ['/tmp/.x/kworkerd', '/dev/shm/.cache/sshd-helper', '/var/tmp/.update/systemd-net', '/tmp/.ICE-unix/dbus-launch'];

interface Rule {
  alertname: string;
  severity: string;
  summary(r: Random, l: Labels): string;
}

const RULES = {
  nmap: { alertname: 'ET-SCAN-2001219', severity: 'warning', summary: (r: Random, l: Labels) => `ET SCAN Potential SSH Scan from ${l.src_ip} to ${l.dst_ip}:22 (${r.int(5, 60)} SYNs)` },
  mysqlScan: { alertname: 'ET-SCAN-2010937', severity: 'warning', summary: (r: Random, l: Labels) => `ET SCAN Suspicious inbound to mySQL port 3306 from ${l.src_ip} (${r.int(3, 40)} packets)` },
  vncScan: { alertname: 'ET-SCAN-2002911', severity: 'warning', summary: (r: Random, l: Labels) => `ET SCAN Potential VNC Scan 5900-5920 from ${l.src_ip} (${r.int(3, 40)} packets)` },
  sshInvalidUser: { alertname: '5710', severity: 'notice', summary: (r: Random, l: Labels) => `sshd: Attempt to login using a non-existent user ${l.user} from ${l.src_ip} port ${r.int(30000, 65000)}` },
  sshBrute: { alertname: '5712', severity: 'warning', summary: (r: Random, l: Labels) => `sshd: brute force trying to get access to the system, ${r.int(8, 400)} failures from ${l.src_ip}` },
  sshLogin: { alertname: '5715', severity: 'notice', summary: (r: Random, l: Labels) => `sshd: authentication success for ${l.user} from ${l.src_ip} port ${r.int(30000, 65000)}` },
  sudo: { alertname: '5402', severity: 'notice', summary: (r: Random, l: Labels) => `Successful sudo to ROOT executed by ${l.user}: COMMAND=/bin/${r.pick(['bash', 'sh', 'systemctl', 'apt'])}` },
  procCreate: { alertname: 'sysmon.proc.create', severity: 'warning', summary: (r: Random, l: Labels) => `Process ${l.process} (pid ${r.int(1000, 65000)}) started by ${l.user}` },
  netConnect: { alertname: 'sysmon.net.connect', severity: 'warning', summary: (r: Random, l: Labels) => `${l.process} (pid ${r.int(1000, 65000)}) connected to ${l.dst_ip}:${r.pick([443, 8443, 4444, 53])}` },
  cron: { alertname: '2833', severity: 'warning', summary: (r: Random, l: Labels) => `Crontab entry changed for user ${l.user} (${r.int(1, 4)} lines)` },
  trojan: { alertname: 'ET-TROJAN-2018358', severity: 'critical', summary: (r: Random, l: Labels) => `ET TROJAN Possible C2 beacon to ${l.dst_ip} (${r.int(3, 90)} sessions, interval ${r.int(30, 300)}s)` },
  longConn: { alertname: 'zeek.conn.long', severity: 'warning', summary: (r: Random, l: Labels) => `Long-lived connection to ${l.dst_ip}:443, ${r.int(2, 900)} MB out` },
  dnsTunnel: { alertname: 'zeek.dns.tunnel', severity: 'warning', summary: (r: Random, l: Labels) => `${r.int(200, 4000)} TXT queries to ${l.domain} with high-entropy labels (avg ${r.int(40, 63)} chars)` },
  upload: { alertname: 'ET-POLICY-2013028', severity: 'notice', summary: (r: Random, l: Labels) => `ET POLICY large outbound transfer to ${l.dst_ip}: ${r.int(50, 2000)} MB in ${r.int(2, 30)}m` },
  curlUa: { alertname: 'ET-POLICY-2013031', severity: 'info', summary: (r: Random, l: Labels) => `ET POLICY curl User-Agent outbound to ${l.dst_ip} (${r.int(1, 90)} requests)` },
  web400: { alertname: '31101', severity: 'info', summary: (r: Random, l: Labels) => `Web server 400 error code from ${l.src_ip}: GET /${r.pick(['wp-login.php', '.env', 'admin', 'phpmyadmin', 'cgi-bin/test'])} (${r.int(1, 300)} hits)` },
  web400Many: { alertname: '31151', severity: 'warning', summary: (r: Random, l: Labels) => `Multiple web server 400 error codes from ${l.src_ip} (${r.int(20, 900)} in 2m)` },
  integrity: { alertname: '550', severity: 'notice', summary: (r: Random, l: Labels) => `Integrity checksum changed for ${l.file} (size ${r.int(1000, 900000)})` },
  rootcheck: { alertname: '510', severity: 'warning', summary: (r: Random) => `Host-based anomaly detection event (rootcheck): ${r.int(1, 9)} suspicious files` },
  diskFull: { alertname: 'linux.disk.usage', severity: 'warning', summary: (r: Random) => `Filesystem /var at ${r.int(88, 99)}%` },
  oomKill: { alertname: 'linux.kernel.oom', severity: 'warning', summary: (r: Random, l: Labels) => `Out of memory: killed ${l.process} (pid ${r.int(1000, 65000)}, ${r.int(200, 8000)} MB)` },
  avUpdate: { alertname: 'av.signature.stale', severity: 'info', summary: (r: Random) => `Antivirus signatures ${r.int(2, 9)} days old` },
  auditPolicy: { alertname: 'T1562-001', severity: 'warning', summary: (r: Random, l: Labels) => `Audit policy change by ${l.user}: ${r.int(1, 5)} rules removed` },
  backupProc: { alertname: 'sysmon.proc.create', severity: 'warning', summary: (r: Random, l: Labels) => `Process ${l.process} (pid ${r.int(1000, 65000)}) started by ${l.user}` },
} satisfies Record<string, Rule>;

type Draft = { rule: Rule; labels: Labels; startsAt: number; endsAt: number };

/** Generates the security profile's stream: faults with their episodes, sorted as the default storm's. */
export function generateSecurityStorm(input: Partial<SecurityOptions> & { seed: number }): Storm {
  const options: Required<SecurityOptions> = { ...DEFAULT_SECURITY, ...input };
  const rng = new Random(options.seed);
  const hosts = Array.from({ length: options.hosts }, (_, i) => `10.0.${Math.floor(i / 50) + 1}.${(i % 50) + 10}`);
  const webHosts = hosts.slice(0, Math.ceil(hosts.length / 4));
  const end = options.start + options.days * DAY;
  const faults: StormFault[] = [];
  const episodes: StormEpisode[] = [];
  const busy = new Map<string, { startsAt: number; endsAt: number }[]>();

  const alert = (rule: Rule, host: string, extra: Labels): Labels => ({ alertname: rule.alertname, host, severity: rule.severity, ...extra });
  /** Keeps a fault's episodes that do not overlap an episode of the same label set already kept. */
  const commit = (kind: string, startsAt: number, drafts: Draft[], r: Random) => {
    const id = `${kind}-${faults.length}`;
    const kept: StormEpisode[] = [];
    for (const d of drafts) {
      if (d.startsAt >= end) continue;
      const key = labelKey(d.labels);
      const taken = busy.get(key) ?? [];
      if (taken.some((t) => d.startsAt < t.endsAt + SEC && t.startsAt < d.endsAt + SEC)) continue;
      taken.push({ startsAt: d.startsAt, endsAt: d.endsAt });
      busy.set(key, taken);
      kept.push({ faultId: id, labels: d.labels, annotations: { summary: d.rule.summary(r, d.labels) }, startsAt: d.startsAt, endsAt: Math.min(d.endsAt, end + DAY), service: null, role: kind === 'single' || kind === 'burst' ? 'noise' : 'root', hops: 0 });
    }
    if (kept.length === 0) return;
    faults.push({ id, kind, rootService: null, startsAt, recurrenceOf: null });
    episodes.push(...kept);
  };
  const when = (r: Random) => options.start + Math.floor(r.next() * options.days * DAY);

  // Scans: one outside address over many hosts within minutes.
  const scans = rng.fork('scans');
  for (let i = 0; i < options.scansPerDay * options.days; i++) {
    const at = when(scans);
    const src = outside(scans);
    const rules = scans.sample([RULES.nmap, RULES.mysqlScan, RULES.vncScan], scans.int(1, 2));
    const span = scans.int(3, 20) * MIN;
    const drafts: Draft[] = [];
    for (const host of scans.sample(hosts, scans.int(15, 60))) {
      const t = at + Math.floor(scans.next() * span);
      for (const rule of rules) drafts.push({ rule, labels: alert(rule, host, { src_ip: src, dst_ip: host }), startsAt: t + scans.int(0, 30) * SEC, endsAt: t + scans.int(1, 5) * MIN });
      if (scans.chance(0.15)) {
        const user = scans.pick(BAD_NAMES);
        drafts.push({ rule: RULES.sshInvalidUser, labels: alert(RULES.sshInvalidUser, host, { src_ip: src, user }), startsAt: t + scans.int(20, 90) * SEC, endsAt: t + scans.int(2, 6) * MIN });
      }
    }
    commit('scan', at, drafts, scans);
  }

  // Multi-step attacks on one host, with unrelated alerts on the same host in between.
  const attacks = rng.fork('attacks');
  for (let i = 0; i < options.attacksPerDay * options.days; i++) {
    let t = when(attacks);
    const started = t;
    const host = attacks.pick(hosts);
    const src = outside(attacks);
    const user = attacks.pick(USERS);
    const process = attacks.pick(DROPPED);
    const c2 = outside(attacks);
    const drafts: Draft[] = [];
    const step = (rule: Rule, extra: Labels, minGap: number, maxGap: number) => {
      t += attacks.int(minGap * 60, maxGap * 60) * SEC;
      drafts.push({ rule, labels: alert(rule, host, extra), startsAt: t, endsAt: t + attacks.int(1, 8) * MIN });
    };
    for (const bad of attacks.sample(BAD_NAMES, attacks.int(1, 3))) step(RULES.sshInvalidUser, { src_ip: src, user: bad }, 0, 1);
    step(RULES.sshBrute, { src_ip: src }, 0, 2);
    step(RULES.sshLogin, { src_ip: src, user }, 1, 6);
    if (attacks.chance(0.8)) step(RULES.sudo, { user }, 1, 8);
    step(RULES.procCreate, { user, process }, 1, 8);
    if (attacks.chance(0.6)) step(RULES.cron, { user }, 1, 8);
    if (attacks.chance(0.4)) step(RULES.auditPolicy, { user }, 1, 6);
    step(RULES.netConnect, { user, process, dst_ip: c2 }, 1, 8);
    step(RULES.trojan, { src_ip: host, dst_ip: c2 }, 0, 3);
    commit('attack', started, drafts, attacks);
    // Unrelated alerts on the same host while the attack goes on: each a fault of its own.
    for (let k = attacks.int(1, 3); k > 0; k--) {
      const at = started + attacks.int(0, Math.max(1, Math.round((t - started) / MIN))) * MIN;
      const pick = attacks.pick(['disk', 'integrity', 'backup', 'web', 'av', 'oom'] as const);
      const rule = { disk: RULES.diskFull, integrity: RULES.integrity, backup: RULES.backupProc, web: RULES.web400, av: RULES.avUpdate, oom: RULES.oomKill }[pick];
      const extra: Labels =
        pick === 'integrity'
          ? { file: attacks.pick(['/etc/passwd', '/etc/hosts', '/usr/bin/python3', '/etc/ssl/certs/ca.pem']) }
          : pick === 'backup'
            ? { user: 'backup', process: '/usr/bin/rsync' }
            : pick === 'web'
              ? { src_ip: outside(attacks) }
              : pick === 'oom'
                ? { process: attacks.pick(['java', 'postgres', 'node']) }
                : {};
      commit('single', at, [{ rule, labels: alert(rule, host, extra), startsAt: at, endsAt: at + attacks.int(1, 20) * MIN }], attacks);
    }
  }

  // Slow exfiltration: a connection that keeps firing for days, DNS tunnelling re-firing every
  // few minutes, large uploads now and then.
  const exfil = rng.fork('exfil');
  for (let i = 0; i < options.exfiltrations; i++) {
    const host = exfil.pick(hosts.slice(Math.ceil(hosts.length / 4)));
    const dst = outside(exfil);
    const domain = `${exfil.pick(['cdn', 'api', 'static', 'telemetry'])}-${exfil.int(100, 999)}.${exfil.pick(['example-sync.net', 'upd4te.info', 'cloudfiles.top'])}`;
    const at = options.start + exfil.int(6, 30) * HOUR;
    const until = Math.min(end - HOUR, at + exfil.int(60, 80) * HOUR);
    const drafts: Draft[] = [{ rule: RULES.longConn, labels: alert(RULES.longConn, host, { src_ip: host, dst_ip: dst, domain }), startsAt: at, endsAt: until }];
    for (let t = at + exfil.int(1, 5) * MIN; t < until; ) {
      const length = exfil.int(10, 40) * MIN;
      drafts.push({ rule: RULES.dnsTunnel, labels: alert(RULES.dnsTunnel, host, { domain }), startsAt: t, endsAt: t + length });
      t += length + exfil.int(2, 8) * MIN;
    }
    for (let t = at + exfil.int(20, 60) * MIN; t < until; t += exfil.int(30, 90) * MIN) {
      drafts.push({ rule: RULES.upload, labels: alert(RULES.upload, host, { src_ip: host, dst_ip: dst }), startsAt: t, endsAt: t + exfil.int(2, 10) * MIN });
    }
    commit('exfiltration', at, drafts, exfil);
  }

  // Repeated noise: one rule on one host firing again and again for a while (one burst, one fault).
  const bursts = rng.fork('bursts');
  for (let i = 0; i < options.noiseBurstsPerDay * options.days; i++) {
    const at = when(bursts);
    const pick = bursts.pick(['web', 'curl', 'av', 'disk'] as const);
    const host = pick === 'web' ? bursts.pick(webHosts) : bursts.pick(hosts);
    const rule = { web: RULES.web400Many, curl: RULES.curlUa, av: RULES.avUpdate, disk: RULES.diskFull }[pick];
    const extra: Labels = pick === 'web' ? { src_ip: outside(bursts) } : pick === 'curl' ? { src_ip: host, dst_ip: bursts.pick(['140.82.112.3', '151.101.1.69', '104.16.0.35']) } : {};
    const drafts: Draft[] = [];
    let t = at;
    for (let n = bursts.int(3, 40); n > 0; n--) {
      const length = bursts.int(1, 4) * MIN;
      drafts.push({ rule, labels: alert(rule, host, extra), startsAt: t, endsAt: t + length });
      t += length + bursts.int(1, 4) * MIN;
    }
    commit('burst', at, drafts, bursts);
  }

  // Admins at work: sudo and logins from the jump host, each on its own.
  const admins = rng.fork('admins');
  for (let i = 0; i < 40 * options.days; i++) {
    const at = when(admins);
    const host = admins.pick(hosts);
    const user = admins.pick(ADMINS);
    const rule = admins.chance(0.5) ? RULES.sshLogin : RULES.sudo;
    commit('single', at, [{ rule, labels: alert(rule, host, rule === RULES.sshLogin ? { src_ip: JUMP_HOST, user } : { user }), startsAt: at, endsAt: at + admins.int(1, 10) * MIN }], admins);
  }

  // Single alerts of every family on random hosts.
  const singles = rng.fork('singles');
  const singleRules = [RULES.web400, RULES.integrity, RULES.rootcheck, RULES.diskFull, RULES.oomKill, RULES.avUpdate, RULES.sshInvalidUser, RULES.curlUa, RULES.backupProc, RULES.nmap];
  for (let i = 0; i < options.singlesPerDay * options.days; i++) {
    const at = when(singles);
    const host = singles.pick(hosts);
    const rule = singles.pick(singleRules);
    const extra: Labels =
      rule === RULES.web400 || rule === RULES.nmap || rule === RULES.sshInvalidUser
        ? { src_ip: outside(singles), ...(rule === RULES.sshInvalidUser ? { user: singles.pick(BAD_NAMES) } : rule === RULES.nmap ? { dst_ip: host } : {}) }
        : rule === RULES.integrity
          ? { file: singles.pick(['/etc/passwd', '/etc/hosts', '/usr/bin/python3', '/etc/ssl/certs/ca.pem', '/etc/sudoers']) }
          : rule === RULES.oomKill
            ? { process: singles.pick(['java', 'postgres', 'node', 'chrome']) }
            : rule === RULES.backupProc
              ? { user: 'backup', process: '/usr/bin/rsync' }
              : rule === RULES.curlUa
                ? { src_ip: host, dst_ip: singles.pick(['140.82.112.3', '151.101.1.69', '104.16.0.35']) }
                : {};
    commit('single', at, [{ rule, labels: alert(rule, host, extra), startsAt: at, endsAt: at + singles.int(1, 30) * MIN }], singles);
  }

  episodes.sort((a, b) => a.startsAt - b.startsAt || labelKey(a.labels).localeCompare(labelKey(b.labels)));
  return {
    options: { seed: options.seed, days: options.days, services: 0, faultsPerDay: options.scansPerDay + options.attacksPerDay, noisePerDay: options.singlesPerDay, start: options.start },
    topology: { seed: options.seed, services: [] },
    faults,
    episodes,
  };
}
