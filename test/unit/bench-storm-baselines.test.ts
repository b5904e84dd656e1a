import { describe, expect, it } from 'vitest';
import { groupAlertmanagerStyle, groupByHost, groupByServiceLabel, type BaselineEpisode } from '../bench/storm/baselines.js';

const MIN = 60_000;
const ep = (labels: Record<string, string>, start: number, end: number): BaselineEpisode => ({ labels, startsAt: start * MIN, endsAt: end * MIN });
const cpu = (instance: string) => ({ alertname: 'HostHighCpuLoad', instance });

describe('Alertmanager-style group_by [alertname, instance]', () => {
  it('groups the same alertname and instance while activity is contiguous within 5 minutes', () => {
    const groups = groupAlertmanagerStyle([ep(cpu('a:9100'), 0, 10), ep(cpu('a:9100'), 14, 20), ep(cpu('a:9100'), 26, 30)]);
    // 14 is 4 min after the first ended; 26 is 6 min after the second ended.
    expect(groups[0]).toBe(groups[1]);
    expect(groups[2]).not.toBe(groups[1]);
  });

  it('keeps a group open while a member is still firing', () => {
    const groups = groupAlertmanagerStyle([ep(cpu('a:9100'), 0, 60), ep(cpu('a:9100'), 5, 6), ep(cpu('a:9100'), 50, 55)]);
    expect(new Set(groups).size).toBe(1);
  });

  it('separates other instances and other alertnames', () => {
    const groups = groupAlertmanagerStyle([ep(cpu('a:9100'), 0, 10), ep(cpu('b:9100'), 1, 10), ep({ alertname: 'NodeDown', instance: 'a:9100' }, 2, 10)]);
    expect(new Set(groups).size).toBe(3);
  });

  it('answers in input order whatever the order of starts', () => {
    const groups = groupAlertmanagerStyle([ep(cpu('a:9100'), 30, 31), ep(cpu('a:9100'), 0, 1)]);
    expect(groups).toEqual([1, 0]);
  });
});

describe('group by service label', () => {
  it('groups different alerts of one service within 10 minutes', () => {
    const groups = groupByServiceLabel([
      ep({ alertname: 'HighLatency', service: 'checkout', instance: 'a:8080' }, 0, 5),
      ep({ alertname: 'HighErrorRate', service: 'checkout' }, 14, 20),
      ep({ alertname: 'HighErrorRate', service: 'checkout' }, 31, 32),
      ep({ alertname: 'HighLatency', service: 'payments', instance: 'a:8080' }, 1, 5),
    ]);
    expect(groups[0]).toBe(groups[1]);
    expect(groups[2]).not.toBe(groups[1]);
    expect(groups[3]).not.toBe(groups[0]);
  });

  it('falls back to alertname and instance without a service label', () => {
    const groups = groupByServiceLabel([ep(cpu('a:9100'), 0, 5), ep(cpu('a:9100'), 12, 13), ep(cpu('b:9100'), 0, 5)]);
    expect(groups[0]).toBe(groups[1]);
    expect(groups[2]).not.toBe(groups[0]);
  });
});

describe('group by host with a 10-minute gap', () => {
  it('groups every alert of a host while its activity is contiguous, whatever the alert', () => {
    const groups = groupByHost([
      ep({ alertname: 'A', host: 'h1' }, 0, 5),
      ep({ alertname: 'B', instance: 'h1:9100' }, 12, 14),
      ep({ alertname: 'C', host: 'h1' }, 30, 31),
      ep({ alertname: 'A', host: 'h2' }, 1, 2),
    ]);
    // 12 is 7 min after the first ended; 30 is 16 min after the second.
    expect(groups[0]).toBe(groups[1]);
    expect(groups[2]).not.toBe(groups[1]);
    expect(groups[3]).not.toBe(groups[0]);
  });

  it('falls back to alertname + instance without a host', () => {
    const groups = groupByHost([ep({ alertname: 'A' }, 0, 1), ep({ alertname: 'B' }, 0, 1), ep({ alertname: 'A' }, 2, 3)]);
    expect(groups).toEqual([0, 1, 0]);
  });
});
