// An experiment's results, read at a glance: the decision in plain words, SRM and data-sufficiency warnings,
// conversion by variant with intervals, the posterior of the lift, cumulative results over time, the funnel per
// variant and the segment table (guarded segments highlighted). Data: GET /api/experiments/{id}/results.
import {useApi} from '../api';
import {CumulativeChart, LiftPosteriorChart, SeriesPoint, variantColor} from '../charts';
import {DECISION_WORDS, Experiment, metricName, segmentName} from '../model';
import {Badge, Banner, Card, ErrorBanner, Loading, pct, signedPct} from '../ui';

interface Arm {
  key: string;
  n: number;
  sum: number;
  mean?: number;
  variance?: number;
  status?: string;
  lift?: {expected: number; stddev: number; ci: [number, number]; chance_to_win: number | null;
          p_value: number | null} | null;
}
interface Cell {metric: string; segment: string; variants: Arm[]; problem: string | null}
interface Results {
  experiment: Experiment;
  variants: Array<{key: string; weight: number; visitors: number}>;
  srm_p_value: number;
  days_running: number;
  sufficient: boolean;
  decision: string;
  decisions: Array<{variant: string; decision: string; reasons: Array<{code: string; message: string}>}>;
  metrics: Cell[];
  series?: unknown;
  timeseries?: unknown;
  daily?: unknown;
}

const SRM_THRESHOLD = 0.001;  // statistics.md: the SRM check's alarm level
const FUNNEL = ['view_rate', 'add_to_cart_rate', 'checkout_rate', 'purchase_rate'];

const meanOf = (a: Arm) => (a.mean !== undefined ? a.mean : a.n > 0 ? a.sum / a.n : 0);
// A 95% interval of a variant's mean (normal approximation).
function interval(a: Arm): [number, number] {
  const m = meanOf(a);
  const sd = a.variance !== undefined && a.n > 0 ? Math.sqrt(a.variance / a.n) : a.n > 0 ? Math.sqrt(Math.max(m * (1 - m), 0) / a.n) : 0;
  return [Math.max(0, m - 1.96 * sd), m + 1.96 * sd];
}

// The daily series, whichever of the documented spellings the server uses: [{date, variants: [{key, n, sum|mean}]}]
// or [{date, values: {key: rate}}], optionally per metric.
function seriesOf(r: Results, metric: string): SeriesPoint[] | null {
  const raw = (r.series ?? r.timeseries ?? r.daily) as any;
  if (!raw) return null;
  let rows: any[] | null = Array.isArray(raw) ? raw : Array.isArray(raw?.[metric]) ? raw[metric] : Array.isArray(raw?.points) ? raw.points : null;
  if (!rows) return null;
  rows = rows.filter((row) => !row.metric || row.metric === metric);
  return rows.map((row) => {
    const values: Record<string, number | null> = {};
    if (Array.isArray(row.variants)) {
      for (const v of row.variants) values[v.key] = v.mean ?? v.rate ?? (v.n ? v.sum / v.n : null);
    } else if (row.values) Object.assign(values, row.values);
    return {date: String(row.date ?? row.day), values};
  });
}

function IntervalRows(props: {cell: Cell}) {
  const arms = props.cell.variants;
  const maxHi = Math.max(1e-9, ...arms.map((a) => interval(a)[1]));
  return (
    <table class="Table">
      <caption class="visually-hidden">{metricName(props.cell.metric)} by variant with 95% intervals</caption>
      <thead><tr><th scope="col">Variant</th><th scope="col">Visitors</th><th scope="col">{metricName(props.cell.metric)}</th>
        <th scope="col" class="wide">95% interval</th><th scope="col">Lift</th><th scope="col">Chance to win</th></tr></thead>
      <tbody>
        {arms.map((a, i) => {
          const [lo, hi] = interval(a);
          return (
            <tr key={a.key}>
              <th scope="row"><span class="Swatch" style={{background: variantColor(i)}} />{a.key}{i === 0 && <span class="muted"> (control)</span>}</th>
              <td>{a.n.toLocaleString()}</td>
              <td>{pct(meanOf(a), 2)}</td>
              <td class="wide">
                <div class="Interval" aria-label={`${pct(lo, 2)} to ${pct(hi, 2)}`}>
                  <span class="Interval-bar" style={{left: `${(lo / maxHi) * 100}%`, width: `${Math.max(0.5, ((hi - lo) / maxHi) * 100)}%`, background: variantColor(i)}} />
                  <span class="Interval-dot" style={{left: `${(meanOf(a) / maxHi) * 100}%`}} />
                </div>
                <span class="muted small">{pct(lo, 2)} – {pct(hi, 2)}</span>
              </td>
              <td>{a.lift ? `${signedPct(a.lift.expected)} (${signedPct(a.lift.ci[0])} to ${signedPct(a.lift.ci[1])})` : '—'}</td>
              <td>{a.lift?.chance_to_win != null ? pct(a.lift.chance_to_win, 0) : '—'}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function Funnel(props: {r: Results}) {
  const cells = FUNNEL.map((m) => props.r.metrics.find((c) => c.metric === m && c.segment === ''));
  if (cells.every((c) => !c)) {
    return <p class="muted">The funnel appears when the experiment tracks view, add-to-cart, checkout and purchase rates (add them as secondary metrics).</p>;
  }
  return (
    <table class="Table">
      <caption class="visually-hidden">Funnel per variant</caption>
      <thead><tr><th scope="col">Variant</th>{FUNNEL.map((m) => <th scope="col" key={m}>{metricName(m).replace(' rate', '')}</th>)}</tr></thead>
      <tbody>
        {props.r.variants.map((v, i) => (
          <tr key={v.key}>
            <th scope="row"><span class="Swatch" style={{background: variantColor(i)}} />{v.key}</th>
            {cells.map((c, j) => {
              const arm = c?.variants.find((a) => a.key === v.key);
              const rate = arm ? meanOf(arm) : null;
              return (
                <td key={j}>
                  {rate === null ? '—' : (
                    <div class="FunnelStep"><span class="FunnelStep-bar" style={{width: `${Math.min(100, rate * 100)}%`, background: variantColor(i)}} />
                      <span>{pct(rate, 1)}</span></div>
                  )}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function SegmentTable(props: {r: Results; metric: string}) {
  const guarded = new Set(props.r.experiment.guardrails.segment_guards.map((g) => g.segment));
  const cells = props.r.metrics.filter((c) => c.metric === props.metric && c.segment !== '');
  if (cells.length === 0) return <p class="muted">Segments (device, new or returning visitors, traffic source) appear as visitors arrive.</p>;
  const variants = props.r.variants.slice(1);
  return (
    <table class="Table">
      <caption class="visually-hidden">{metricName(props.metric)} lift by segment</caption>
      <thead><tr><th scope="col">Segment</th><th scope="col">Visitors</th>
        {variants.map((v) => <th scope="col" key={v.key}>Lift of {v.key}</th>)}</tr></thead>
      <tbody>
        {cells.map((c) => {
          const isGuarded = guarded.has(c.segment);
          const losing = c.variants.slice(1).some((a) => a.lift && a.lift.ci[1] < 0);
          return (
            <tr key={c.segment} class={isGuarded ? (losing ? 'Row--critical' : 'Row--guarded') : ''}>
              <th scope="row">{segmentName(c.segment)}{isGuarded && <> <Badge tone={losing ? 'critical' : 'info'}>{losing ? 'Guarded · losing' : 'Guarded'}</Badge></>}</th>
              <td>{c.variants.reduce((s, a) => s + a.n, 0).toLocaleString()}</td>
              {c.variants.slice(1).map((a) => (
                <td key={a.key}>{a.lift ? `${signedPct(a.lift.expected)} (${signedPct(a.lift.ci[0])} to ${signedPct(a.lift.ci[1])})` : c.problem ?? '—'}</td>
              ))}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function Warnings(props: {r: Results}) {
  const r = props.r;
  const total = r.variants.reduce((s, v) => s + v.visitors, 0);
  const out = [];
  if (total > 0 && r.srm_p_value < SRM_THRESHOLD) {
    const split = r.variants.map((v) => `${v.key} ${pct(v.visitors / total, 1)} (set to ${pct(v.weight, 0)})`).join(', ');
    out.push(
      <Banner tone="critical" title="The traffic split does not match your weights">
        <p>Visitors were split {split}. A difference this large is very unlikely by chance (p = {r.srm_p_value.toExponential(1)}),
          so something is sending visitors to one variant more than the other — for example a variant that fails to load
          or a cache serving one version. Don't trust these results until this is fixed.</p>
      </Banner>,
    );
  }
  if (!r.sufficient) {
    const why = r.decisions.flatMap((d) => d.reasons).find((x) => /sample|data|visitors/.test(x.code + x.message));
    out.push(
      <Banner tone="warning" title="Not enough data yet">
        <p>{total === 0 ? 'No visitors have seen this experiment yet. Once the storefront script shows it, results appear here.'
          : `So far ${total.toLocaleString()} visitors over ${r.days_running.toFixed(1)} days. `}
          {why ? why.message : 'Keep the experiment running before deciding; early differences often disappear.'}</p>
      </Banner>,
    );
  }
  return <>{out}</>;
}

export function ExperimentResults(props: {id: string; refreshKey: number}) {
  const res = useApi<Results>(`/api/experiments/${encodeURIComponent(props.id)}/results?r=${props.refreshKey}`);
  if (res.error) return <ErrorBanner error={res.error} what="Results" retry={res.reload} />;
  if (!res.data) return <Card title="Results"><Loading label="Loading results" lines={4} /></Card>;
  const r = res.data;
  const metric = r.experiment.primary_metric;
  const overall = r.metrics.find((c) => c.metric === metric && c.segment === '');
  const lifts = (overall?.variants ?? []).map((a, index) => ({key: a.key, index, expected: a.lift?.expected ?? 0,
                                                              stddev: a.lift?.stddev ?? 0, has: !!a.lift}))
    .filter((l) => l.has);
  const series = seriesOf(r, metric);
  const decisionTone = r.decision === 'ship' ? 'success' : /roll/.test(r.decision) ? 'critical' : 'info';
  return (
    <div class="Stack" data-testid="results">
      <Banner tone={decisionTone} title={DECISION_WORDS[r.decision] ?? r.decision}>
        <ul class="Reasons">
          {r.decisions.map((d) => (
            <li key={d.variant}><strong>{d.variant}</strong>: {DECISION_WORDS[d.decision] ?? d.decision}
              {d.reasons.length > 0 && <span class="muted"> {d.reasons.map((x) => x.message).join(' · ')}</span>}</li>
          ))}
        </ul>
      </Banner>
      <Warnings r={r} />
      <Card title={`${metricName(metric)} by variant`}>
        {overall ? <IntervalRows cell={overall} /> : <p class="muted">No visitors yet: {metricName(metric)} per variant appears with the first exposures.</p>}
        {overall?.problem && <p class="muted">{overall.problem}</p>}
      </Card>
      <div class="Grid2">
        <Card title="How sure are we? (posterior of the lift)">
          <LiftPosteriorChart lifts={lifts} />
          <p class="muted small">Each curve shows how likely each lift is. Mass right of 0 means the variant is better.</p>
        </Card>
        <Card title="Cumulative results over time">
          {series && series.length > 0
            ? <CumulativeChart points={series} variants={r.variants.map((v) => v.key)} metric={metricName(metric)} />
            : series ? <p class="muted">The daily series starts after the first full day with visitors.</p>
            : <p class="muted" data-testid="series-unavailable">Not available yet: this server's results do not include the daily time series.</p>}
        </Card>
      </div>
      <Card title="Funnel per variant"><Funnel r={r} /></Card>
      <Card title={`Segments (${metricName(metric)})`}><SegmentTable r={r} metric={metric} /></Card>
    </div>
  );
}

