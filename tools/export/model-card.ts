/**
 * Measures a trained, exported model the way issue 4 asks and writes its
 * model card (README.md in the model folder):
 * - onnxruntime-node vs torch hidden states per dtype (fixture),
 * - per dtype: a memory over the training split (built if missing), Recall@K
 *   / NDCG@K on the validation split for L2D-G (all samples) and L2D-L
 *   (M = 1000, the first --local-limit samples), and the overlap of the L2D-G
 *   top-50 lists of q4 vs fp32,
 * - the training record (training.json) and the export record (onnx/export.json).
 *
 *   npx tsx tools/export/model-card.ts models/movielens-demo --data data/prepared/movielens-latest-small [--local-limit 1000] [--dtypes fp32,q4]
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { metricsTable } from '../../src/core/metrics.ts';
import { parseWholeNumber } from '../../src/core/setting-text.ts';
import { buildMemory } from '../build-memory/main.ts';
import { evaluateL2D } from '../evaluate/main.ts';
import { loadPrepared } from '../lib/prepared.ts';
import { checkModel } from './check-onnx.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { data: { type: 'string' }, 'local-limit': { type: 'string', default: '1000' }, dtypes: { type: 'string', default: 'fp32,q4' } },
});
const folder = positionals[0];
if (!folder || !values.data) {
  console.error('usage: npx tsx tools/export/model-card.ts <model folder> --data <prepared folder> [--local-limit 1000]');
  process.exit(2);
}
const localLimit = (() => {
  try {
    return parseWholeNumber(values['local-limit'], '--local-limit');
  } catch (error) {
    console.error(`model-card: ${(error as Error).message}`);
    process.exit(2);
  }
})();
const data = loadPrepared(values.data);
const training = JSON.parse(readFileSync(join(folder, 'training.json'), 'utf8'));
const exportInfo = JSON.parse(readFileSync(join(folder, 'onnx', 'export.json'), 'utf8'));
const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8'));
const template = JSON.parse(readFileSync(join(folder, 'prompt-template.json'), 'utf8')) as { maxHistory?: number };

const checkFixture = existsSync(join(folder, 'fixtures', 'check-prompts.json')) ? 'check-prompts.json' : 'hidden-states.json';
const check = await checkModel(folder, checkFixture);
const checkPrompts = JSON.parse(readFileSync(join(folder, 'fixtures', checkFixture), 'utf8')).cases.length as number;
const results: Record<string, { global: Awaited<ReturnType<typeof evaluateL2D>>; local: Awaited<ReturnType<typeof evaluateL2D>>; memoryMs: number }> = {};
const dtypes = values.dtypes.split(',');
for (const dtype of dtypes) {
  const memory = join(folder, 'memory', `train-${dtype}`);
  const t0 = performance.now();
  if (!existsSync(join(memory, 'manifest.json'))) await buildMemory({ model: folder, data: values.data, out: memory, dtype });
  const memoryMs = performance.now() - t0;
  const global = await evaluateL2D(data, 'valid', folder, memory, { dtype, ms: [] });
  const local = await evaluateL2D(data, 'valid', folder, memory, { dtype, ms: [1000], limit: localLimit });
  results[dtype] = { global, local, memoryMs };
}
// Each quantized dtype against fp32: how many of the L2D-G top-50 stay, and what Recall@50 loses.
const r50 = (dtype: string) => results[dtype].global.rows[0].values.recall[50];
const versusFp32 = Object.fromEntries(
  dtypes
    .filter((d) => d !== 'fp32' && results.fp32)
    .map((d) => {
      const g32 = results.fp32.global.rankings.get('L2D-G')!;
      const gq = results[d].global.rankings.get('L2D-G')!;
      let overlap = 0;
      g32.forEach((list, i) => {
        const a = new Set(list.subarray(0, 50));
        overlap += gq[i].subarray(0, 50).filter((x) => a.has(x)).length / 50;
      });
      return [d, { overlapTop50: overlap / g32.length, recall50Relative: (r50(d) - r50('fp32')) / r50('fp32') }];
    }),
);
const params = training.parameters as number;
const card = `# ${resolve(folder).split('/').pop()}

A generative LLM recommender for L2D, trained from scratch on **${training.data}**
(${training.data_stats.trainSamples} training samples, ${training.data_stats.items} items) by \`tools/train/train.py\`.

## Architecture
Llama (Hugging Face \`LlamaForCausalLM\` parameter names): hidden size ${config.hidden_size}, ${config.num_hidden_layers} layers,
${config.num_attention_heads} attention heads, ${config.num_key_value_heads} key/value heads, MLP ${config.intermediate_size},
vocabulary ${config.vocab_size} (byte-level BPE trained on the catalog titles and the template), tied embeddings,
${(params / 1e6).toFixed(2)}M parameters; prompts of at most ${training.max_prompt_tokens} tokens.

## Prompt template
\`prompt-template.json\` (src/core/prompt-template.json${template.maxHistory ? ` with the training data's history window: a prompt holds the newest ${template.maxHistory} titles at most` : ''}):

    A user has interacted with the following items: "Title 1", "Title 2"; which item would the user like next?

target \` "Next title"\` + \`<eos>\`; loss on the target tokens only.

## Training
- hardware: ${training.hardware}, device ${training.device}, torch ${training.torch}
- preset \`${training.preset}\`: ${JSON.stringify(training.settings)}
- time: ${(training.train_seconds / 60).toFixed(1)} min; ${training.stopped ? `stopped: ${training.stopped}` : 'all epochs'}
- epochs: ${training.epochs.map((e: { epoch: number; train_loss: number; valid_loss: number }) => `#${e.epoch} train ${e.train_loss.toFixed(3)} / valid ${e.valid_loss.toFixed(3)}`).join('; ')}
- best validation loss ${training.best_valid_loss.toFixed(4)}; greedy generation exact-title hit rate on 500 validation samples: ${training.greedy_hit_rate_valid500.toFixed(4)}
- command: \`${training.command}\`

## ONNX files (tools/export/export.py, opset ${exportInfo.opset})
On ${checkPrompts} validation prompts (\`fixtures/${checkFixture}\`):

| file | MB | onnxruntime-node vs torch, same weights (min cosine) | vs torch fp32 (min cosine) |
|---|---|---|---|
${check.checks.map((c) => `| onnx/${c.file} | ${(c.bytes / 2 ** 20).toFixed(2)} | ${c.minCosine.toFixed(6)} | ${c.minCosineVsFp32.toFixed(6)} |`).join('\n')}

Tokenizer: @huggingface/transformers gives ${check.tokenizerMatches ? 'the same ids as' : 'DIFFERENT ids from'} the Python tokenizer on the fixture prompts.
\`fixtures/hidden-states.json\` holds ${JSON.parse(readFileSync(join(folder, 'fixtures', 'hidden-states.json'), 'utf8')).cases.length} validation prompts with their ids and torch's last-token hidden states (fp32 weights, and the weights q4 and q4f16 dequantize to; q4f16 differs from q4 only in its float16 activations).
fp32 is not committed (\`npm run export-model\` writes it); q4f16 is exported on a machine with onnxruntime's Python package (the GPU machine).

## L2D quality per dtype (validation split)
Memory: every training sample encoded with that dtype's ONNX file (\`npm run build-memory\`).
L2D-G over all ${data.split('valid').length} validation samples; L2D-L (M = 1000) over the first ${Math.min(localLimit, data.split('valid').length)}.

${dtypes.map((d) => `**${d}**\n\n${metricsTable([...results[d].global.rows, ...results[d].local.rows.filter((r) => r.method !== 'L2D-G')])}`).join('\n\n')}

${
  Object.keys(versusFp32).length
    ? Object.entries(versusFp32)
        .map(([d, v]) => `${d} vs fp32: L2D-G top-50 overlap ${(100 * v.overlapTop50).toFixed(1)}%; Recall@50 (L2D-G) ${(100 * v.recall50Relative).toFixed(1)}% relative (goal: within 3%): ${Math.abs(v.recall50Relative) <= 0.03 || v.recall50Relative > 0 ? 'meets it' : 'misses it'}.`)
        .join('\n')
    : `Measured for ${dtypes.join(', ')} only (\`--dtypes\`); the comparison with fp32 needs fp32 too.`
}

## Reproduce
    npm run prepare-data -- --all
    ${training.command.replace('/usr/bin/python3 ', 'npm run train -- ').replace(/tools\/train\/train.py /, '').replace(/( --overwrite)?$/, ' --overwrite')}   # replaces the folder, this card included (git restores it)
    npm run export-model -- ${folder} --data ${values.data} --dtypes fp32,q4,q4f16   # q4f16 where onnxruntime's Python package is installed
    npm run build-memory -- --model ${folder} --data ${values.data}
    npx tsx tools/export/model-card.ts ${folder} --data ${values.data} --dtypes ${values.dtypes}
`;
writeFileSync(join(folder, 'README.md'), card);
writeFileSync(join(folder, 'evaluation.json'), JSON.stringify({ check, versusFp32, rows: Object.fromEntries(Object.entries(results).map(([d, r]) => [d, [...r.global.rows, ...r.local.rows]])) }, null, 2));
console.log(card);
