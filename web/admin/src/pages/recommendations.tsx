// Recommendations: filter by category/severity/status, read the rationale and expected impact, apply with a preview
// of exactly what changes, dismiss, or turn into an experiment; and the history of patches with rollback.
// API: GET /api/recommendations, GET .../{id}/preview, POST .../{id}/apply|dismiss, GET /api/patches,
// POST /api/patches/{id}/rollback.
import {useState} from 'preact/hooks';
import {api, ApiError, useApi} from '../api';
import {Patch, Recommendation, SEVERITY_WEIGHT, STATUS_TONE} from '../model';
import {navigate} from '../router';
import {act, Badge, Banner, Button, Card, EmptyState, ErrorBanner, Loading, Modal, Page, Select, humanize, pct, toast,
        when} from '../ui';

const CATEGORIES = ['trust', 'copy', 'media', 'pricing', 'variant_ux', 'performance', 'seo', 'accessibility'];
const SEVERITIES = ['high', 'medium', 'low'];
const STATUSES = ['pending', 'applied', 'dismissed', 'resolved'];

export const impactHigh = (r: Recommendation) => r.expected_impact?.high ?? 0;
// The audit states impact in percent ("unit": "relative_pct"); older payloads used fractions.
function impactRange(i: NonNullable<Recommendation['expected_impact']>): string {
  if (i.unit === 'relative_pct') return `+${i.low}–${i.high}%`;
  return `+${pct(i.low, 0)}–${pct(i.high, 0)}`.replace(/%–\+?/, '–');
}
export const byImpact = (a: Recommendation, b: Recommendation) =>
  impactHigh(b) - impactHigh(a) || (SEVERITY_WEIGHT[b.severity] ?? 0) - (SEVERITY_WEIGHT[a.severity] ?? 0);

export function ImpactText(props: {r: Recommendation}) {
  const i = props.r.expected_impact;
  if (!i) return <span class="muted">Impact not estimated</span>;
  return (
    <span>Expected: {impactRange(i)} on {humanize(i.metric)}
      {i.source && <span class="muted small"> · source: {i.source}</span>}</span>
  );
}

export const titleOf = (r: Recommendation) => r.summary ?? humanize(r.rule_id.split('.').join(' '));

// The preview's changes: [{field, before, after}] when the server lists them, else its JSON as is.
function PreviewBody(props: {preview: any}) {
  const p = props.preview?.preview ?? props.preview;
  const guided = p?.guided ?? (p?.kind === 'guided' || Array.isArray(p?.steps) ? p : null);
  if (guided) return <Guided guided={guided} />;
  const changes: any[] | null = Array.isArray(p?.changes) ? p.changes : null;
  if (!changes) return <pre class="Code">{JSON.stringify(p, null, 2)}</pre>;
  const conflicts: any[] = Array.isArray(p?.conflicts) ? p.conflicts : [];
  if (changes.length === 0) return <p>Nothing would change: the product already looks like this.</p>;
  const show = (v: unknown) => (v === null || v === undefined ? '(empty)' : typeof v === 'string' ? v : JSON.stringify(v, null, 1));
  return (
    <>
    {p?.allowed === false && <Banner tone="warning" title="Product edits are turned off">
      <p>Allow pagelift to edit product fields in Settings to apply this change.</p></Banner>}
    {conflicts.length > 0 && <Banner tone="warning" title="The product changed since the audit">
      <p>{conflicts.map((c) => c.field).join(', ')} no longer match what the audit saw; applying will be refused and the product re-audited.</p></Banner>}
    <table class="Table">
      <caption class="visually-hidden">What will change</caption>
      <thead><tr><th scope="col">What</th><th scope="col">Now</th><th scope="col">After</th></tr></thead>
      <tbody>
        {changes.map((c, i) => (
          <tr key={i}><th scope="row">{c.label ?? c.field ?? c.target ?? `Change ${i + 1}`}</th>
            <td class="Before">{show(c.before ?? c.current)}</td><td class="After">{show(c.after ?? c.value)}</td></tr>
        ))}
      </tbody>
    </table>
    </>
  );
}

// Changes pagelift cannot make through the API: the steps for the merchant and Shopify's deep link.
function Guided(props: {guided: any}) {
  const steps: string[] = Array.isArray(props.guided.steps) ? props.guided.steps.map((s: any) => (typeof s === 'string' ? s : s.text ?? JSON.stringify(s))) : [];
  const link = props.guided.deep_link ?? props.guided.deepLink;
  return (
    <div class="Stack">
      <p>Shopify does not let apps make this change directly. It takes a minute in the theme editor:</p>
      {steps.length > 0 && <ol>{steps.map((s, i) => <li key={i}>{s}</li>)}</ol>}
      {link && <p><a class="Link" href={link} target="_top" rel="noopener">Open the theme editor</a></p>}
    </div>
  );
}

function ApplyDialog(props: {rec: Recommendation; onClose: () => void; onApplied: () => void}) {
  const preview = useApi(`/api/recommendations/${encodeURIComponent(props.rec.id)}/preview`);
  const [error, setError] = useState<ApiError | null>(null);
  const [guided, setGuided] = useState<any>(null);
  const apply = async () => {
    try {
      const result = await api('POST', `/api/recommendations/${encodeURIComponent(props.rec.id)}/apply`);
      if (result?.guided) {
        setGuided(result.guided);
        return;
      }
      toast(`Applied: ${titleOf(props.rec)}`);
      props.onApplied();
    } catch (e) {
      setError(e as ApiError);
    }
  };
  return (
    <Modal title={`Apply: ${titleOf(props.rec)}`} onClose={props.onClose}
           footer={<><Button onClick={props.onClose}>Cancel</Button>
             <Button variant="primary" disabled={!preview.data} onClick={apply}>Apply change</Button></>}>
      {error && <Banner tone="critical" title="Not applied"><p class="ErrorMessage">{error.message}</p></Banner>}
      {preview.error && <ErrorBanner error={preview.error} what="Preview" retry={preview.reload} />}
      {!preview.data && !preview.error && <Loading label="Loading the preview" />}
      {guided && <Guided guided={guided} />}
      {!guided && preview.data && <><p>This is exactly what pagelift will change in your store. You can roll it back at any time.</p>
        <PreviewBody preview={preview.data} /></>}
    </Modal>
  );
}

function PatchHistory(props: {refreshKey: number; onChanged: () => void}) {
  const patches = useApi<{patches: Patch[]}>(`/api/patches?r=${props.refreshKey}`);
  return (
    <Card title="Applied changes">
      {patches.error && <ErrorBanner error={patches.error} what="Patch history" retry={patches.reload} />}
      {!patches.data && !patches.error && <Loading label="Loading applied changes" />}
      {patches.data && patches.data.patches.length === 0 && (
        <EmptyState heading="Nothing applied yet">
          <p>When you apply a recommendation, the change is listed here with a one-click rollback.</p>
        </EmptyState>
      )}
      {patches.data && patches.data.patches.length > 0 && (
        <table class="Table">
          <caption class="visually-hidden">Applied changes</caption>
          <thead><tr><th scope="col">Applied</th><th scope="col">To</th><th scope="col">By</th><th scope="col">Version</th>
            <th scope="col">Status</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            {patches.data.patches.map((p) => {
              const rolledBack = !!p.rolled_back_at || p.status === 'rolled_back';
              return (
                <tr key={p.id}>
                  <td>{when(p.applied_at)}</td><td><code>{p.applied_to}</code></td><td>{humanize(p.applied_by)}</td>
                  <td>{p.version ?? '—'}</td>
                  <td><Badge tone={rolledBack ? 'neutral' : 'success'}>{rolledBack ? 'Rolled back' : 'Live'}</Badge></td>
                  <td>{!rolledBack && (
                    <Button label={`Roll back ${p.applied_to}`} onClick={async () => {
                      if (await act(() => api('POST', `/api/patches/${encodeURIComponent(p.id)}/rollback`), 'Rolled back: the previous version is restored')) {
                        props.onChanged();
                      }
                    }}>Roll back</Button>)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </Card>
  );
}

export function RecommendationsPage() {
  const [category, setCategory] = useState('');
  const [severity, setSeverity] = useState('');
  const [status, setStatus] = useState('pending');
  const [applying, setApplying] = useState<Recommendation | null>(null);
  const [refreshKey, setRefreshKey] = useState(0);
  const query = new URLSearchParams();
  if (category) query.set('category', category);
  if (severity) query.set('severity', severity);
  if (status) query.set('status', status);
  query.set('r', String(refreshKey));
  const recs = useApi<{recommendations: Recommendation[]}>(`/api/recommendations?${query}`);
  // Filter here too, so the page is right whichever filters the server applies.
  const list = (recs.data?.recommendations ?? [])
    .filter((r) => (!category || r.category === category) && (!severity || r.severity === severity) && (!status || r.status === status))
    .sort(byImpact);
  const refresh = () => setRefreshKey((k) => k + 1);
  const asOptions = (values: string[], all: string): Array<[string, string]> => [['', all], ...values.map((v): [string, string] => [v, humanize(v)])];

  return (
    <Page title="Recommendations" subtitle="What to fix on which product, ranked by expected impact."
          actions={<Button onClick={async () => {
            if (await act(() => api('POST', '/api/recommendations/audit'), 'Audit finished')) refresh();
          }}>Run audit now</Button>}>
      <Card>
        <div class="Filters">
          <Select label="Category" value={category} options={asOptions(CATEGORIES, 'All categories')} onChange={setCategory} />
          <Select label="Severity" value={severity} options={asOptions(SEVERITIES, 'All severities')} onChange={setSeverity} />
          <Select label="Status" value={status} options={asOptions(STATUSES, 'All statuses')} onChange={setStatus} />
        </div>
      </Card>
      {recs.error && <ErrorBanner error={recs.error} what="Recommendations" retry={recs.reload} />}
      {!recs.data && !recs.error && <Card><Loading label="Loading recommendations" lines={5} /></Card>}
      {recs.data && list.length === 0 && (
        <Card>
          <EmptyState heading={category || severity || status !== 'pending' ? 'Nothing matches these filters' : 'No open recommendations'}>
            <p>{category || severity || status !== 'pending' ? 'Clear a filter to see more.'
              : 'pagelift audits your products after each sync. If your catalog was just installed, the first audit runs once products are synced (see Settings → Sync).'}</p>
          </EmptyState>
        </Card>
      )}
      {list.map((r) => (
        <Card key={r.id} class="Rec">
          <div class="Rec-head">
            <h2 class="Card-title">{titleOf(r)}</h2>
            <div class="ButtonGroup">
              <Badge tone={STATUS_TONE[r.severity]}>{humanize(r.severity)}</Badge>
              <Badge>{humanize(r.category)}</Badge>
              <Badge tone={STATUS_TONE[r.status]}>{humanize(r.status)}</Badge>
            </div>
          </div>
          <p class="muted small">{humanize(r.entity_type)}: {r.product_title ?? r.entity_title ?? r.entity_id}</p>
          <p>{r.rationale}</p>
          <p><ImpactText r={r} /></p>
          {r.status === 'pending' && (
            <div class="ButtonGroup">
              {r.patch_payload != null && <Button variant="primary" onClick={() => setApplying(r)} label={`Preview and apply ${titleOf(r)}`}>
                {r.automatic === false ? 'Show the steps' : 'Preview and apply'}</Button>}
              <Button label={`Test ${titleOf(r)} as an experiment`}
                      onClick={() => navigate(`/app/experiments/new?rule=${encodeURIComponent(r.rule_id)}&config=${encodeURIComponent(JSON.stringify({recommendation_id: r.id}))}`)}>
                Test as experiment</Button>
              <Button variant="plain" label={`Dismiss ${titleOf(r)}`} onClick={async () => {
                if (await act(() => api('POST', `/api/recommendations/${encodeURIComponent(r.id)}/dismiss`), 'Dismissed')) refresh();
              }}>Dismiss</Button>
            </div>
          )}
        </Card>
      ))}
      <PatchHistory refreshKey={refreshKey} onChanged={refresh} />
      {applying && <ApplyDialog rec={applying} onClose={() => setApplying(null)} onApplied={() => { setApplying(null); refresh(); }} />}
    </Page>
  );
}
