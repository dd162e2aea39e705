import { expect, it } from 'vitest';
import { formatSeconds } from './progress.ts';

it('formats an ETA as mm:ss, rounding before splitting into minutes and seconds', () => {
  expect(formatSeconds(347.2)).toBe('05:47');
  expect(formatSeconds(359.6)).toBe('06:00');
  expect(formatSeconds(59.5)).toBe('01:00');
  expect(formatSeconds(0)).toBe('00:00');
  expect(formatSeconds(Infinity)).toBe('--:--');
});
