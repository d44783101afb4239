#!/usr/bin/env node
// The simdgrad command line: `simdgrad train` (the README's main job: small-cnn on MNIST with
// good defaults), `simdgrad eval`, `simdgrad bench` (this CPU's throughput report), `simdgrad
// export` (saved weights to ONNX). Every
// option is documented in --help; an unknown option or a bad value is an error that names it.
// A command's module is imported only when it runs: `simdgrad --help` loads nothing else, and
// only `simdgrad bench` loads the benchmark harness (bench/, `simdgrad/bench`).

import { parseArgs, UsageError, type ArgSpec } from './args.js';

// biome-ignore lint/suspicious/noConfusingVoidType: an exit code, or nothing for 0
type Command = [Record<string, ArgSpec>, (o: Record<string, unknown>) => Promise<number | void>];

const COMMANDS: Record<string, () => Promise<Command>> = {
  train: async () => {
    const m = await import('./commands.js');
    return [m.TRAIN_SPEC, m.trainCommand];
  },
  eval: async () => {
    const m = await import('./commands.js');
    return [m.EVAL_SPEC, m.evalCommand];
  },
  bench: async () => {
    const m = await import('./bench.js');
    return [m.BENCH_SPEC, m.benchCommand];
  },
  export: async () => {
    const m = await import('./export.js');
    return [m.EXPORT_SPEC, m.exportCommand];
  },
};

const USAGE = `simdgrad: train and run convolutional networks on the CPU (WebAssembly SIMD)

usage:
  simdgrad train  [options]    train a zoo model (default: small-cnn on MNIST)
  simdgrad eval   [options]    evaluate saved weights on the test set
  simdgrad bench  [options]    measure this CPU: SIMD peak, kernels, training/inference images/s
  simdgrad export [options]    write saved weights as an ONNX model (--load W --onnx out.onnx)
  simdgrad <command> --help    options of a command
`;

function help(name: string, spec: Record<string, ArgSpec>): string {
  const lines = Object.entries(spec).map(([k, s]) => {
    const flag = `--${k}${s.type === 'boolean' ? '' : ` <${s.type}>`}`;
    const dflt = s.default !== undefined ? ` (default: ${String(s.default)})` : '';
    return `  ${flag.padEnd(26)} ${s.help}${dflt}`;
  });
  return `usage: simdgrad ${name} [options]\n\n${lines.join('\n')}\n  --help                     this text\n`;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(USAGE);
    return cmd === undefined ? 1 : 0;
  }
  const load = Object.hasOwn(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
  if (!load) {
    process.stderr.write(`simdgrad: unknown command '${cmd}'\n\n${USAGE}`);
    return 2;
  }
  const [spec, run] = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(help(cmd, spec));
    return 0;
  }
  const opts = parseArgs(rest, spec, `simdgrad ${cmd}`);
  // A command's own status (130 after Ctrl-C) must survive; only a plain return means success.
  return (await run(opts)) ?? 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: Error) => {
    process.stderr.write(`\n${e instanceof UsageError ? '' : 'simdgrad: '}${e.message}\n`);
    if (process.env.SIMDGRAD_DEBUG) process.stderr.write(`${e.stack}\n`);
    process.exitCode = 1;
  }
);
