/**
 * Stats series as time series frames, one per group (time + value, the group in the value's
 * labels and display name), which time series, bar chart, pie chart and stat panels draw as they
 * are; and the same answer grouped by severity as Explore's logs volume (one frame per level,
 * the level in the `level` label).
 */

import { createDataFrame, DataFrameType, type DataFrame, FieldType, type LogsVolumeCustomMetaData, type QueryResultMeta } from '@grafana/data';
import type { StatsMetric } from '../../core/stats';
import type { StatsAnswer } from '../types';

const UNITS: Record<StatsMetric, string> = { count: 'short', bytes: 'decbytes', durationP50: 'ms', durationP95: 'ms' };
const METRIC_NAMES: Record<StatsMetric, string> = { count: 'requests', bytes: 'bytes', durationP50: 'duration p50', durationP95: 'duration p95' };

/** The bridge's names for "no value" and "the rest" (src/core/stats.ts). */
const NO_VALUE_GROUP = '(none)';
const ALL_GROUP = '(all)';

export interface StatsFrameOptions {
  refId: string;
  groupBy: string | null;
  metric: StatsMetric;
  meta?: QueryResultMeta;
}

export function statsFrames(stats: StatsAnswer | undefined, options: StatsFrameOptions): DataFrame[] {
  if (!stats) return [];
  const labelName = options.groupBy ?? 'group';
  return stats.series.map((series) => {
    const whole = options.groupBy === null || series.group === ALL_GROUP;
    const name = whole ? METRIC_NAMES[options.metric] : series.group;
    return createDataFrame({
      refId: options.refId,
      name,
      meta: { ...options.meta, type: DataFrameType.TimeSeriesMulti, typeVersion: [0, 1], preferredVisualisationType: 'graph' },
      fields: [
        { name: 'Time', type: FieldType.time, config: { interval: stats.intervalMs }, values: [...stats.times] },
        {
          name: 'Value',
          type: FieldType.number,
          labels: whole ? undefined : { [labelName]: series.group },
          config: { displayNameFromDS: name, unit: UNITS[options.metric] },
          values: [...series.values],
        },
      ],
    });
  });
}

/** Explore's level names; the bridge's severity is already error / warning / info. */
function level(group: string): string {
  return group === NO_VALUE_GROUP || group === '' ? 'unknown' : group;
}

/**
 * Logs volume: stats grouped by severity, one count frame per level, marked as covering the whole
 * range (Explore draws a "limited" histogram from the returned rows otherwise).
 */
export function logsVolumeFrames(stats: StatsAnswer | undefined, refId: string, volume: LogsVolumeCustomMetaData, meta?: QueryResultMeta): DataFrame[] {
  if (!stats) return [];
  return stats.series.map((series) =>
    createDataFrame({
      refId,
      name: level(series.group),
      meta: { ...meta, type: DataFrameType.TimeSeriesMulti, typeVersion: [0, 1], custom: { ...meta?.custom, ...volume } },
      fields: [
        { name: 'Time', type: FieldType.time, config: { interval: stats.intervalMs }, values: [...stats.times] },
        { name: 'Value', type: FieldType.number, labels: { level: level(series.group) }, config: { displayNameFromDS: level(series.group) }, values: [...series.values] },
      ],
    }),
  );
}
