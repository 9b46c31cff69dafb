// Test doubles, public as 'physarum/test' so users can test their own envs without a model: a
// scripted server that speaks SGLang's protocol, and the script (policy) it replies from.
export { startScriptedServer, type ScriptedServer, type ScriptedServerOptions } from './engine/scripted/server.ts';
export { loadScript, parseScript, ScriptedReplies, ScriptedPolicy, ScriptedEpisode, type ScriptChoice } from './engine/scripted/policy.ts';
