import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseManifest } from '../../src/core/data/prepared-format.ts';
import { DEFAULT_SOURCES, prepareFolder } from './main.ts';
import { parseCsvLine } from './readers.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'l2d-prep-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function amazon(files: Partial<Record<'items.tsv' | 'sequential_train.txt' | 'sequential_valid.txt' | 'sequential_test.txt', string | Buffer>>): string {
  const src = join(dir, 'src');
  mkdirSync(src, { recursive: true });
  const defaults = {
    'items.tsv': 'seq_id\tasin\ttitle\n1\tA1\tOne\n2\tA2\tTwo\n',
    'sequential_train.txt': '1 1 2 1 2\n',
    'sequential_valid.txt': '1\n',
    'sequential_test.txt': '1 1\n',
  };
  for (const [name, content] of Object.entries({ ...defaults, ...files })) if (content !== undefined) writeFileSync(join(src, name), content);
  return src;
}

describe('prepare-data on the real data sets (known counts, see ../shared/data/README.md)', () => {
  it.each([
    [DEFAULT_SOURCES[0], { users: 29609, items: 11642, trainSamples: 198427, validSamples: 17842, testSamples: 15529 }],
    [DEFAULT_SOURCES[1], { users: 671, items: 3496, trainSamples: 71520, validSamples: 8940, testSamples: 8941 }],
  ])('%s', (source, expected) => {
    const out = join(dir, 'out');
    const { manifest, data } = prepareFolder(source, out);
    expect(manifest.stats).toMatchObject(expected);
    expect(parseManifest(readFileSync(join(out, 'manifest.json'), 'utf8')).stats).toEqual(manifest.stats);
    expect(readFileSync(join(out, 'stats.md'), 'utf8')).toContain(`| ${expected.users} | ${expected.items} |`);
    // No history reaches past its target: every sample's history items appear in the user's sequence before it.
    expect(data.samples.test.every((s) => s.history.length >= 1 && s.history.length <= 10)).toBe(true);
  });
});

describe('prepare-data bad input: clear errors naming file and line, no half-written output', () => {
  const cases: [string, Parameters<typeof amazon>[0], RegExp][] = [
    ['missing file', { 'sequential_test.txt': undefined }, /sequential_test.txt: file not found/],
    ['malformed items line', { 'items.tsv': 'seq_id\tasin\ttitle\n1\tA1\n' }, /items.tsv:2: expected 3 tab-separated fields/],
    ['non-integer id', { 'items.tsv': 'seq_id\tasin\ttitle\nx\tA1\tOne\n' }, /items.tsv:2: seq_id "x" is not an integer/],
    ['empty title', { 'items.tsv': 'seq_id\tasin\ttitle\n1\tA1\t <br> \n2\tA2\tTwo\n' }, /items.tsv:2: item 1 has an empty title/],
    ['unknown item id', { 'sequential_train.txt': '1 1 2\n2 1 7\n' }, /sequential_train.txt:2: item 7 is not in items.tsv/],
    ['invalid UTF-8', { 'items.tsv': Buffer.concat([Buffer.from('seq_id\tasin\ttitle\n1\tA1\tOne\n2\tA2\t'), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]) }, /items.tsv:3: invalid UTF-8/],
  ];
  for (const [name, files, message] of cases) {
    it(name, () => {
      const out = join(dir, 'out');
      mkdirSync(out);
      writeFileSync(join(out, 'keep.txt'), 'previous output');
      expect(() => prepareFolder(amazon(files), out)).toThrow(message);
      // The previous output is untouched and no temporary folder is left.
      expect(readFileSync(join(out, 'keep.txt'), 'utf8')).toBe('previous output');
      expect(existsSync(join(dir, `.out.tmp-${process.pid}`))).toBe(false);
    });
  }

  it('an unknown layout names the files it expected', () => {
    expect(() => prepareFolder(dir, join(dir, 'out'))).toThrow(/expected items.tsv \+ sequential_\{train,valid,test\}.txt \(Amazon\) or movies.csv \+ ratings.csv/);
  });

  it('parses quoted CSV fields and rejects unterminated ones', () => {
    expect(parseCsvLine('11,"American President, The (1995)",Comedy', 'm.csv', 2)).toEqual(['11', 'American President, The (1995)', 'Comedy']);
    expect(parseCsvLine('1,"Say ""hi""",x', 'm.csv', 2)).toEqual(['1', 'Say "hi"', 'x']);
    expect(() => parseCsvLine('1,"open', 'm.csv', 7)).toThrow(/m.csv:7: unterminated quoted field/);
  });
});
