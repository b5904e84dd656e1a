/** @module What routes find on the Hono context. */
import type { Principal } from '../services/tokens.js';

export interface AppEnv {
  Variables: {
    requestId: string;
    principal: Principal;
  };
}
