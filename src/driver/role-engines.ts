/**
 * A recipe's `rollout.roles` as the episode runner's role overrides: each role given an engine of
 * its own (a frozen opponent on another SGLang server, or any OpenAI-compatible endpoint) gets a
 * client for it, and its `trains`/`sampling` pass through. Those engines are never weight-synced,
 * so a role on one must not train (the recipe schema refuses that).
 */
import { OpenAiChatClient } from '../engine/client/openai-chat-client.ts';
import { SglangClient } from '../engine/client/sglang-client.ts';
import type { AgentRole } from '../env/agents.ts';
import { chatCompletionsClient } from '../env/chat-client.ts';
import type { RoleConfig } from './recipe.ts';

export interface RoleEngines {
  /** `RunEpisodeOptions.roles` / `envGroupGenerate({ roles })`; undefined when the recipe has none. */
  roles: Record<string, AgentRole> | undefined;
  close(): Promise<void>;
}

export function openRoleEngines(config: Readonly<Record<string, RoleConfig>> | undefined): RoleEngines {
  if (!config) return { roles: undefined, close: async () => undefined };
  const clients: Array<{ close(): Promise<void> }> = [];
  const roles: Record<string, AgentRole> = {};
  for (const [name, role] of Object.entries(config)) {
    const spec: AgentRole = {};
    if (role.trains !== undefined) spec.trains = role.trains;
    if (role.sampling) spec.sampling = role.sampling;
    if (role.engine?.api === 'chat') {
      const client = new OpenAiChatClient(role.engine.url, role.engine.model ? { model: role.engine.model } : {});
      clients.push(client);
      spec.engine = chatCompletionsClient(client);
    } else if (role.engine) {
      const client = new SglangClient(role.engine.url);
      clients.push(client);
      spec.engine = client;
    }
    roles[name] = spec;
  }
  return { roles, close: async () => void (await Promise.all(clients.map((c) => c.close()))) };
}
