import type { HourBucket } from "../chart.js";
import { totals } from "../chart.js";

const hour = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

/**
 * Deliveries per hour over the last 24 h as stacked bars (succeeded below, failed above),
 * drawn as SVG: a few dozen elements need no chart library. Screen readers get the totals.
 */
export function DeliveryChart({ buckets, partial }: { buckets: HourBucket[]; partial: boolean }) {
  const { succeeded, failed } = totals(buckets);
  const max = Math.max(1, ...buckets.map((b) => b.succeeded + b.failed));
  const height = 32;
  const label = `Deliveries in the last 24 hours${partial ? " (at least)" : ""}: ${succeeded} succeeded, ${failed} failed`;
  return (
    <figure class="chart">
      <svg role="img" aria-label={label} viewBox={`0 0 ${24 * 8} ${height}`} preserveAspectRatio="none" class="chart-svg">
        <line x1="0" y1={height - 0.5} x2={24 * 8} y2={height - 0.5} class="chart-axis" />
        {buckets.map((b, i) => {
          const ok = (b.succeeded / max) * (height - 2);
          const bad = (b.failed / max) * (height - 2);
          return (
            <g key={b.start}>
              <title>{`${hour.format(new Date(b.start))}–${hour.format(new Date(b.start + 3_600_000))}: ${b.succeeded} succeeded, ${b.failed} failed`}</title>
              {ok > 0 && <rect x={i * 8 + 1} y={height - 1 - ok} width="6" height={ok} class="chart-ok" />}
              {bad > 0 && <rect x={i * 8 + 1} y={height - 1 - ok - bad} width="6" height={bad} class="chart-bad" />}
            </g>
          );
        })}
      </svg>
      <figcaption class="chart-caption">
        Last 24 h{partial ? " (at least)" : ""}: <span class="chart-key-ok">{succeeded} succeeded</span>, <span class="chart-key-bad">{failed} failed</span>
      </figcaption>
    </figure>
  );
}
