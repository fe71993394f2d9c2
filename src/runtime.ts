/**
 * Imported first by the entry, before pg loads. Node 21 and later define `navigator.userAgent`
 * ("Node.js/<major>"); Node 20 does not, and then pg tells Node from Cloudflare Workers by constructing
 * a fetch `Response`, which loads Node's whole fetch implementation: ~10 ms of every run (measured by
 * `npm run bench`, start-up). Define what newer Node defines, only where it is missing.
 */
const scope = globalThis as { navigator?: unknown };
if (scope.navigator === undefined) {
  Object.defineProperty(globalThis, 'navigator', {
    value: Object.freeze({ userAgent: `Node.js/${process.versions.node.split('.')[0]}` }),
    configurable: true,
    writable: true,
    enumerable: false,
  });
}

export {};
