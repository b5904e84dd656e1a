/**
 * Runs an exported function of a TypeScript module on a worker thread and resolves with what it
 * returns, or rejects once `timeoutMs` has passed (ending the thread). For tests of work that
 * could block the event loop: a timer on the test's own thread would never fire.
 */
import { Worker } from 'node:worker_threads';

export function runInWorker<T>(module: URL, exportName: string, timeoutMs: number): Promise<T> {
  const code = `
    const { parentPort } = require('node:worker_threads');
    import('tsx/esm/api')
      .then(({ tsImport }) => tsImport(${JSON.stringify(module.href)}, ${JSON.stringify(import.meta.url)}))
      .then(async (m) => parentPort.postMessage({ ok: true, value: await m[${JSON.stringify(exportName)}]() }))
      .catch((error) => parentPort.postMessage({ ok: false, error: String(error && error.stack || error) }));`;
  const worker = new Worker(code, { eval: true });
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`${exportName} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    worker.once('message', (message: { ok: true; value: T } | { ok: false; error: string }) => {
      clearTimeout(timer);
      void worker.terminate();
      if (message.ok) resolve(message.value);
      else reject(new Error(message.error));
    });
    worker.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
