/**
 * @grafana/ui's Icon fetches public/img/icons/<name>.svg through react-inlinesvg, which no test
 * server serves: an empty <svg> named after the icon instead (as @grafana/create-plugin mocks it).
 */

import React from 'react';

export const cacheStore: Record<string, unknown> = Object.create(null);

export default function InlineSVG({ src }: { src: string }) {
  return <svg xmlns="http://www.w3.org/2000/svg" data-testid={src.replace(/(.+)\/(.+)\.svg$/, '$2')} viewBox="0 0 24 24" />;
}
