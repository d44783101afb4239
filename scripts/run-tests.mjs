// Runs the uvu suites under dist/test and ends with the plain "N passed, N failed" line that CI
// reads; the exit code is uvu's.
import { spawn } from 'node:child_process';

const pattern = process.argv[2] ?? '\\.test\\.js$';
const child = spawn(process.execPath, ['node_modules/uvu/bin.js', 'dist/test', pattern], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, FORCE_COLOR: '0' },
});
let out = '';
child.stdout.on('data', (d) => {
  out += d;
  process.stdout.write(d);
});
child.on('close', (code) => {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the colour codes it strips
  const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
  const total = Number(/Total:\s+(\d+)/.exec(plain)?.[1] ?? 0);
  const passed = Number(/Passed:\s+(\d+)/.exec(plain)?.[1] ?? 0);
  const skipped = Number(/Skipped:\s+(\d+)/.exec(plain)?.[1] ?? 0);
  console.log(`${passed} passed, ${total - passed - skipped} failed, ${skipped} skipped`);
  process.exit(code ?? 1);
});
