import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseManifest } from '../../src/core/data/prepared-format.ts';
import { parseTrainSequences, trainingPairs, TRAIN_SEQUENCES_FILE } from '../../src/core/data/train-sequences.ts';
import { DEFAULT_SOURCES, prepareFolder, skippedReport } from './main.ts';
import { csvRecords, eventTime } from './readers.ts';

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

/** A store's export: 6 shoppers who each saw all 6 products (5-core holds), one event a day from 2026-01-01. */
function store(files: Partial<Record<'items.csv' | 'events.csv', string>> = {}): string {
  const src = join(dir, 'store');
  mkdirSync(src, { recursive: true });
  const skus = ['SKU-1', 'SKU-2', 'SKU-3', 'SKU-4', 'SKU-5', 'SKU-6'];
  const events = ['kind,user_id,item_id,timestamp'];
  for (let user = 0; user < 6; user++) {
    for (let j = 0; j < 6; j++) {
      const day = user * 6 + j; // every event at its own time: the split below is known
      // Unix seconds, milliseconds and ISO dates mixed in one file.
      const at = Date.UTC(2026, 0, 1 + day);
      const time = [String(at / 1000), new Date(at).toISOString(), String(at)][day % 3];
      events.push(`view,shopper-${user},${skus[(user + j) % 6]},${time}`);
    }
  }
  const defaults = {
    'items.csv': `item_id,title,price\n${skus.map((sku, i) => (i === 2 ? `${sku},"Lamp, brass &amp; glass",10` : `${sku},Product ${i + 1},10`)).join('\n')}\n`,
    'events.csv': `${events.join('\n')}\n`,
  };
  for (const [name, content] of Object.entries({ ...defaults, ...files })) if (content !== undefined) writeFileSync(join(src, name), content);
  return src;
}

/** A prepared data set's folder, as a run before left it (only its manifest's format matters here). */
function previousOutput(out: string): void {
  mkdirSync(out);
  writeFileSync(join(out, 'manifest.json'), JSON.stringify({ format: 'l2d-prepared-dataset' }));
  writeFileSync(join(out, 'keep.txt'), 'previous output');
}

describe("prepare-data on a store's own export (items.csv + events.csv)", () => {
  it('keeps the store\'s product ids as source ids, reads every timestamp form (seconds, milliseconds, ISO), splits 8:1:1 by time', () => {
    const out = join(dir, 'out');
    const { manifest, data } = prepareFolder(store(), out);
    expect(manifest.source).toBe('store');
    expect(manifest.stats).toMatchObject({ users: 6, items: 6, trainSamples: 24, validSamples: 3, testSamples: 3 });
    expect(data.items.map((item) => [item.sourceId, item.title])).toEqual([
      ['SKU-1', 'Product 1'],
      ['SKU-2', 'Product 2'],
      ['SKU-3', 'Lamp, brass & glass'],
      ['SKU-4', 'Product 4'],
      ['SKU-5', 'Product 5'],
      ['SKU-6', 'Product 6'],
    ]);
    // The six newest samples (Unix seconds, milliseconds and ISO dates in one order): shopper 4's last, then shopper 5's five.
    expect([...data.samples.valid, ...data.samples.test].map((sample) => [sample.user, sample.target])).toEqual([
      [4, (4 + 5) % 6],
      ...[1, 2, 3, 4, 5].map((j) => [5, (5 + j) % 6]),
    ]);
    expect(readFileSync(join(out, 'items.tsv'), 'utf8').split('\n')[3]).toBe('2\tSKU-3\tLamp, brass & glass');
  });

  it('reads a date and time without an offset as UTC, whatever the machine\'s time zone; refuses a day the month lacks', () => {
    const zone = process.env.TZ;
    try {
      for (const tz of ['UTC', 'America/New_York', 'Asia/Kolkata']) {
        process.env.TZ = tz;
        expect(['2026-01-01', '2026-01-01T12:00:00', '2026-01-01 12:00', '2026-01-01T12:00:00Z', '2026-01-01T14:00:00+02:00', '2026-01-01T14:00+0200', '1767268800', '1767268800000'].map((v) => eventTime(v, 'e.csv', 2))).toEqual([
          1767225600, 1767268800, 1767268800, 1767268800, 1767268800, 1767268800, 1767268800, 1767268800,
        ]);
      }
    } finally {
      process.env.TZ = zone;
      if (zone === undefined) delete process.env.TZ;
    }
    for (const bad of ['2026-02-30', '2026-13-01', '2026-01-01 noon', '01/02/2026']) expect(() => eventTime(bad, 'e.csv', 7)).toThrow(`e.csv:7: timestamp "${bad}" is neither Unix time nor an ISO 8601 date.`);
  });

  it('reads a product export whose quoted fields hold line breaks (a description column; a title across lines is one line)', () => {
    const skus = ['SKU-1', 'SKU-2', 'SKU-3', 'SKU-4', 'SKU-5', 'SKU-6'];
    const described = `item_id,description,title\r\n${skus.map((sku, i) => `${sku},"Line one, with a comma.\r\n\r\n""Quoted"" line three.",${i === 1 ? '"Desk\nlamp"' : `Product ${i + 1}`}`).join('\r\n')}\r\n`;
    const { data } = prepareFolder(store({ 'items.csv': described }), join(dir, 'described'));
    expect(data.items.map((item) => [item.sourceId, item.title])).toEqual(skus.map((sku, i) => [sku, i === 1 ? 'Desk lamp' : `Product ${i + 1}`]));
    // Errors name the line a record starts on, past records of several lines.
    expect(() => prepareFolder(store({ 'items.csv': `${described}SKU-1,"x\ny",Again\n` }), join(dir, 'twice'))).toThrow(/items.csv:21: item_id SKU-1 appears twice/);
    expect(() => prepareFolder(store({ 'items.csv': `${described}SKU-7,"never closed,Lamp\n` }), join(dir, 'open'))).toThrow(/items.csv:21: unterminated quoted field \(its closing quote is missing\)/);
  });

  it('with --skip-unknown-items leaves out the events of products items.csv lacks, counts them, and prepares the rest as without them', () => {
    const whole = prepareFolder(store(), join(dir, 'whole'));
    const lines = readFileSync(join(dir, 'store', 'events.csv'), 'utf8').trimEnd().split('\n');
    // Seven events of delisted products among the others (lines 3, 6, ... of the file).
    const withDelisted = lines.flatMap((line, i) => (i > 0 && i % 5 === 1 && i < 36 ? [line, `view,shopper-${i % 6},OLD-${i},1767225600`] : [line]));
    rmSync(join(dir, 'store'), { recursive: true });
    const out = join(dir, 'out');
    const { manifest, data } = prepareFolder(store({ 'events.csv': `${withDelisted.join('\n')}\n` }), out, { skipUnknownItems: true });
    expect(data).toEqual({ ...whole.data, name: data.name });
    const events = join(dir, 'store', 'events.csv');
    expect(manifest.skipped).toEqual({ unknownItem: 7, examples: [`${events}:3 OLD-1`, `${events}:9 OLD-6`, `${events}:15 OLD-11`, `${events}:21 OLD-16`, `${events}:27 OLD-21`] });
    expect(parseManifest(readFileSync(join(out, 'manifest.json'), 'utf8')).skipped).toEqual(manifest.skipped);
    expect(skippedReport(manifest.skipped!)).toBe(`Left out 7 event(s) of products items.csv does not list: ${manifest.skipped!.examples.join(', ')}, and 2 more.`);
    // Without the flag the first of them stops it, naming the flag.
    expect(() => prepareFolder(join(dir, 'store'), join(dir, 'strict'))).toThrow(`${events}:3: item_id "OLD-1" is not in items.csv (events of products no longer listed are left out with --skip-unknown-items).`);
  });

  it('with --skip-unknown-items still refuses an export none of whose events names a listed product (other ids?), and other layouts', () => {
    const src = store({ 'events.csv': 'user_id,item_id,timestamp\nu,12345,1\nu,12346,2\n' });
    expect(() => prepareFolder(src, join(dir, 'out'), { skipUnknownItems: true })).toThrow(
      `${join(src, 'events.csv')}: none of its 2 events names an item_id of items.csv (first: ${join(src, 'events.csv')}:2 12345); do both files use the same product ids?`,
    );
    expect(existsSync(join(dir, 'out'))).toBe(false);
    expect(() => prepareFolder(amazon({}), join(dir, 'out'), { skipUnknownItems: true })).toThrow(/--skip-unknown-items is for a store's export \(items.csv and events.csv\); .* is the amazon layout/);
  });

  const cases: [string, Parameters<typeof store>[0], RegExp][] = [
    ['a header without a needed column', { 'items.csv': 'sku,title\nA,One\n' }, /items.csv:1: the header must name the columns item_id, title \(missing: item_id; found: sku, title\)/],
    ['a product listed twice', { 'items.csv': 'item_id,title\nA,One\nA,Two\n' }, /items.csv:3: item_id A appears twice/],
    ['a product id with a tab', { 'items.csv': 'item_id,title\n"A\tB",One\n' }, /items.csv:2: item_id "A\tB" is empty or holds a tab or line break/],
    ['an empty title', { 'items.csv': 'item_id,title\nA, \n' }, /items.csv:2: item A has an empty title/],
    // Quoted: an id with a stray space (" SKU-1", another id than items.csv's "SKU-1") shows it.
    ['an event of an unknown product', { 'events.csv': 'user_id,item_id,timestamp\nu,SKU-9,1\n' }, /events.csv:2: item_id "SKU-9" is not in items.csv \(events of products no longer listed are left out with --skip-unknown-items\)/],
    ['a product id with a stray space', { 'events.csv': 'user_id,item_id,timestamp\nu, SKU-1,1\n' }, /events.csv:2: item_id " SKU-1" is not in items.csv/],
    ['a bad timestamp', { 'events.csv': 'user_id,item_id,timestamp\nu,SKU-1,yesterday\n' }, /events.csv:2: timestamp "yesterday" is neither Unix time nor an ISO 8601 date/],
    ['a short event line', { 'events.csv': 'user_id,item_id,timestamp\nu,SKU-1\n' }, /events.csv:2: expected the fields user_id, item_id, timestamp, found 2 field\(s\)/],
    ['a missing events file', { 'events.csv': undefined }, /events.csv: file not found/],
    [
      'too little data to train on',
      { 'events.csv': 'user_id,item_id,timestamp\nu,SKU-1,1\nu,SKU-2,2\nv,SKU-1,3\n' },
      /store: no training sample \(a sample is an interaction after the user's earlier ones\): 0 of 2 user\(s\) and 0 of 6 item\(s\) keep 5 interactions each \(5-core\), from 3 interaction\(s\), giving 0 sample\(s\) in all. Too little data; a smaller --k-core keeps more./,
    ],
  ];
  for (const [name, files, message] of cases) {
    it(`names ${name}, leaving the previous output as it was`, () => {
      const out = join(dir, 'out');
      previousOutput(out);
      expect(() => prepareFolder(store(files), out)).toThrow(message);
      expect(readFileSync(join(out, 'keep.txt'), 'utf8')).toBe('previous output');
    });
  }
});

describe('prepare-data on the real data sets (known counts, see ../shared/data/README.md)', () => {
  it.each([
    [DEFAULT_SOURCES[0], { users: 29609, items: 11642, trainSamples: 198427, validSamples: 17842, testSamples: 15529 }, 'models/amazon-games/eval'],
    [DEFAULT_SOURCES[1], { users: 671, items: 3496, trainSamples: 71520, validSamples: 8940, testSamples: 8941 }, 'models/movielens-demo/eval'],
  ])('%s', (source, expected, shippedEval) => {
    const out = join(dir, 'out');
    const { manifest, data } = prepareFolder(source, out);
    expect(manifest.stats).toMatchObject(expected);
    expect(parseManifest(readFileSync(join(out, 'manifest.json'), 'utf8')).stats).toEqual(manifest.stats);
    expect(readFileSync(join(out, 'stats.md'), 'utf8')).toContain(`| ${expected.users} | ${expected.items} |`);
    // No history reaches past its target: every sample's history items appear in the user's sequence before it.
    expect(data.samples.test.every((s) => s.history.length >= 1 && s.history.length <= 10)).toBe(true);
    // The train split again as sequences: every train sample comes back from it, and the demo's copy is this one.
    const sequences = readFileSync(join(out, TRAIN_SEQUENCES_FILE), 'utf8');
    expect(trainingPairs(parseTrainSequences(sequences, expected.items), 10)).toHaveLength(expected.trainSamples);
    expect(readFileSync(join(shippedEval, TRAIN_SEQUENCES_FILE), 'utf8')).toBe(sequences);
    expect(readFileSync(join(shippedEval, 'test.tsv'), 'utf8')).toBe(readFileSync(join(out, 'test.tsv'), 'utf8'));
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
      previousOutput(out);
      expect(() => prepareFolder(amazon(files), out)).toThrow(message);
      // The previous output is untouched and no temporary folder is left.
      expect(readFileSync(join(out, 'keep.txt'), 'utf8')).toBe('previous output');
      expect(existsSync(join(dir, `.out.tmp-${process.pid}`))).toBe(false);
    });
  }

  it('never replaces a folder that is not a prepared data set (a mistyped --out naming the model folder was deleted)', () => {
    const out = join(dir, 'model');
    mkdirSync(join(out, 'onnx'), { recursive: true });
    writeFileSync(join(out, 'config.json'), '{}');
    expect(() => prepareFolder(store(), out)).toThrow(
      `--out ${out} holds files and is not a prepared data set (it has no manifest.json of one), and the output would replace the whole folder: choose another --out, or empty it first; nothing was written.`,
    );
    expect(readdirSync(out).sort()).toEqual(['config.json', 'onnx']);
    // An empty folder, and a prepared data set (prepared again), are replaced.
    rmSync(out, { recursive: true });
    mkdirSync(out);
    prepareFolder(store(), out);
    expect(prepareFolder(store(), out, { kCore: 2 }).manifest.kCore).toBe(2);
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).kCore).toBe(2);
  });

  it('an unknown layout names the files it expected', () => {
    expect(() => prepareFolder(dir, join(dir, 'out'))).toThrow(/expected items.tsv \+ sequential_\{train,valid,test\}.txt \(Amazon\) or movies.csv \+ ratings.csv \(MovieLens\), or a store's own items.csv \+ events.csv/);
  });

  it('parses CSV records: quoted commas, doubled quotes and line breaks, each record with the line it starts on', () => {
    const fields = (text: string) => csvRecords(text, 'm.csv').map((r) => [r.line, r.fields]);
    expect(fields('11,"American President, The (1995)",Comedy\n1,"Say ""hi""",x\n')).toEqual([
      [1, ['11', 'American President, The (1995)', 'Comedy']],
      [2, ['1', 'Say "hi"', 'x']],
    ]);
    expect(fields('a,"two\nlines",b\n\nc,,\nd')).toEqual([
      [1, ['a', 'two\nlines', 'b']],
      [3, ['']], // an empty line is a record of one empty field
      [4, ['c', '', '']],
      [5, ['d']], // no line break after the last record
    ]);
    expect(fields('"",""""\n"a"b,c')).toEqual([
      [1, ['', '"']],
      [2, ['ab', 'c']], // text after the closing quote joins the field
    ]);
    expect(fields('')).toEqual([]);
    expect(() => csvRecords('1,x\n2,"open\n3,y\n', 'm.csv')).toThrow('m.csv:2: unterminated quoted field (its closing quote is missing).');
  });
});
