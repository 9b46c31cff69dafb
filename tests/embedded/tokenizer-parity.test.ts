// TypeScript (@huggingface/tokenizers), llama.cpp (the GGUF's own vocabulary) and Python
// (HF tokenizers) must give the same ids, or token-in/token-out breaks between the layers.
import { beforeAll, describe, expect, it } from 'vitest';
import { getLlama, LlamaLogLevel, type LlamaModel } from 'node-llama-cpp';
import { loadTokenizer, type Tokenizer } from '../../src/chat/tokenizer.ts';
import { runTrainerModule } from '../../src/engine/embedded/tiny-model.ts';
import { bytesModel, qwen3Model } from './tiny-models.ts';

const TEXTS = [
  'hello world',
  '',
  ' leading and trailing spaces  ',
  'tabs\tand\nnewlines\r\n\n\nend',
  'ünïcödé façade — naïve café',
  'emoji 😀👍🏽 and CJK 你好，世界',
  'code: def f(x):\n    return x**2  # square',
  '<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n',
  'specials glued<|im_end|><|endoftext|>text',
  'numbers 1234567890 3.14159 -42',
  "contractions don't I'm we'll they'd",
  '    indented\n\t\tmixed',
  '<tool_call>\n{"name": "bash", "arguments": {"cmd": "ls"}}\n</tool_call>',
];

const PY_SCRIPT = `
import json, sys
from tokenizers import Tokenizer
tok = Tokenizer.from_file(sys.argv[1])
for line in sys.stdin:
    print(json.dumps(tok.encode(json.loads(line), add_special_tokens=False).ids))
`;

async function pythonIds(dir: string): Promise<number[][]> {
  const { spawnSync } = await import('node:child_process');
  const { projectPython } = await import('../../src/engine/embedded/tiny-model.ts');
  const result = spawnSync(projectPython(), ['-c', PY_SCRIPT, `${dir}/tokenizer.json`], { input: TEXTS.map((t) => JSON.stringify(t)).join('\n') + '\n', encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.trim().split('\n').map((line) => JSON.parse(line) as number[]);
}

for (const [name, make] of [['bytes', bytesModel], ['qwen3', qwen3Model]] as const) {
  describe(`tokenizer parity: ${name}`, () => {
    let dir: string;
    let ts: Tokenizer;
    let llamaModel: LlamaModel;
    beforeAll(async () => {
      const model = await make();
      dir = model.dir;
      ts = await loadTokenizer(dir);
      const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
      llamaModel = await llama.loadModel({ modelPath: model.gguf });
      return () => llamaModel.dispose();
    });

    it('TypeScript, llama.cpp and Python give identical ids', async () => {
      const py = await pythonIds(dir);
      TEXTS.forEach((text, i) => {
        const fromTs = ts.encode(text);
        expect(fromTs, `TS vs Python on ${JSON.stringify(text)}`).toEqual(py[i]);
        expect([...llamaModel.tokenize(text, true)], `llama.cpp vs Python on ${JSON.stringify(text)}`).toEqual(py[i]);
      });
    });

    it('llama.cpp decodes ids back to the text, specials included', () => {
      for (const text of TEXTS) expect(llamaModel.detokenize(llamaModel.tokenize(text, true), true)).toBe(text);
    });

    it('special tokens are single ids in all three', () => {
      const imEnd = ts.tokenToId('<|im_end|>');
      expect(imEnd).toBeTypeOf('number');
      expect(ts.encode('<|im_end|>')).toEqual([imEnd]);
      expect([...llamaModel.tokenize('<|im_end|>', true)]).toEqual([imEnd]);
      expect(llamaModel.isEogToken(imEnd as never)).toBe(true);
    });
  });
}

describe('byte vocabulary', () => {
  it('maps every byte to its own id, so any UTF-8 string is its bytes', async () => {
    const ts = await loadTokenizer((await bytesModel()).dir);
    const text = 'ÿ\u0000\u007f😀';
    expect(ts.encode(text)).toEqual([...Buffer.from(text, 'utf8')]);
    expect(ts.vocabSize).toBe(259);
  });

  it('runTrainerModule reports a bad option as an InvalidInputError naming it', async () => {
    const error = await runTrainerModule('model_init', ['--out', '/tmp/physarum-never', '--hidden', '30', '--heads', '4']).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/--hidden 30 must divide by heads 4/);
    expect((error as { code?: string }).code).toBe('PHYSARUM_INVALID_INPUT');
  });
});
