import { describe, expect, it } from 'vitest';
import { labelKey } from '../bench/storm/generate.js';
import { generateSecurityStorm } from '../bench/storm/security.js';

const small = { seed: 7, days: 4, hosts: 60, scansPerDay: 3, attacksPerDay: 3, exfiltrations: 1, noiseBurstsPerDay: 5, singlesPerDay: 30 };
const storm = generateSecurityStorm(small);

describe('security alert stream', () => {
  it('is the same for the same seed and differs for another', () => {
    expect(JSON.stringify(generateSecurityStorm(small).episodes)).toBe(JSON.stringify(storm.episodes));
    expect(JSON.stringify(generateSecurityStorm({ ...small, seed: 8 }).episodes)).not.toBe(JSON.stringify(storm.episodes));
  });

  it('never overlaps two episodes of one label set', () => {
    const last = new Map<string, number>();
    for (const e of storm.episodes) {
      const key = labelKey(e.labels);
      expect(e.startsAt, key).toBeGreaterThan(last.get(key) ?? -Infinity);
      last.set(key, e.endsAt);
    }
  });

  it('holds every kind of fault, with rule codes for names and no service label', () => {
    expect(new Set(storm.faults.map((f) => f.kind))).toEqual(new Set(['scan', 'attack', 'exfiltration', 'burst', 'single']));
    expect(storm.episodes.every((e) => e.labels.service === undefined && e.labels.host !== undefined)).toBe(true);
    const names = new Set(storm.episodes.map((e) => e.labels.alertname));
    expect([...names].some((n) => /^\d+$/.test(n as string))).toBe(true);
    expect([...names].some((n) => /^[A-Z]+-[A-Z]+-\d+$/.test(n as string))).toBe(true);
    expect([...names].some((n) => /^[a-z]+\.[a-z]+\./.test(n as string))).toBe(true);
  });

  it('makes a scan one fault over many hosts from one address, and the exfiltration last days', () => {
    const scan = storm.episodes.filter((e) => e.faultId === storm.faults.find((f) => f.kind === 'scan')?.id);
    expect(new Set(scan.map((e) => e.labels.host)).size).toBeGreaterThanOrEqual(10);
    expect(new Set(scan.map((e) => e.labels.src_ip)).size).toBe(1);
    const exfil = storm.episodes.filter((e) => e.faultId === storm.faults.find((f) => f.kind === 'exfiltration')?.id);
    expect(Math.max(...exfil.map((e) => e.endsAt)) - Math.min(...exfil.map((e) => e.startsAt))).toBeGreaterThan(48 * 3_600_000);
  });
});
