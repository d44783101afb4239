// kernel(rt, name): a kernel export typed by its AssemblyScript signature (./abi.ts, generated
// from the builds), the one way the bindings in this folder call into Wasm. A call with the
// wrong number of arguments, or a kernel renamed or changed in assembly/, fails tsc here and not
// at run time. Tests: test/runtime/abi.test.ts.

import type { Runtime } from '../load.js';
import type { Kernels } from './abi.js';

export type { Kernels };
export type KernelName = keyof Kernels;

/** The export `name` of rt's build, typed; throws (naming the build) if the build lacks it. */
export function kernel<K extends KernelName>(rt: Runtime, name: K): Kernels[K] {
  return rt.fn<Kernels[K]>(name);
}
