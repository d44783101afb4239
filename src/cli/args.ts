// A small, strict option parser: --name value or --name=value, typed, with choices; unknown
// options and bad values are errors that name the option.

export interface ArgSpec {
  type: 'string' | 'number' | 'integer' | 'boolean';
  help: string;
  default?: string | number | boolean;
  choices?: readonly string[];
  min?: number;
}

export class UsageError extends Error {}

export function parseArgs(
  argv: string[],
  spec: Record<string, ArgSpec>,
  who: string
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(spec)) if (s.default !== undefined) out[k] = s.default;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--'))
      throw new UsageError(
        `${who}: unexpected argument '${arg}' (options start with --; see --help)`
      );
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const s = spec[name];
    if (!s) {
      throw new UsageError(
        `${who}: unknown option --${name}; known: ${Object.keys(spec)
          .map((k) => `--${k}`)
          .join(' ')}`
      );
    }
    if (s.type === 'boolean') {
      if (eq >= 0) throw new UsageError(`${who}: --${name} takes no value`);
      out[name] = true;
      continue;
    }
    let raw: string;
    if (eq >= 0) {
      raw = arg.slice(eq + 1);
    } else {
      if (i + 1 >= argv.length) throw new UsageError(`${who}: --${name} needs a ${s.type} value`);
      raw = argv[++i];
    }
    if (s.type === 'string') {
      if (s.choices && !s.choices.includes(raw)) {
        throw new UsageError(
          `${who}: --${name} must be one of ${s.choices.join(', ')}; got '${raw}'`
        );
      }
      out[name] = raw;
    } else {
      const v = Number(raw);
      if (
        raw.trim() === '' ||
        !Number.isFinite(v) ||
        (s.type === 'integer' && !Number.isInteger(v))
      ) {
        throw new UsageError(
          `${who}: --${name} must be ${s.type === 'integer' ? 'an integer' : 'a number'}; got '${raw}'`
        );
      }
      if (s.min !== undefined && v < s.min)
        throw new UsageError(`${who}: --${name} must be >= ${s.min}; got ${v}`);
      out[name] = v;
    }
  }
  return out;
}
