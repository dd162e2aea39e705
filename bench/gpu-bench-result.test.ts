import { describe, expect, it } from 'vitest';
import { mergeGpuBenchResults } from './gpu-bench-result.ts';

const adapter = { vendor: 'nvidia', isFallbackAdapter: false, shaderF16: false };

describe('mergeGpuBenchResults', () => {
  it('reads the page loads of one trip as one result, stages from each, the later file winning a shared key', () => {
    const { result, notes } = mergeGpuBenchResults([
      { file: 'a.json', result: { adapter, stages: ['graphs'], graphs: [{ file: 'encoder_q4_fused.onnx' }], finished: 'T1' } },
      { file: 'b.json', result: { adapter, stages: ['flow', 'prefix'], flow: [{ wallMs: 14.6 }], prefix: { error: 'boom' }, finished: 'T2' } },
    ]);
    expect(result).toEqual({
      adapter,
      stages: ['flow', 'prefix'],
      graphs: [{ file: 'encoder_q4_fused.onnx' }],
      flow: [{ wallMs: 14.6 }],
      prefix: { error: 'boom' },
      finished: 'T2',
    });
    expect(notes).toEqual([]);
  });

  it('names a page stopped before it finished and an error of the page itself', () => {
    const { notes } = mergeGpuBenchResults([
      { file: 'graphs.json', result: { adapter, graphs: [] } },
      { file: 'bad.json', result: { adapter, error: 'unknown stage(s) in ?stages=: flwo', finished: 'T' } },
    ]);
    expect(notes).toEqual(['graphs.json: the page was stopped before it finished; its last stage may be partial', 'bad.json: unknown stage(s) in ?stages=: flwo']);
  });

  it('refuses results from two adapters, and no results at all', () => {
    expect(() =>
      mergeGpuBenchResults([
        { file: 'h100.json', result: { adapter, finished: 'T' } },
        { file: 'swiftshader.json', result: { adapter: { vendor: 'google', isFallbackAdapter: true }, finished: 'T' } },
      ]),
    ).toThrow('swiftshader.json was measured on another adapter ({"vendor":"google","isFallbackAdapter":true}) than h100.json ({"vendor":"nvidia","isFallbackAdapter":false,"shaderF16":false}): not one result');
    expect(() => mergeGpuBenchResults([])).toThrow('no result files: give at least one RESULT.json');
  });
});
