/**
 * What jsdom lacks and @grafana/ui uses (as @grafana/create-plugin's jest-setup.js provides):
 * TextEncoder, matchMedia, ResizeObserver, IntersectionObserver and a canvas context that measures nothing.
 */

import { TextDecoder, TextEncoder } from 'node:util';

Object.assign(globalThis, { TextDecoder, TextEncoder });

/** Nothing resizes or scrolls into view in jsdom: observers that never call back. */
class NoObserver {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
  takeRecords(): [] {
    return [];
  }
}

// Node-environment tests (plugin-json.test.ts) have no DOM to patch.
if (typeof window !== 'undefined') {
  Object.defineProperty(window, 'matchMedia', {
    writable: true,
    value: (query: string) => ({
      matches: false,
      media: query,
      onchange: null,
      addListener: () => undefined,
      removeListener: () => undefined,
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
      dispatchEvent: () => false,
    }),
  });
  const g = globalThis as { ResizeObserver?: unknown; IntersectionObserver?: unknown };
  g.ResizeObserver ??= NoObserver;
  g.IntersectionObserver ??= NoObserver;
  HTMLCanvasElement.prototype.getContext = (() => null) as unknown as HTMLCanvasElement['getContext'];
}
