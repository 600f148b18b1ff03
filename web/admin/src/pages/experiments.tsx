// Experiments: the list with lifecycle actions, the create form (target, variants and weights, metrics, guardrails)
// and one experiment's page (actions + results). API: /api/experiments* (src/api/experiments.h).
import {useState} from 'preact/hooks';
import {api, ApiError, useApi} from '../api';
import {Experiment, METRICS, metricName, SEGMENTS, STATUS_TONE} from '../model';
import {navigate} from '../router';
import {act, Badge, Banner, Button, Card, Checkbox, EmptyState, ErrorBanner, Field, Link, Loading, Page, Select,
        humanize, pct, toast, when} from '../ui';
import {ExperimentResults} from './results';

// The lifecycle actions offered in each status (experiments/definition.h: CanTransition).
const ACTIONS: Record<string, Array<[string, string]>> = {
  draft: [['start', 'Start']],
  running: [['pause', 'Pause'], ['stop', 'Stop']],
  paused: [['resume', 'Resume'], ['stop', 'Stop']],
  stopped: [['complete', 'Mark completed']],
  completed: [['archive', 'Archive']],
};

export function LifecycleActions(props: {experiment: Experiment; onChanged: () => void}) {
  const e = props.experiment;
  return (
    <div class="ButtonGroup">
      {(ACTIONS[e.status] ?? []).map(([action, label]) => (
        <Button key={action} variant={action === 'start' || action === 'resume' ? 'primary' : action === 'stop' ? 'critical' : undefined}
                label={`${label} ${e.name}`}
                onClick={async () => {
                  if (await act(() => api('POST', `/api/experiments/${e.id}/${action}`), `${e.name}: ${label.toLowerCase()} done`)) props.onChanged();
                }}>{label}</Button>
      ))}
    </div>
  );
}

export function ExperimentsPage() {
  const list = useApi<{experiments: Experiment[]}>('/api/experiments');
  const experiments = (list.data?.experiments ?? []).filter((e) => e.status !== 'archived');
  return (
    <Page title="Experiments" subtitle="Test a change on part of your traffic before it reaches everyone."
          actions={<Button variant="primary" onClick={() => navigate('/app/experiments/new')}>Create experiment</Button>}>
      {list.error && <ErrorBanner error={list.error} what="Experiments" retry={list.reload} />}
      {!list.data && !list.error && <Card><Loading label="Loading experiments" /></Card>}
      {list.data && experiments.length === 0 && (
        <Card>
          <EmptyState heading="No experiments yet"
                      action={<Button variant="primary" onClick={() => navigate('/app/experiments/new')}>Create your first experiment</Button>}>
            <p>Pick something on your product page to test — a button text, a trust badge — and pagelift shows each visitor one
              version and tells you which one sells more. You can also turn a recommendation into an experiment.</p>
          </EmptyState>
        </Card>
      )}
      {experiments.length > 0 && (
        <Card>
          <table class="Table">
            <caption class="visually-hidden">Experiments</caption>
            <thead><tr><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Target</th><th scope="col">Variants</th>
              <th scope="col">Started</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
            <tbody>
              {experiments.map((e) => (
                <tr key={e.id}>
                  <th scope="row"><Link to={`/app/experiments/${e.id}`}>{e.name}</Link></th>
                  <td><Badge tone={STATUS_TONE[e.status]}>{humanize(e.status)}</Badge></td>
                  <td><code>{e.target}</code></td>
                  <td>{e.variants.map((v, i) => `${v.key} ${pct(e.weights[i], 0)}`).join(' · ')}</td>
                  <td>{when(e.started_at)}</td>
                  <td><LifecycleActions experiment={e} onChanged={list.reload} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      )}
    </Page>
  );
}

interface VariantRow {key: string; config: string; weight: string}

// Prefill from a recommendation (?from=<id>): control = today's page, the variant = the recommendation's patch.
function prefillFrom(query: URLSearchParams): {name: string; target: string; variants: VariantRow[]} {
  const rule = query.get('rule');
  const config = query.get('config');
  return {
    name: rule ? `Test: ${humanize(rule)}` : '',
    target: query.get('target') ?? (rule ? `recommendation:${rule}` : 'product_page:cta'),
    variants: [{key: 'control', config: '{}', weight: '50'},
               {key: rule ? 'fix' : 'variant', config: config ?? '{"text": "Buy now"}', weight: '50'}],
  };
}

export function NewExperimentPage(props: {query: URLSearchParams}) {
  const initial = prefillFrom(props.query);
  const [name, setName] = useState(initial.name);
  const [target, setTarget] = useState(initial.target);
  const [variants, setVariants] = useState<VariantRow[]>(initial.variants);
  const [coverage, setCoverage] = useState('100');
  const [primary, setPrimary] = useState('purchase_rate');
  const [secondary, setSecondary] = useState<string[]>(['view_rate', 'add_to_cart_rate', 'checkout_rate']);
  const [guardrailMetrics, setGuardrailMetrics] = useState<string[]>([]);
  const [minSample, setMinSample] = useState('1000');
  const [maxDays, setMaxDays] = useState('28');
  const [revenueCap, setRevenueCap] = useState('');
  const [guards, setGuards] = useState<Array<{segment: string; metric: string}>>([{segment: 'device:mobile', metric: 'purchase_rate'}]);
  const [error, setError] = useState<ApiError | null>(null);
  const [saving, setSaving] = useState(false);

  const fieldError = (prefix: string) => (error?.field && error.field.startsWith(prefix) ? error.message : undefined);
  const setVariant = (i: number, patch: Partial<VariantRow>) =>
    setVariants((vs) => vs.map((v, j) => (j === i ? {...v, ...patch} : v)));
  const toggle = (list: string[], set: (l: string[]) => void, m: string, on: boolean) =>
    set(on ? [...list.filter((x) => x !== m), m] : list.filter((x) => x !== m));
  const weightSum = variants.reduce((s, v) => s + (parseFloat(v.weight) || 0), 0);

  const submit = async (event: Event) => {
    event.preventDefault();
    const configs: Array<Record<string, unknown>> = [];
    for (const [i, v] of variants.entries()) {
      try {
        configs.push(v.config.trim() ? JSON.parse(v.config) : {});
      } catch {
        setError(new ApiError(400, 'client', `variants[${i}].config: must be JSON, e.g. {"text": "Buy now"}`, {field: `variants[${i}].config`}));
        return;
      }
    }
    const guardrails: Record<string, unknown> = {segment_guards: guards};
    if (minSample) guardrails.min_sample = Number(minSample);
    if (maxDays) guardrails.max_duration_days = Number(maxDays);
    if (revenueCap) guardrails.revenue_cap = Number(revenueCap);
    const body = {
      name, target, coverage: Number(coverage) / 100,
      variants: variants.map((v, i) => ({key: v.key, config: configs[i]})),
      weights: variants.map((v) => (parseFloat(v.weight) || 0) / (weightSum || 1)),
      primary_metric: primary,
      secondary_metrics: secondary.filter((m) => m !== primary),
      guardrail_metrics: guardrailMetrics.filter((m) => m !== primary),
      guardrails,
    };
    setSaving(true);
    try {
      const created = await api<{experiment: Experiment}>('POST', '/api/experiments', body);
      toast(`Experiment “${created.experiment.name}” created as a draft`);
      navigate(`/app/experiments/${created.experiment.id}`);
    } catch (e) {
      setError(e as ApiError);
    } finally {
      setSaving(false);
    }
  };

  return (
    <Page title="Create experiment" back="/app/experiments">
      <form onSubmit={submit} class="Stack" noValidate>
        {error && <Banner tone="critical" title="The experiment could not be created"><p class="ErrorMessage">{error.message}</p></Banner>}
        <Card title="What to test">
          <Field label="Name" error={fieldError('name')}>
            {(id) => <input id={id} class="Input" value={name} required onInput={(e) => setName((e.target as HTMLInputElement).value)} />}
          </Field>
          <Field label="Target" help="Where the variant applies, as kind:name — e.g. product_page:cta, block:trust" error={fieldError('target')}>
            {(id) => <input id={id} class="Input" value={target} list="targets" onInput={(e) => setTarget((e.target as HTMLInputElement).value)} />}
          </Field>
          <datalist id="targets">
            {['product_page:cta', 'product_page:badge', 'product_page:title', 'block:trust', 'block:shipping', 'block:size_guide', 'block:low_stock'].map((t) => <option key={t} value={t} />)}
          </datalist>
        </Card>
        <Card title="Variants and traffic" actions={
          <Button onClick={() => setVariants((vs) => [...vs, {key: `variant_${vs.length}`, config: '{}', weight: '0'}])}>Add variant</Button>}>
          <p class="muted">The first variant is the control (your page as it is). Weights are shares of the traffic in the experiment.</p>
          {variants.map((v, i) => (
            <fieldset class="VariantRow" key={i}>
              <legend>{i === 0 ? 'Control' : `Variant ${i}`}</legend>
              <Field label="Key" error={fieldError(`variants[${i}].key`)}>
                {(id) => <input id={id} class="Input" value={v.key} onInput={(e) => setVariant(i, {key: (e.target as HTMLInputElement).value})} />}
              </Field>
              <Field label="Weight (%)" error={fieldError('weights')}>
                {(id) => <input id={id} class="Input" type="number" min="0" max="100" value={v.weight} onInput={(e) => setVariant(i, {weight: (e.target as HTMLInputElement).value})} />}
              </Field>
              <Field label="Configuration (JSON)" error={fieldError(`variants[${i}]`)}>
                {(id) => <textarea id={id} class="Input Input--code" rows={2} value={v.config} onInput={(e) => setVariant(i, {config: (e.target as HTMLTextAreaElement).value})} />}
              </Field>
              {i > 1 && <Button variant="plain" onClick={() => setVariants((vs) => vs.filter((_, j) => j !== i))} label={`Remove variant ${i}`}>Remove</Button>}
            </fieldset>
          ))}
          {Math.abs(weightSum - 100) > 0.01 && <p class="muted">Weights add up to {weightSum}%; they are scaled to 100%.</p>}
          <Field label="Traffic in the experiment (%)" help="Visitors outside it see your page unchanged." error={fieldError('coverage')}>
            {(id) => <input id={id} class="Input" type="number" min="1" max="100" value={coverage} onInput={(e) => setCoverage((e.target as HTMLInputElement).value)} />}
          </Field>
        </Card>
        <Card title="Metrics">
          <Select label="Primary metric (decides the winner)" value={primary} options={METRICS} onChange={setPrimary} error={fieldError('primary_metric')} />
          <fieldset class="CheckGroup"><legend>Secondary metrics (also reported; the funnel uses the rates)</legend>
            {METRICS.filter(([m]) => m !== primary).map(([m, label]) => (
              <Checkbox key={m} label={label} checked={secondary.includes(m)} onChange={(on) => toggle(secondary, setSecondary, m, on)} />
            ))}
          </fieldset>
          <fieldset class="CheckGroup"><legend>Guardrail metrics (must not get worse)</legend>
            {METRICS.filter(([m]) => m !== primary).map(([m, label]) => (
              <Checkbox key={m} label={label} checked={guardrailMetrics.includes(m)} onChange={(on) => toggle(guardrailMetrics, setGuardrailMetrics, m, on)} />
            ))}
          </fieldset>
        </Card>
        <Card title="Guardrails">
          <div class="Grid3">
            <Field label="Minimum visitors per variant" error={fieldError('guardrails.min_sample')}>
              {(id) => <input id={id} class="Input" type="number" min="0" value={minSample} onInput={(e) => setMinSample((e.target as HTMLInputElement).value)} />}
            </Field>
            <Field label="Maximum duration (days)" error={fieldError('guardrails.max_duration_days')}>
              {(id) => <input id={id} class="Input" type="number" min="1" value={maxDays} onInput={(e) => setMaxDays((e.target as HTMLInputElement).value)} />}
            </Field>
            <Field label="Revenue cap per visitor" help="Larger orders count as this much (outliers)." error={fieldError('guardrails.revenue_cap')}>
              {(id) => <input id={id} class="Input" type="number" min="0" value={revenueCap} onInput={(e) => setRevenueCap((e.target as HTMLInputElement).value)} />}
            </Field>
          </div>
          <p class="Field-label">Segment guards: never roll out if the variant loses in…</p>
          {guards.map((g, i) => (
            <div class="GuardRow" key={i}>
              <Select label={`Segment of guard ${i + 1}`} value={g.segment} options={SEGMENTS}
                      onChange={(s) => setGuards((gs) => gs.map((x, j) => (j === i ? {...x, segment: s} : x)))} error={fieldError(`guardrails.segment_guards[${i}]`)} />
              <Select label={`Metric of guard ${i + 1}`} value={g.metric} options={METRICS}
                      onChange={(m) => setGuards((gs) => gs.map((x, j) => (j === i ? {...x, metric: m} : x)))} />
              <Button variant="plain" onClick={() => setGuards((gs) => gs.filter((_, j) => j !== i))} label={`Remove guard ${i + 1}`}>Remove</Button>
            </div>
          ))}
          <Button onClick={() => setGuards((gs) => [...gs, {segment: 'device:desktop', metric: primary}])}>Add segment guard</Button>
        </Card>
        <div class="FormFooter">
          <Button onClick={() => navigate('/app/experiments')}>Cancel</Button>
          <button type="submit" class="Button Button--primary" disabled={saving} aria-busy={saving}>
            {saving && <span class="Spinner Spinner--small" aria-hidden="true" />}Create experiment</button>
        </div>
      </form>
    </Page>
  );
}

export function ExperimentPage(props: {id: string}) {
  const res = useApi<{experiment: Experiment}>(`/api/experiments/${encodeURIComponent(props.id)}`);
  const [refreshKey, setRefreshKey] = useState(0);
  const e = res.data?.experiment;
  const changed = () => {
    void res.reload();
    setRefreshKey((k) => k + 1);
  };
  return (
    <Page title={e?.name ?? 'Experiment'} back="/app/experiments"
          subtitle={e ? `${e.target} · primary metric: ${metricName(e.primary_metric)}` : undefined}
          actions={e && <><Badge tone={STATUS_TONE[e.status]}>{humanize(e.status)}</Badge><LifecycleActions experiment={e} onChanged={changed} />
            <Button onClick={() => setRefreshKey((k) => k + 1)}>Refresh results</Button></>}>
      {res.error && <ErrorBanner error={res.error} what="Experiment" retry={res.reload} />}
      {!e && !res.error && <Card><Loading label="Loading experiment" /></Card>}
      {e && e.status === 'draft' && (
        <Banner tone="info" title="This experiment is a draft">
          <p>Nobody sees it yet. Start it to show the variants to {pct(e.coverage, 0)} of your visitors.</p>
        </Banner>
      )}
      {e && <ExperimentResults id={e.id} refreshKey={refreshKey} />}
    </Page>
  );
}
