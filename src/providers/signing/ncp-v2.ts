// NAVER Cloud API Gateway signature v2, used by ELSA: provider-spec §5.2.
import { createHmac } from 'node:crypto';

/** base64 HMAC-SHA256(secretKey, `${method} ${uri}\n${timestamp}\n${accessKey}`); uri is path + query string, no scheme/host. */
export function signNcpV2(input: { method: string; uri: string; timestamp: string; accessKey: string; secretKey: string }): string {
  // The body is not signed: a GET's parameters are protected only because they are part of the uri.
  const message = `${input.method} ${input.uri}\n${input.timestamp}\n${input.accessKey}`;
  return createHmac('sha256', input.secretKey).update(message, 'utf8').digest('base64');
}
