import { expect, it } from 'vitest';
import { announceOverlayChange, onOverlayChange, touches, type OverlayChange } from './overlay-changes.ts';

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

it("hears another context's changes, not this context's own, and ignores messages that are not changes", async () => {
  const heard: OverlayChange[] = [];
  const stop = onOverlayChange((change) => heard.push(change));
  // Another context: a channel of its own with another sender id (as a second tab's worker posts).
  const other = new BroadcastChannel('l2d-overlays');
  try {
    announceOverlayChange({ model: 'aa', shard: 'https://shop.example/memory' });
    other.postMessage({ shard: 'https://shop.example/memory', model: 'bb', from: 'another tab' });
    other.postMessage({ shard: 'https://shop.example/memory', from: 'another tab' });
    other.postMessage({ shard: 42, from: 'another tab' });
    other.postMessage('hello');
    await settle();
    expect(heard).toEqual([{ shard: 'https://shop.example/memory', model: 'bb' }, { shard: 'https://shop.example/memory' }]);
    stop();
    other.postMessage({ shard: 'https://shop.example/memory', from: 'another tab' });
    await settle();
    expect(heard).toHaveLength(2);
  } finally {
    other.close();
    stop();
  }
});

it('a change touches the overlay of its model and shard; one without a model, every model of its shard', () => {
  expect(touches({ shard: 's', model: 'm' }, 'm', 's')).toBe(true);
  expect(touches({ shard: 's', model: 'other' }, 'm', 's')).toBe(false);
  expect(touches({ shard: 'other', model: 'm' }, 'm', 's')).toBe(false);
  expect(touches({ shard: 's' }, 'any model', 's')).toBe(true);
});
