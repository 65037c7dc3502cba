/**
 * Which sender a target gets: OTLP/JSON lines for a directory; for an OTLP endpoint the project's
 * fast http/protobuf encoder (fast-proto.ts) unless `otlp.encoder: official` (or another protocol)
 * asks for the official OpenTelemetry exporter (official.ts).
 */

import type { FileTarget, OtlpTarget } from '../config';
import type { OtlpSender } from '../delivery';
import { fastProtoSender } from './fast-proto';
import { fileSender } from './files';
import { officialSender, type OfficialSenderOptions } from './official';

export type ClosableSender = OtlpSender & { shutdown(): Promise<void> };

export function senderFor(target: OtlpTarget | FileTarget, options: OfficialSenderOptions = {}): ClosableSender {
  if (target.kind === 'files') return fileSender(target);
  if (target.protocol === 'http/protobuf' && target.encoder === 'fast') return fastProtoSender(target);
  return officialSender(target, options);
}
