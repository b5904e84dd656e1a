/** @module The agent's public surface for the `sightline agent` subcommand and tests. */
export { createAgent, runAgent, type Agent, type AgentDeps } from './agent.js';
export { agentCommand } from './cli.js';
export { AgentConfig, AGENT_ENV_VARS, loadAgentConfig, parseAgentConfig, type LoadResult } from './config.js';
export * from './contract.js';
