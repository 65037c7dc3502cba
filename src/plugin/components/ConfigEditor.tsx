/**
 * Data source settings: where the bridge is and its token, which provider account this data
 * source reads (one data source = one account), the account's credentials (secureJsonData: sent
 * to the bridge as headers by the data proxy route, never to the browser), a default source and the
 * proxy timeout.
 */

import React from 'react';
import type { DataSourcePluginOptionsEditorProps, SelectableValue } from '@grafana/data';
import { FieldSet, InlineField, Input, RadioButtonGroup, SecretInput, Select } from '@grafana/ui';
import type { ProviderId } from '../../core/record';
import { type CredentialSpec, PROVIDERS, providerSpec, secureKey } from '../providers';
import type { CdnLogsOptions, CdnLogsSecureData } from '../types';
import { SourceEditor } from './SourceEditor';

export type ConfigEditorProps = DataSourcePluginOptionsEditorProps<CdnLogsOptions, CdnLogsSecureData>;

const PROVIDER_OPTIONS: Array<SelectableValue<ProviderId>> = PROVIDERS.map((p) => ({ label: p.name, value: p.id }));
const EDGEONE_ENDPOINTS: Array<SelectableValue<string>> = [
  { label: 'Mainland China (teo.tencentcloudapi.com)', value: '' },
  { label: 'International (teo.intl.tencentcloudapi.com)', value: 'https://teo.intl.tencentcloudapi.com' },
];
const CLOUDFLARE_AUTH = [
  { label: 'API token', value: 'token' as const },
  { label: 'Email + Global API key', value: 'key' as const },
];
const LABEL_WIDTH = 20;

/** Cloudflare takes a token or an email + key pair: only the chosen one is asked for. */
function shownCredentials(provider: string | undefined, jsonData: CdnLogsOptions): CredentialSpec[] {
  const spec = providerSpec(provider);
  if (!spec) return [];
  if (spec.id !== 'cloudflare') return spec.credentials;
  const byKey = (jsonData.cloudflareAuth ?? 'token') === 'key';
  return spec.credentials.filter((c) => (byKey ? c.env !== 'CLOUDFLARE_API_TOKEN' : c.env === 'CLOUDFLARE_API_TOKEN'));
}

export function ConfigEditor({ options, onOptionsChange }: ConfigEditorProps) {
  const jsonData = options.jsonData ?? {};
  const secureJsonFields = options.secureJsonFields ?? {};
  const secureJsonData = options.secureJsonData ?? {};

  const setJson = (patch: Partial<CdnLogsOptions>) => onOptionsChange({ ...options, jsonData: { ...jsonData, ...patch } });
  const setSecret = (key: string, value: string) => onOptionsChange({ ...options, secureJsonData: { ...secureJsonData, [key]: value } });
  const resetSecrets = (keys: string[]) =>
    onOptionsChange({
      ...options,
      secureJsonFields: { ...secureJsonFields, ...Object.fromEntries(keys.map((k) => [k, false])) },
      secureJsonData: { ...secureJsonData, ...Object.fromEntries(keys.map((k) => [k, ''])) },
    });

  const onProvider = (provider: ProviderId) => {
    // Another account's secrets must not ride along in the route's headers: clear what the new provider does not use.
    const keep = new Set(providerSpec(provider)?.credentials.map((c) => secureKey(c.env)));
    const stale = PROVIDERS.flatMap((p) => p.credentials.map((c) => secureKey(c.env))).filter((k) => !keep.has(k) && (secureJsonFields[k] || secureJsonData[k]));
    onOptionsChange({
      ...options,
      jsonData: { ...jsonData, provider, defaultSource: {}, apiBaseUrl: undefined, cloudflareAuth: undefined },
      secureJsonFields: { ...secureJsonFields, ...Object.fromEntries(stale.map((k) => [k, false])) },
      secureJsonData: { ...secureJsonData, ...Object.fromEntries(stale.map((k) => [k, ''])) },
    });
  };

  const provider = jsonData.provider;
  return (
    <>
      <FieldSet label="Bridge">
        <InlineField label="Bridge URL" labelWidth={LABEL_WIDTH} tooltip="Where Grafana's server reaches cdn-log-bridge serve (the data proxy calls it, not the browser)" htmlFor="cdnlogs-bridge-url" required>
          <Input id="cdnlogs-bridge-url" width={40} value={jsonData.bridgeUrl ?? ''} placeholder="http://127.0.0.1:8787" onChange={(e) => setJson({ bridgeUrl: e.currentTarget.value.trim() })} />
        </InlineField>
        <InlineField label="Bridge token" labelWidth={LABEL_WIDTH} tooltip="The token the bridge was started with (--token or CDN_LOG_BRIDGE_TOKEN)" htmlFor="cdnlogs-bridge-token" required>
          <SecretInput
            id="cdnlogs-bridge-token"
            width={40}
            isConfigured={Boolean(secureJsonFields.bridgeToken)}
            value={secureJsonData.bridgeToken ?? ''}
            placeholder="at least 16 characters"
            onChange={(e) => setSecret('bridgeToken', e.currentTarget.value)}
            onReset={() => resetSecrets(['bridgeToken'])}
          />
        </InlineField>
        <InlineField label="Timeout (s)" labelWidth={LABEL_WIDTH} tooltip="How long Grafana's data proxy waits for the bridge (default 30 s); long queries are polled, so this bounds one answer, not a query" htmlFor="cdnlogs-timeout">
          <Input
            id="cdnlogs-timeout"
            type="number"
            width={12}
            min={5}
            value={jsonData.timeout ?? ''}
            placeholder="30"
            onChange={(e) => {
              const seconds = Number(e.currentTarget.value);
              setJson({ timeout: e.currentTarget.value === '' || !Number.isFinite(seconds) ? undefined : seconds });
            }}
          />
        </InlineField>
      </FieldSet>

      <FieldSet label="Provider account">
        <InlineField label="Provider" labelWidth={LABEL_WIDTH} htmlFor="cdnlogs-provider" required>
          <Select inputId="cdnlogs-provider" width={40} options={PROVIDER_OPTIONS} value={provider ?? null} placeholder="Choose the CDN provider" onChange={(v) => v.value && onProvider(v.value)} />
        </InlineField>
        {provider === 'cloudflare' && (
          <InlineField label="Authentication" labelWidth={LABEL_WIDTH}>
            <RadioButtonGroup
              options={CLOUDFLARE_AUTH}
              value={jsonData.cloudflareAuth ?? 'token'}
              onChange={(mode) => {
                // Only one way of signing in is sent: clear the other's secrets.
                const other = mode === 'key' ? ['CLOUDFLARE_API_TOKEN'] : ['CLOUDFLARE_EMAIL', 'CLOUDFLARE_API_KEY'];
                const keys = other.map(secureKey);
                onOptionsChange({
                  ...options,
                  jsonData: { ...jsonData, cloudflareAuth: mode },
                  secureJsonFields: { ...secureJsonFields, ...Object.fromEntries(keys.map((k) => [k, false])) },
                  secureJsonData: { ...secureJsonData, ...Object.fromEntries(keys.map((k) => [k, ''])) },
                });
              }}
            />
          </InlineField>
        )}
        {provider === 'tencent-edgeone' && (
          <InlineField label="API endpoint" labelWidth={LABEL_WIDTH} htmlFor="cdnlogs-api-endpoint">
            <Select inputId="cdnlogs-api-endpoint" width={40} options={EDGEONE_ENDPOINTS} value={jsonData.apiBaseUrl ?? ''} onChange={(v) => setJson({ apiBaseUrl: v.value || undefined })} />
          </InlineField>
        )}
        {shownCredentials(provider, jsonData).map((credential) => {
          const key = secureKey(credential.env);
          const id = `cdnlogs-secret-${key}`;
          return (
            <InlineField key={key} label={credential.label} labelWidth={LABEL_WIDTH} tooltip={`${credential.description} (${credential.env})`} htmlFor={id} required={!credential.optional || provider === 'cloudflare'}>
              <SecretInput
                id={id}
                width={40}
                isConfigured={Boolean(secureJsonFields[key])}
                value={secureJsonData[key] ?? ''}
                placeholder={credential.optional && provider !== 'cloudflare' ? 'optional' : ''}
                onChange={(e) => setSecret(key, e.currentTarget.value)}
                onReset={() => resetSecrets([key])}
              />
            </InlineField>
          );
        })}
      </FieldSet>

      {provider && (
        <FieldSet label="Default source">
          <SourceEditor idPrefix="cdnlogs-default" provider={provider} value={jsonData.defaultSource} onChange={(defaultSource) => setJson({ defaultSource })} />
        </FieldSet>
      )}
    </>
  );
}
