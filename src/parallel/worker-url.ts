// The Web Worker script of pools made without one: set by init({ workerUrl }) for an app whose
// bundler does not follow `new Worker(new URL(...))` (esbuild). Its own module, so init() does
// not pull the pool (and, for bundlers that do follow it, the worker bundle) into an app that
// never trains in parallel. Tests: test/bundlers/.

let url: string | URL | undefined;

export function setDefaultWorkerUrl(workerUrl: string | URL): void {
  url = workerUrl;
}

export function defaultWorkerUrl(): string | URL | undefined {
  return url;
}
