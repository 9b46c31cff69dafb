/**
 * What of the agent's diff the verification room refuses to carry, as git pathspecs (git in the
 * room decides what matches, the same code that applies the diff):
 *   - every file the test patch touches, and everything under the directories holding them
 *     (except the repository root): the tests are the task's, reset from base plus the test patch;
 *   - anything, anywhere, that changes how Python or pytest start rather than the code under test:
 *     conftest.py, sitecustomize.py, usercustomize.py, *.pth, pytest.ini, tox.ini, setup.cfg,
 *     pyproject.toml, a pytest.py / pytest/ / _pytest/ shadowing pytest itself;
 *   - caches: __pycache__/, *.pyc, .pytest_cache/.
 * A fix that needs one of these files is not gradable here, and that is the price: config files
 * are where a test run is told to skip, deselect or pass.
 */

const NEVER_CARRIED = [
  'conftest.py',
  'sitecustomize.py',
  'usercustomize.py',
  '*.pth',
  'pytest.ini',
  '.pytest.ini',
  'tox.ini',
  'setup.cfg',
  'pyproject.toml',
  'pytest.py',
  'pytest',
  '_pytest',
];
const CACHES = ['__pycache__', '*.pyc', '.pytest_cache'];

function unquote(p: string): string {
  // git quotes unusual paths C-style ("a/tests/x y.py"); the dataset's are plain, but be exact.
  return p.startsWith('"') && p.endsWith('"') ? (JSON.parse(p) as string) : p;
}

/** The paths a (trusted, dataset) patch touches, from its `diff --git` and ---/+++ lines. */
export function patchPaths(patch: string): string[] {
  const paths = new Set<string>();
  for (const line of patch.split('\n')) {
    const header = /^diff --git ("?a\/.+"?) ("?b\/.+"?)$/.exec(line);
    if (header) for (const side of [header[1]!, header[2]!]) paths.add(unquote(side).slice(2));
    const file = /^(?:---|\+\+\+) ("?[ab]\/.+"?)$/.exec(line.replace(/\t.*$/, ''));
    if (file) paths.add(unquote(file[1]!).slice(2));
  }
  return [...paths].filter((p) => p.length > 0).sort();
}

/** The directories of the test patch's files, except the repository root. */
export function testDirectories(testPatch: string): string[] {
  const dirs = patchPaths(testPatch).map((p) => p.split('/').slice(0, -1).join('/')).filter((d) => d !== '');
  return [...new Set(dirs)].sort();
}

/** Exclude pathspecs for caches only (the agent-side diff: smaller, nothing lost). */
export function cachePathspecs(): string[] {
  return CACHES.flatMap((name) => [`:(exclude,glob)**/${name}`, `:(exclude,glob)**/${name}/**`]);
}

/** Exclude pathspecs for everything the room never carries (see the header). */
export function droppedPathspecs(testPatch: string): string[] {
  const literal = [...patchPaths(testPatch), ...testDirectories(testPatch)].map((p) => `:(exclude,literal)${p}`);
  const anywhere = NEVER_CARRIED.flatMap((name) => [`:(exclude,glob,icase)**/${name}`, `:(exclude,glob,icase)**/${name}/**`]);
  return [...literal, ...anywhere, ...cachePathspecs()];
}
