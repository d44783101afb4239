// What the demo page's panels share (web/index.html; entries main.ts and finetune.ts): typed
// element lookup, the page's number format and its notice bar. Tested, with the page, by
// test/browser/demo.test.ts and test/browser/finetune.test.ts.

/** The element with this id, as the type the caller knows it is; a missing id is a bug in the
 * page, so it throws naming the id. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`demo: no element #${id} in the page`);
  return el as T;
}

/** n with exactly `digits` decimals and thousands separators, as the page shows numbers. */
export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
}

/** The element under parent that a template or the page guarantees; missing is a bug in it. */
export function find<T extends Element = HTMLElement>(parent: ParentNode, selector: string): T {
  const found = parent.querySelector<T>(selector);
  if (!found) throw new Error(`demo: no element matches ${selector}`);
  return found;
}

/** Shows the bar under the header: a warning (yellow) or an error (red). */
export function showNotice(text: string, kind: 'warn' | 'error' = 'warn'): void {
  const n = byId('notice');
  n.textContent = text;
  n.className = `notice ${kind === 'error' ? 'error' : ''}`;
  n.hidden = false;
}

/** Appends a line to a <pre> log and scrolls it to the end. */
export function appendLog(id: string, line: string): void {
  const el = byId(id);
  el.textContent += `${line.trimEnd()}\n`;
  el.scrollTop = el.scrollHeight;
}

/** The message of anything thrown. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
