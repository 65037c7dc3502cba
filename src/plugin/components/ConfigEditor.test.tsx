import React, { useState } from 'react';
import { fireEvent, render, screen } from '@testing-library/react';
import type { DataSourceSettings } from '@grafana/data';
import type { CdnLogsOptions, CdnLogsSecureData } from '../types';
import { ConfigEditor } from './ConfigEditor';

type Settings = DataSourceSettings<CdnLogsOptions, CdnLogsSecureData>;

function settings(jsonData: CdnLogsOptions = {}, secureJsonFields: Record<string, boolean> = {}): Settings {
  return {
    id: 1,
    uid: 'cdnlogs',
    orgId: 1,
    name: 'CDN logs',
    type: 'cdnlogbridge-cdnlogs-datasource',
    typeName: 'CDN Logs',
    typeLogoUrl: '',
    access: 'proxy',
    url: '',
    user: '',
    database: '',
    basicAuth: false,
    basicAuthUser: '',
    isDefault: false,
    withCredentials: false,
    readOnly: false,
    jsonData,
    secureJsonFields,
    version: 1,
  } as Settings;
}

/** The editor as Grafana hosts it: every change comes back as the new options. */
function renderEditor(initial: Settings) {
  const changes: Settings[] = [];
  function Host() {
    const [options, setOptions] = useState(initial);
    return (
      <ConfigEditor
        options={options}
        onOptionsChange={(o) => {
          changes.push(o);
          setOptions(o);
        }}
      />
    );
  }
  render(<Host />);
  return { changes, last: () => changes[changes.length - 1] };
}

async function choose(label: RegExp, option: string) {
  const input = screen.getByLabelText(label);
  fireEvent.keyDown(input, { key: 'ArrowDown' });
  fireEvent.click(await screen.findByText(option));
}

describe('ConfigEditor', () => {
  it('keeps the bridge URL and timeout in jsonData and the bridge token in secureJsonData only', () => {
    const { last } = renderEditor(settings());
    fireEvent.change(screen.getByLabelText(/Bridge URL/), { target: { value: ' http://bridge:8787 ' } });
    fireEvent.change(screen.getByLabelText(/Bridge token/), { target: { value: 'a-token-of-16-chars' } });
    fireEvent.change(screen.getByLabelText(/Timeout/), { target: { value: '60' } });
    expect(last().jsonData).toEqual({ bridgeUrl: 'http://bridge:8787', timeout: 60 });
    expect(last().secureJsonData).toEqual({ bridgeToken: 'a-token-of-16-chars' });
    expect(JSON.stringify(last().jsonData)).not.toContain('a-token-of-16-chars');
  });

  it('resets a configured bridge token so that a new one can be typed', () => {
    const { last } = renderEditor(settings({ bridgeUrl: 'http://bridge:8787' }, { bridgeToken: true }));
    const token = screen.getByLabelText(/Bridge token/) as HTMLInputElement;
    expect(token.disabled).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Reset' }));
    expect(last().secureJsonFields.bridgeToken).toBe(false);
    expect(last().secureJsonData).toEqual({ bridgeToken: '' });
    expect((screen.getByLabelText(/Bridge token/) as HTMLInputElement).disabled).toBe(false);
  });

  it("asks for the chosen provider's credentials as secrets, and the source its adapter reads", async () => {
    const { last } = renderEditor(settings({ bridgeUrl: 'http://bridge:8787' }));
    await choose(/^Provider/, 'Tencent EdgeOne');
    expect(last().jsonData.provider).toBe('tencent-edgeone');
    fireEvent.change(screen.getByLabelText(/SecretId/), { target: { value: 'AKIDxxxx' } });
    fireEvent.change(screen.getByLabelText(/SecretKey/), { target: { value: 'secret-key' } });
    expect(screen.getByLabelText(/Session token/)).toBeTruthy();
    expect(last().secureJsonData).toEqual({ tencentcloudSecretId: 'AKIDxxxx', tencentcloudSecretKey: 'secret-key' });
    fireEvent.change(screen.getByLabelText('Zone ID'), { target: { value: 'zone-2mzegj4vln5f' } });
    fireEvent.change(screen.getByLabelText('Domains'), { target: { value: 'www.example.com' } });
    fireEvent.click(screen.getByText('L4 (proxy connections)'));
    expect(screen.queryByLabelText('Domains')).toBeNull();
    fireEvent.change(screen.getByLabelText('Proxies'), { target: { value: 'proxy-1,proxy-2' } });
    expect(last().jsonData.defaultSource).toEqual({ zone: 'zone-2mzegj4vln5f', layer: 'l4', domain: '', proxy: 'proxy-1,proxy-2' });
    await choose(/^API endpoint/, 'International (teo.intl.tencentcloudapi.com)');
    expect(last().jsonData.apiBaseUrl).toBe('https://teo.intl.tencentcloudapi.com');
    expect(JSON.stringify(last().jsonData)).not.toMatch(/AKID|secret-key/);
  });

  it("clears the previous provider's secrets and source when the provider changes, so they never ride in the route's headers", async () => {
    const { last } = renderEditor(settings({ provider: 'gcore', defaultSource: { resource: '100001' } }, { gcoreApiKey: true, bridgeToken: true }));
    expect((screen.getByLabelText(/API key/) as HTMLInputElement).disabled).toBe(true);
    await choose(/^Provider/, 'Cloudflare');
    expect(last().jsonData).toMatchObject({ provider: 'cloudflare', defaultSource: {} });
    expect(last().secureJsonFields).toEqual({ gcoreApiKey: false, bridgeToken: true });
    expect(last().secureJsonData).toEqual({ gcoreApiKey: '' });
  });

  it('asks Cloudflare for a token, or for email and Global API key, clearing the other', () => {
    const { last } = renderEditor(settings({ provider: 'cloudflare' }, { cloudflareApiToken: true }));
    expect((screen.getByLabelText(/API token/, { selector: 'input[type=text]' }) as HTMLInputElement).disabled).toBe(true);
    expect(screen.queryByLabelText(/Account email/)).toBeNull();
    fireEvent.click(screen.getByText('Email + Global API key'));
    expect(last().jsonData.cloudflareAuth).toBe('key');
    expect(last().secureJsonFields.cloudflareApiToken).toBe(false);
    fireEvent.change(screen.getByLabelText(/Account email/), { target: { value: 'ops@example.com' } });
    fireEvent.change(screen.getByLabelText(/Global API key/, { selector: 'input:not([type=radio])' }), { target: { value: 'global-key' } });
    expect(last().secureJsonData).toEqual({ cloudflareApiToken: '', cloudflareEmail: 'ops@example.com', cloudflareApiKey: 'global-key' });
  });
});
