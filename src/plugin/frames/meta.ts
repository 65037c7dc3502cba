/**
 * The bridge's meta as Grafana shows it: counters in `meta.stats` (the query inspector's Stats
 * tab) and what a user must know in `meta.notices` (shown on the panel): a range clamped to what
 * the provider keeps, an answer cut at the limit or a budget, sampling, approximate groups, a
 * query still running or cancelled.
 */

import type { QueryResultMeta, QueryResultMetaNotice, QueryResultMetaStat } from '@grafana/data';
import { formatTime } from '../../core/time';
import type { BridgeAnswer } from '../types';

export function metaStats(answer: BridgeAnswer): QueryResultMetaStat[] {
  const m = answer.meta;
  return [
    { displayName: 'Windows planned', value: m.windows.planned },
    { displayName: 'Windows done', value: m.windows.done },
    { displayName: 'Windows from cache', value: m.windows.fromCache },
    { displayName: 'Provider requests', value: m.providerRequests },
    { displayName: 'Retries', value: m.retries },
    { displayName: 'Bytes downloaded', value: m.bytesDownloaded, unit: 'decbytes' },
    { displayName: 'Records scanned', value: m.recordsScanned },
    { displayName: 'Records returned', value: m.recordsReturned },
    { displayName: 'Lines skipped', value: m.skipped },
    { displayName: 'Bridge time', value: m.elapsedMs, unit: 'ms' },
  ];
}

export function metaNotices(answer: BridgeAnswer): QueryResultMetaNotice[] {
  const m = answer.meta;
  const notices: QueryResultMetaNotice[] = [];
  for (const clamp of m.clamps ?? []) {
    notices.push({ severity: 'warning', text: `Range ${clamp.side === 'from' ? 'start' : 'end'} moved from ${formatTime(clamp.requestedMs)} to ${formatTime(clamp.effectiveMs)}: ${clamp.reason}` });
  }
  if (answer.state === 'running') {
    const p = answer.progress;
    notices.push({ severity: 'info', text: `Still running: ${p.windowsDone} of ${p.windows} windows read, ${p.records} records so far; partial results shown` });
  } else if (answer.state === 'cancelled') {
    notices.push({ severity: 'warning', text: `The query was cancelled before it finished${m.truncatedReason ? `: ${m.truncatedReason}` : ''}` });
  } else if (m.truncated) {
    notices.push({ severity: 'warning', text: `Truncated: ${m.truncatedReason ?? 'the answer is partial'}` });
  }
  if (m.sampled !== null && m.sampled !== undefined) {
    notices.push({ severity: 'warning', text: `Sampled: the provider returned ${Math.round(m.sampled * 100)} % of the records; counts and bytes are scaled back` });
  }
  if (answer.stats?.approximate) {
    notices.push({ severity: 'info', text: 'Approximate groups: more distinct values than the bridge tracks; the per-bucket totals are exact, a group may lack what it had before it was tracked' });
  }
  for (const note of m.notes ?? []) notices.push({ severity: 'info', text: note });
  return notices;
}

/** The frame meta every frame of an answer carries; the raw bridge meta stays in custom for the editor. */
export function frameMeta(answer: BridgeAnswer): QueryResultMeta {
  return { stats: metaStats(answer), notices: metaNotices(answer), custom: { bridge: answer.meta, state: answer.state, queryId: answer.queryId } };
}
