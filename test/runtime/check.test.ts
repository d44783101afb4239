// The argument helpers every binding shares (src/runtime/check.ts): one pair() for conv and pool
// options (conv once took stride [1, 2, 3] silently while pool refused it), count() and nchw().
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { count, fmt, nchw, pair } from '../../src/runtime/check.js';
import { conv2dGeometry } from '../../src/runtime/kernels/conv.js';
import { pool2dShape } from '../../src/runtime/kernels/pool.js';
import { expectThrows } from '../util.js';

const t = suite('binding checks');

t('pair: a number, [h, w] or the default; anything else names the option', () => {
  assert.equal(pair('op', 'stride', undefined, 1, 1), [1, 1]);
  assert.equal(pair('op', 'stride', 2, 1, 1), [2, 2]);
  assert.equal(pair('op', 'stride', [2, 3], 1, 1), [2, 3]);
  assert.equal(pair('op', 'stride', undefined, [4, 5], 1), [4, 5]);
  expectThrows(
    () => pair('op', 'stride', [1, 2, 3] as unknown as [number, number], 1, 1),
    ['op', 'stride must be a number or [h, w]', '1,2,3'],
    'three values'
  );
  expectThrows(
    () => pair('op', 'padding', -1, 0, 0, '; input [1,2]'),
    ['op', 'padding[0]; input [1,2]', '>= 0'],
    'negative'
  );
  expectThrows(() => pair('op', 'stride', 1.5, 1, 1), ['stride[0]', 'integer'], 'fraction');
});

t('conv and pool reject the same malformed options', () => {
  const bad = { stride: [1, 2, 3] as unknown as [number, number] };
  expectThrows(() => conv2dGeometry([1, 1, 5, 5], [1, 1, 3, 3], bad), ['stride', '[h, w]'], 'conv');
  expectThrows(
    () => pool2dShape([1, 1, 5, 5], { kernelSize: 2, ...bad }),
    ['stride', '[h, w]'],
    'pool'
  );
});

t('count and nchw', () => {
  assert.is(count('op', undefined, { ptr: 16, length: 7 }, 'x'), 7);
  assert.is(count('op', 3, { ptr: 16, length: 7 }, 'x'), 3);
  expectThrows(() => count('op', -1, { ptr: 16, length: 7 }, 'x'), ['op', 'n'], 'negative n');
  assert.equal(nchw('op', [2, 3, 4, 5]), [2, 3, 20]);
  assert.equal(nchw('op', [2, 3]), [2, 3, 1]);
  expectThrows(() => nchw('op', [3]), ['op', 'input must be [N,C,...]', '[3]'], '1-D');
  expectThrows(() => nchw('op', [2, 0, 4], 'x'), ['op', 'x.shape[1]', '[2,0,4]'], 'zero dim');
  assert.is(fmt([64, 1, 28, 28]), '[64,1,28,28]');
});

t.run();
