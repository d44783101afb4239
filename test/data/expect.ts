// Error-message assertions for the data and io tests (no Wasm runtime, unlike test/util.ts):
// an error must be thrown and its message must name every fragment (file, offset, field...).

function check(message: string | undefined, fragments: string[], label: string): void {
  if (message === undefined) throw new Error(`${label}: expected an error, none was thrown`);
  for (const f of fragments) {
    if (!message.includes(f)) {
      throw new Error(`${label}: error "${message}" does not mention "${f}"`);
    }
  }
}

/** Asserts fn throws and the message contains every fragment; returns the message. */
export function throwsWith(fn: () => unknown, fragments: string[], label: string): string {
  let message: string | undefined;
  try {
    fn();
  } catch (e) {
    message = (e as Error).message;
  }
  check(message, fragments, label);
  return message as string;
}

/** Async throwsWith. */
export async function rejectsWith(
  fn: () => Promise<unknown>,
  fragments: string[],
  label: string
): Promise<string> {
  let message: string | undefined;
  try {
    await fn();
  } catch (e) {
    message = (e as Error).message;
  }
  check(message, fragments, label);
  return message as string;
}
