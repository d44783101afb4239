// Engine feature detection by validating tiny hand-assembled modules: no instantiation, no
// Node-only API, so the same code runs in a page.

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
// One function type () -> v128, one function of that type.
const TYPE_AND_FUNC = [0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00];
const SPLAT = [0x41, 0x00, 0xfd, 0x0f]; // i32.const 0; i8x16.splat

function moduleWithBody(body: number[]): ArrayBuffer {
  const fn = [0x00, ...body, 0x0b]; // no locals, body, end
  const code = [0x01, fn.length, ...fn];
  return new Uint8Array([...HEADER, ...TYPE_AND_FUNC, 0x0a, code.length, ...code]).buffer;
}

/** True when the engine validates 128-bit SIMD (i8x16.splat). */
export function hasSimd(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(moduleWithBody(SPLAT));
}

/** True when the engine validates relaxed SIMD (f32x4.relaxed_madd, opcode 0xfd 0x105). */
export function hasRelaxedSimd(): boolean {
  const body = [...SPLAT, ...SPLAT, ...SPLAT, 0xfd, 0x85, 0x02];
  return typeof WebAssembly === 'object' && WebAssembly.validate(moduleWithBody(body));
}

/** In Node 20, relaxed SIMD sits behind a V8 flag that NODE_OPTIONS refuses; turn it on before
 * any compile. Node 22+, Chrome 114+ and Firefox 146+ have it on already; elsewhere a no-op. */
export async function enableRelaxedSimdFlag(): Promise<void> {
  if (hasRelaxedSimd()) return;
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (!proc?.versions?.node) return;
  const v8 = await import(/* @vite-ignore */ 'node:v8');
  v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
}
