/** @module Who is signed in to the web UI, as every page sees it (set by the session middleware). */
import type { Principal } from '../services/tokens.js';

export interface UiContext {
  principal: Principal;
  sessionId: string;
  csrf: string;
  canWrite: boolean;
}
