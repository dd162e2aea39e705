import { describe, expect, it } from 'vitest';
import { parseJsonText } from './json-text.ts';

const fail = (message: string) => new RangeError(message);

describe('parseJsonText', () => {
  it('parses JSON, and names the file when it is not JSON', () => {
    expect(parseJsonText<{ a: number }>(' {"a": 1}', 'f.json', fail)).toEqual({ a: 1 });
    expect(() => parseJsonText('{"a":', 'f.json', fail)).toThrow(RangeError);
    expect(() => parseJsonText('{"a":', 'f.json', fail)).toThrow(/^f\.json: not valid JSON \(/);
  });

  it('names an HTML page in the file\'s place (a missing file answered with an index page)', () => {
    expect(() => parseJsonText('\r\n<!DOCTYPE html>\n<html>', 'm/config.json', fail)).toThrow(
      'm/config.json: the server answered with an HTML page, not this JSON file (is the file there? Many servers answer a missing file with their index page).',
    );
  });
});
