/** The service catalogue in the configuration file is reloadable: SIGHUP applies it to the running server. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir, startSightline, stopAllProcesses, waitFor } from '../helpers/processes.js';

afterAll(async () => {
  await stopAllProcesses();
});

describe('service catalogue reload', () => {
  it('applies the file’s services on SIGHUP and keeps the catalogue when the file is invalid', { timeout: 60_000 }, async () => {
    const file = path.join(makeTempDir('reload'), 'sightline.yaml');
    writeFileSync(file, 'services:\n  - { name: payments, tier: 1 }\n');
    const server = await startSightline({ env: { SIGHTLINE_CONFIG: file, SIGHTLINE_LOG_LEVEL: 'info' } });
    const names = async () => ((await server.getJson('/api/v1/services')).items as { name: string }[]).map((s) => s.name).sort();
    expect(await names()).toEqual(['payments']);

    writeFileSync(file, 'services:\n  - { name: payments, tier: 1, dependsOn: [postgres] }\n  - { name: postgres, tier: 1, match: { hosts: [db-1] } }\n');
    server.proc.child.kill('SIGHUP');
    await waitFor('the reloaded catalogue', async () => ((await names()).length === 2 ? true : null));
    const payments = (await server.getJson('/api/v1/services')).items.find((s: { name: string }) => s.name === 'payments');
    expect(payments).toMatchObject({ dependsOn: ['postgres'], origin: 'config' });

    // An invalid file is reported and changes nothing; the server keeps running.
    writeFileSync(file, 'services:\n  - { name: broken, tier: 9 }\n');
    server.proc.child.kill('SIGHUP');
    await waitFor('the reload error in the log', () => (server.proc.output().includes('reload: invalid configuration') ? true : null));
    expect(await names()).toEqual(['payments', 'postgres']);
  });
});
