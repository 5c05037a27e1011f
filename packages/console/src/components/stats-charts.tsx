import { useApp } from "../context.js";
import { formatDuration } from "../format.js";
import { formatRate, STATS_PERIODS, statsQuery, statsSeries, summarize, type StatsPeriod, type StatsPoint } from "../stats.js";
import { useLoad } from "../use-load.js";
import { ErrorText } from "./feedback.js";

// Endpoint statistics (docs/statistics.md) as two small charts drawn in SVG, like the 24 h
// delivery chart: a few hundred rectangles need no chart library (which would cost the
// page's bundle more than all of this). Screen readers get each chart's numbers as its name.

const time = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
const HEIGHT = 40;

/** Which period the statistics cover: radio buttons named by the period's label. */
export function PeriodSwitch({ value, onChange, name }: { value: StatsPeriod; onChange: (period: StatsPeriod) => void; name: string }) {
  return (
    <fieldset class="period-switch">
      <legend>Statistics for</legend>
      {(Object.keys(STATS_PERIODS) as StatsPeriod[]).map((period) => (
        <label key={period}>
          <input type="radio" name={name} value={period} checked={value === period} onChange={() => onChange(period)} /> {STATS_PERIODS[period].label}
        </label>
      ))}
    </fieldset>
  );
}

/** A webhook's success rate and p50/p95 latency over `period`, read from GET .../stats. */
export function StatsCharts({ webhookId, period }: { webhookId: string; period: StatsPeriod }) {
  const { client, organizationId } = useApp();
  const load = useLoad(async () => {
    const query = statsQuery(period, Date.now());
    const { items } = await client.stats(organizationId, webhookId, query);
    return { series: statsSeries(items, query), summary: summarize(items) };
  }, [organizationId, webhookId, period]);
  const label = STATS_PERIODS[period].label.toLowerCase();
  if (load.error) return <ErrorText error={load.error} prefix="The statistics could not be loaded." />;
  if (!load.data) return <p class="muted">Loading statistics…</p>;
  const { series, summary } = load.data;
  if (summary.successRate === null || summary.p50 === null || summary.p95Max === null) return <p class="muted">No attempts in the {label}.</p>;
  const rateText = `${formatRate(summary.successRate)} of ${summary.attempts} attempts succeeded`;
  const latencyText = `p50 ${formatDuration(summary.p50)}, p95 up to ${formatDuration(summary.p95Max)}`;
  return (
    <div class="stats">
      <figure class="chart">
        <RateBars series={series} label={`Success rate, ${label}: ${rateText}`} />
        <figcaption class="chart-caption">Success rate: {rateText}</figcaption>
      </figure>
      <figure class="chart">
        <LatencyBars series={series} label={`Latency, ${label}: ${latencyText}`} />
        <figcaption class="chart-caption">
          Latency: <span class="chart-key-p50">p50 {formatDuration(summary.p50)}</span>, <span class="chart-key-p95">p95 up to {formatDuration(summary.p95Max)}</span>
        </figcaption>
      </figure>
    </div>
  );
}

/** Per bucket: the succeeded share from the bottom, the failed share above it. */
function RateBars({ series, label }: { series: StatsPoint[]; label: string }) {
  return (
    <svg role="img" aria-label={label} viewBox={`0 0 ${series.length} ${HEIGHT}`} preserveAspectRatio="none" class="chart-svg">
      {series.map((p, i) => {
        if (p.successRate === null) return null;
        const ok = p.successRate * HEIGHT;
        return (
          <g key={p.start}>
            <title>{`${time.format(new Date(p.start))}: ${formatRate(p.successRate)} of ${p.attempts} attempts succeeded`}</title>
            <rect x={i + 0.1} y={HEIGHT - ok} width="0.8" height={ok} class="chart-ok" />
            <rect x={i + 0.1} y={0} width="0.8" height={HEIGHT - ok} class="chart-bad" />
          </g>
        );
      })}
    </svg>
  );
}

/** Per bucket: its p95 as a light bar, its p50 as a dark one inside it, on one linear scale. */
function LatencyBars({ series, label }: { series: StatsPoint[]; label: string }) {
  const max = Math.max(1, ...series.map((p) => p.p95 ?? 0));
  const h = (ms: number) => Math.max(0.5, (ms / max) * HEIGHT);
  return (
    <svg role="img" aria-label={label} viewBox={`0 0 ${series.length} ${HEIGHT}`} preserveAspectRatio="none" class="chart-svg">
      {series.map((p, i) => {
        if (p.p50 === null || p.p95 === null) return null;
        return (
          <g key={p.start}>
            <title>{`${time.format(new Date(p.start))}: p50 ${formatDuration(p.p50)}, p95 ${formatDuration(p.p95)}`}</title>
            <rect x={i + 0.1} y={HEIGHT - h(p.p95)} width="0.8" height={h(p.p95)} class="chart-p95" />
            <rect x={i + 0.1} y={HEIGHT - h(p.p50)} width="0.8" height={h(p.p50)} class="chart-p50" />
          </g>
        );
      })}
    </svg>
  );
}
