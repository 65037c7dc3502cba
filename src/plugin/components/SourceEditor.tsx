/**
 * The source selector of a provider, as its adapter's parseSource reads it: Cloudflare zone,
 * Gcore resource or CNAME, DSA hosts, ELSA project, EdgeOne zone + layer + domains or proxies.
 * Shared by the settings (default source) and the query editor (a source of its own).
 */

import React from 'react';
import { InlineField, InlineFieldRow, Input, RadioButtonGroup } from '@grafana/ui';
import { providerSpec } from '../providers';
import type { SourceSelector } from '../types';

interface Props {
  provider: string | undefined;
  value: SourceSelector | undefined;
  onChange: (value: SourceSelector) => void;
  /** Shown where the field is empty: what the data source's default source fills in. */
  placeholders?: SourceSelector;
  /** Called when a field loses focus (the query editor runs the query). */
  onBlur?: () => void;
  idPrefix: string;
}

const LAYERS = [
  { label: 'L7 (HTTP requests)', value: 'l7' },
  { label: 'L4 (proxy connections)', value: 'l4' },
];

export function SourceEditor({ provider, value, onChange, placeholders, onBlur, idPrefix }: Props) {
  const spec = providerSpec(provider);
  if (!spec) return null;
  const source = value ?? {};
  const set = (key: string, text: string) => onChange({ ...source, [key]: text });
  const layer = source.layer || placeholders?.layer || 'l7';
  return (
    <InlineFieldRow>
      {spec.selectors.map((selector) => {
        if (selector.kind === 'layer') {
          return (
            <InlineField key={selector.key} label={selector.label} labelWidth={10} tooltip={selector.description}>
              <RadioButtonGroup
                options={LAYERS}
                value={layer}
                onChange={(v) => {
                  // Domains name L7 sources, proxies L4 ones: the other list would be refused.
                  onChange({ ...source, layer: v, ...(v === 'l4' ? { domain: '' } : { proxy: '' }) });
                  onBlur?.();
                }}
              />
            </InlineField>
          );
        }
        if ((selector.key === 'domain' && layer === 'l4') || (selector.key === 'proxy' && layer !== 'l4')) return null;
        const id = `${idPrefix}-source-${selector.key}`;
        return (
          <InlineField key={selector.key} label={selector.label} labelWidth={14} tooltip={selector.description} htmlFor={id}>
            <Input
              id={id}
              aria-label={selector.label}
              width={selector.kind === 'list' ? 40 : 30}
              value={source[selector.key] ?? ''}
              placeholder={placeholders?.[selector.key] || selector.placeholder}
              onChange={(e) => set(selector.key, e.currentTarget.value)}
              onBlur={onBlur}
            />
          </InlineField>
        );
      })}
    </InlineFieldRow>
  );
}
