// Dependency rules as code (docs/architecture.md, "Layers"): no import cycles, and imports point
// down the layer list only. `npm run lint` runs this over src, tools, sandboxes and envs;
// tests/lint/dependency-rules.test.ts proves it catches a cycle and an upward import.

/** Each room and the rooms it may import (besides itself). Type-only imports count too. */
const LAYERS = {
  'src/protocol': [],
  'src/chat': ['src/protocol'],
  'src/engine': ['src/protocol', 'src/chat'],
  sandboxes: ['src/protocol'],
  'src/env': ['src/protocol', 'src/chat', 'src/engine'],
  tools: ['src/protocol', 'src/chat', 'src/env', 'sandboxes'],
  'src/rollout': ['src/protocol', 'src/chat', 'src/engine', 'src/env', 'sandboxes', 'tools'],
  'src/buffer': ['src/protocol', 'src/chat', 'src/engine', 'src/env', 'sandboxes', 'tools', 'src/rollout'],
  'src/driver': ['src/protocol', 'src/chat', 'src/engine', 'src/env', 'sandboxes', 'tools', 'src/rollout', 'src/buffer'],
  'src/view': ['src/protocol', 'src/chat', 'src/engine', 'src/env', 'sandboxes', 'tools', 'src/rollout', 'src/buffer', 'src/driver'],
  'src/cli': ['src/protocol', 'src/chat', 'src/engine', 'src/env', 'sandboxes', 'tools', 'src/rollout', 'src/buffer', 'src/driver', 'src/view'],
  // Example envs use the public seam (src/index.ts, src/testing.ts) and anything below the CLI.
  envs: ['src/index.ts', 'src/testing.ts', 'src/protocol', 'src/chat', 'src/engine', 'src/env', 'sandboxes', 'tools', 'src/rollout', 'src/buffer'],
};

const escape = (path) => path.replace(/[.]/g, '\\.');

const layerRules = Object.entries(LAYERS).map(([room, allowed]) => ({
  name: `layer:${room}`,
  comment: `${room} may import only ${allowed.length ? allowed.join(', ') : 'nothing else in the project'} (docs/architecture.md)`,
  severity: 'error',
  from: { path: `^${escape(room)}/` },
  to: { path: '^(src|tools|sandboxes|envs)/', pathNot: `^(${[room, ...allowed].map(escape).join('|')})(/|$)` },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'an import cycle ties modules into one; break it by moving the shared piece down',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|\\.cache|\\.venv)/' },
    tsPreCompilationDeps: true,
    moduleSystems: ['es6', 'cjs'],
  },
};
