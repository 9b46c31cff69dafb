/**
 * The control and weight routes of the scripted server, with SGLang's bodies: flush, abort,
 * pause/continue, sessions, and the weight-update family (disk, version, NCCL group + buckets;
 * a scripted engine receives no tensors, so NCCL calls are checked, recorded and versioned).
 */
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MEMORY_TAGS, type MemoryTag, type ScriptedEngine } from './scripted-engine.ts';
import { openAiError, requireField, sendEmpty, sendJson, sendText } from '../server/server-http.ts';
import type { PauseMode } from '../../protocol/sglang-types.ts';

export interface Route {
  methods: string[];
  handle: (req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>) => Promise<void> | void;
}

const FLUSH_OK = 'Cache flushed.\nPlease check backend logs for more details. (When there are running or waiting requests, the operation will not be performed.)\n';
const FLUSH_BUSY = 'Cache not flushed. Please check backend logs for more details. (When there are running or waiting requests, the operation will not be performed.)\n';
const PAUSE_MODES: readonly PauseMode[] = ['abort', 'retract', 'in_place'];

/** `tags` of the memory routes: omitted or empty means all; anything else named is a 400. */
function memoryTags(res: ServerResponse, body: Record<string, unknown>): MemoryTag[] | undefined {
  const tags = body.tags ?? [];
  if (!Array.isArray(tags) || tags.some((t) => !MEMORY_TAGS.includes(t as MemoryTag))) {
    sendJson(res, 400, { error: { message: `tags must be a list of ${MEMORY_TAGS.join(', ')}; got ${JSON.stringify(body.tags)}` } });
    return undefined;
  }
  return tags as MemoryTag[];
}

export function controlRoutes(engine: ScriptedEngine): Record<string, Route> {
  const groups = new Set<string>();
  return {
    '/release_memory_occupation': {
      methods: ['GET', 'POST'],
      handle: (_q, res, body) => {
        const tags = memoryTags(res, body);
        if (!tags) return;
        if (!engine.releaseMemory(tags)) return sendJson(res, 400, { error: { message: 'Cannot release memory while requests are running; pause generation first.' } });
        sendJson(res, 200, null);
      },
    },
    '/resume_memory_occupation': {
      methods: ['GET', 'POST'],
      handle: (_q, res, body) => {
        const tags = memoryTags(res, body);
        if (!tags) return;
        engine.resumeMemory(tags);
        sendJson(res, 200, null);
      },
    },
    '/flush_cache': { methods: ['GET', 'POST'], handle: (_q, res) => (engine.flushCache() ? sendText(res, 200, FLUSH_OK) : sendText(res, 400, FLUSH_BUSY)) },
    '/abort_request': {
      methods: ['POST'],
      handle: (_q, res, body) => {
        engine.abort(typeof body.rid === 'string' ? body.rid : '', body.abort_all === true, typeof body.abort_message === 'string' ? body.abort_message : 'Aborted');
        sendEmpty(res);
      },
    },
    '/pause_generation': {
      methods: ['POST'],
      handle: async (_q, res, body) => {
        const mode = (body.mode ?? 'abort') as PauseMode;
        if (!PAUSE_MODES.includes(mode)) return openAiError(res, 400, `Invalid pause mode '${String(body.mode)}'; expected abort, retract or in_place`, 'Bad Request');
        await engine.pauseGeneration(mode);
        sendJson(res, 200, { message: 'Generation paused successfully.', status: 'ok' });
      },
    },
    '/continue_generation': {
      methods: ['POST'],
      handle: (_q, res) => {
        engine.continueGeneration();
        sendJson(res, 200, { message: 'Generation continued successfully.', status: 'ok' });
      },
    },
    '/open_session': {
      methods: ['GET', 'POST'],
      handle: (_q, res, body) => {
        if (!requireField(res, body, 'capacity_of_str_len', 'number')) return;
        if (body.streaming === true) return sendJson(res, 400, { error: { message: 'Streaming sessions need --enable-streaming-session.' } });
        const id = engine.sessions.open(typeof body.session_id === 'string' ? body.session_id : undefined, typeof body.timeout === 'number' ? body.timeout : undefined);
        if (id === undefined)
          return sendJson(res, 400, { error: { message: 'Failed to open the session. Check if a session with the same id is still open.' } });
        sendJson(res, 200, id);
      },
    },
    '/close_session': {
      methods: ['GET', 'POST'],
      handle: (_q, res, body) => {
        if (typeof body.session_id === 'string') engine.sessions.close(body.session_id);
        sendEmpty(res);
      },
    },
    '/update_weights_from_disk': {
      methods: ['POST'],
      handle: async (_q, res, body) => {
        if (!requireField(res, body, 'model_path', 'string')) return;
        if (!existsSync(body.model_path as string))
          return sendJson(res, 400, { success: false, message: `Failed to update weights: model path '${String(body.model_path)}' does not exist.`, num_paused_requests: 0 });
        const version = await engine.updateWeights(typeof body.weight_version === 'string' ? body.weight_version : undefined, body.abort_all_requests === true);
        sendJson(res, 200, { success: true, message: `Succeeded to update model weights. Weight version updated to ${version}.`, num_paused_requests: 0 });
      },
    },
    '/update_weight_version': {
      methods: ['POST'],
      handle: async (_q, res, body) => {
        if (!requireField(res, body, 'new_version', 'string')) return;
        const version = await engine.updateWeights(body.new_version as string, body.abort_all_requests !== false);
        sendJson(res, 200, { success: true, message: `Weight version updated to ${version}`, new_version: version });
      },
    },
    '/init_weights_update_group': {
      methods: ['POST'],
      handle: (_q, res, body) => {
        for (const [field, type] of [['master_address', 'string'], ['master_port', 'number'], ['rank_offset', 'number'], ['world_size', 'number']] as const)
          if (!requireField(res, body, field, type)) return;
        groups.add(typeof body.group_name === 'string' ? body.group_name : 'weight_update_group');
        engine.emit('weights-group', body);
        sendJson(res, 200, { success: true, message: 'Succeeded to initialize custom process group.' });
      },
    },
    '/update_weights_from_distributed': {
      methods: ['POST'],
      handle: async (_q, res, body) => {
        for (const field of ['names', 'dtypes', 'shapes'] as const) if (!requireField(res, body, field, 'array')) return;
        const [names, dtypes, shapes] = [body.names, body.dtypes, body.shapes] as unknown[][];
        if (names!.length !== dtypes!.length || names!.length !== shapes!.length)
          return sendJson(res, 400, { success: false, message: `names, dtypes and shapes differ in length (${names!.length}, ${dtypes!.length}, ${shapes!.length})` });
        const group = typeof body.group_name === 'string' ? body.group_name : 'weight_update_group';
        if (!groups.has(group)) return sendJson(res, 400, { success: false, message: `Process group '${group}' is not initialized; call /init_weights_update_group first.` });
        // No tensors arrive here (no NCCL in a scripted engine): the call is recorded and versioned.
        engine.emit('weights-bucket', body);
        const version = await engine.updateWeights(typeof body.weight_version === 'string' ? body.weight_version : undefined, body.abort_all_requests === true);
        sendJson(res, 200, { success: true, message: `Succeeded to update parameter online. Weight version updated to ${version}.` });
      },
    },
    '/destroy_weights_update_group': {
      methods: ['POST'],
      handle: (_q, res, body) => {
        groups.delete(typeof body.group_name === 'string' ? body.group_name : 'weight_update_group');
        sendJson(res, 200, { success: true, message: 'Succeeded to destroy custom process group.' });
      },
    },
  };
}
