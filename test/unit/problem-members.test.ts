/**
 * Problem candidates built from all the member alerts of incidents: two faults of one system
 * whose lines share most words stay apart, an attack is not lost behind the noise alert that
 * titles its incidents, and rule names in any style are tokenised.
 */
import { describe, expect, it } from 'vitest';
import type { ProblemAlert, ProblemIncident } from '../../server/src/domain/problem.js';
import { clusterProblemCandidates } from '../../server/src/problems/candidates.js';
import { alertnameTokens, ruleNameTerms } from '../../server/src/problems/mask.js';
import { ruleNameOfTitle } from '../../server/src/db/problems-repo.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2025, 5, 1);

function incident(id: string, n: number, alerts: ProblemAlert[], service: string | null = 'dfs'): ProblemIncident {
  const first = alerts[0] as ProblemAlert;
  return { id, title: first.title, alertname: first.name, summary: '', service, host: `node-${n % 7}`, severity: 'error', openedAt: NOW - n * DAY, resolvedAt: NOW - n * DAY + 600_000, downtimeMs: null, alerts };
}

const line = (name: string, title: string, occurrences = 1): ProblemAlert => ({ name, title: `${name}: ${title}`, occurrences });
const ip = (n: number) => `10.0.${n % 250}.${(n * 7) % 250}`;

/** Each fault: the same first line, and a line that differs from the other fault's by one word. */
function dfsFaults(count: number): { incidents: ProblemIncident[]; truth: Map<string, string> } {
  const incidents: ProblemIncident[] = [];
  const truth = new Map<string, string>();
  for (let n = 0; n < count; n++) {
    const fault = n % 2 === 0 ? 'terminating' : 'interrupted';
    const id = `dfs-${String(n).padStart(3, '0')}`;
    incidents.push(
      incident(id, n, [
        line('dfs.DataNode', `Receiving block blk_${1000 + n} src: /${ip(n)} dest: /${ip(n + 1)}`),
        line('dfs.DataNode', `PacketResponder ${n % 3} for block blk_${2000 + n} ${fault}`),
        ...(n % 3 === 0 ? [line('dfs.DataNode', `Served block blk_${3000 + n} to /${ip(n + 2)}`)] : []),
      ]),
    );
    truth.set(id, fault);
  }
  return { incidents, truth };
}

function classesOf(candidates: { memberIds: string[] }[], truth: ReadonlyMap<string, string>): string[][] {
  return candidates.map((c) => [...new Set(c.memberIds.map((m) => truth.get(m) as string))].sort()).sort();
}

describe('problem candidates from member alerts', () => {
  it('keeps two faults apart when their distinguishing line differs though most words match', () => {
    const { incidents, truth } = dfsFaults(24);
    const { candidates } = clusterProblemCandidates(incidents, { now: NOW, seed: 1 });
    expect(classesOf(candidates, truth)).toEqual([['interrupted'], ['terminating']]);
    expect(candidates.map((c) => c.count).sort()).toEqual([12, 12]);
  });

  it('cuts a k-means cluster where its incidents log different lines', () => {
    const { incidents, truth } = dfsFaults(24);
    const other = dfsFaults(12).incidents.map((i, n) => ({ ...i, id: `kv-${n}`, service: 'kv', alerts: (i.alerts as ProblemAlert[]).map((a) => ({ ...a, name: 'kv.Store', title: a.title.replace('dfs.DataNode', 'kv.Store').replace(/block/g, 'region') })) }));
    for (const i of other) truth.set(i.id, `kv ${truth.get(i.id.replace('kv-', 'dfs-').replace(/-(\d+)$/, (_, d) => `-${d.padStart(3, '0')}`))}`);
    // Two clusters at most: k-means can only tell the systems apart.
    const { candidates, stats } = clusterProblemCandidates([...incidents, ...other], { now: NOW, seed: 1, options: { clustering: { maxClusters: 2 } } });
    expect(stats.clusters).toBe(2);
    expect(classesOf(candidates, truth)).toEqual([['interrupted'], ['kv interrupted'], ['kv terminating'], ['terminating']]);
  });

  it('finds the attack behind the noise alert that titles most of its incidents', () => {
    const noise = (n: number) => line('ET-POLICY-CURL-UA', `curl user agent from ${ip(n)}`, 20_000);
    const brute = (n: number) => line('5710', `sshd: attempt to login using a non-existent user from ${ip(n)}`);
    const escalate = (n: number) => line('hids.sudo.root_shell', `sudo to root shell by user${n} on host`);
    const exfil = (n: number) => line('ET-EXFIL-DNS-TUNNEL', `dns tunnel to rare domain from ${ip(n)}`, 5000);
    const incidents: ProblemIncident[] = [];
    const truth = new Map<string, string>();
    for (let n = 0; n < 30; n++) {
      const kind = n % 3 === 0 ? 'brute' : n % 3 === 1 ? 'exfil' : 'noise';
      const id = `sec-${String(n).padStart(3, '0')}`;
      const steps = kind === 'brute' ? [brute(n), escalate(n)] : kind === 'exfil' ? [exfil(n)] : [];
      // The noise alert is already firing: it opens (and titles) every incident.
      incidents.push(incident(id, n, [noise(n), ...steps], null));
      truth.set(id, kind);
    }
    const { candidates } = clusterProblemCandidates(incidents, { now: NOW, seed: 1 });
    expect(classesOf(candidates, truth)).toEqual([['brute'], ['exfil'], ['noise']]);
  });

  it('leaves incidents known only by their title as they were: one alert, no signature block', () => {
    const { incidents, truth } = dfsFaults(12);
    const titled = incidents.map(({ alerts: _alerts, ...rest }) => rest);
    const { candidates } = clusterProblemCandidates(titled, { now: NOW, seed: 1 });
    // By their titles alone, both faults read the same: one candidate.
    expect(classesOf(candidates, truth)).toEqual([['interrupted', 'terminating']]);
  });

  it('tokenises rule names and codes in any style', () => {
    expect(alertnameTokens('ET-SCAN-NMAP-OS-DETECTION')).toEqual(['et', 'scan', 'nmap', 'os', 'detection']);
    expect(alertnameTokens('hids.syscheck.file_modified')).toEqual(['hids', 'syscheck', 'file', 'modified']);
    expect(ruleNameTerms('5710')).toEqual(['alertname=5710']);
    expect(ruleNameTerms('KubePodCrashLooping')).toEqual(['kube', 'pod', 'crash', 'looping', 'alertname=kubepodcrashlooping']);
    expect(ruleNameOfTitle('5710: sshd: attempt to login')).toBe('5710');
    expect(ruleNameOfTitle('ET-SCAN-NMAP: probe from 10.0.0.1')).toBe('ET-SCAN-NMAP');
    expect(ruleNameOfTitle('hids.syscheck.changed: /etc/passwd')).toBe('hids.syscheck.changed');
    expect(ruleNameOfTitle('Disk almost full on db-1')).toBeNull();
  });
});
