/** @module Cluster API: which replica answered, and which one leads (runs the correlator and the periodic jobs). */
import { Hono } from 'hono';
import type { Leadership } from '../../services/leadership.js';
import type { Authenticator } from '../../services/tokens.js';
import { requireScope } from '../auth.js';
import type { AppEnv } from '../env.js';
import { iso } from '../present.js';

export function clusterRoutes(deps: { leadership: Leadership; authenticator: Authenticator }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/api/v1/cluster', requireScope(deps.authenticator, 'read'), async (c) => {
    const view = await deps.leadership.describe();
    const lease = view.lease;
    return c.json({
      mode: view.mode,
      replica: { id: view.replicaId, leader: view.leader },
      leader: lease
        ? {
            replicaId: lease.holder,
            epoch: lease.epoch,
            acquiredAt: iso(lease.acquiredAt),
            renewedAt: iso(lease.renewedAt),
            expiresAt: iso(lease.expiresAt),
            expired: lease.holder === null || lease.expiresAt <= lease.databaseNow,
          }
        : view.mode === 'single-process'
          ? { replicaId: view.replicaId, epoch: null, acquiredAt: null, renewedAt: null, expiresAt: null, expired: false }
          : null,
    });
  });

  return app;
}
