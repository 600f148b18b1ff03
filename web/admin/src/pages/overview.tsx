// Overview: the store's health score from the audit, the top recommendations by expected impact, running experiments
// with their status, and the recent autopilot actions.
import {api, useApi} from '../api';
import {AuditEntry, Experiment, Health as HealthData, Recommendation, SEVERITY_WEIGHT, STATUS_TONE} from '../model';
import {navigate} from '../router';
import {act, Badge, Button, Card, EmptyState, ErrorBanner, Link, Loading, Page, humanize, when} from '../ui';
import {byImpact, ImpactText, titleOf} from './recommendations';

// The audit's score (GET /api/recommendations → health.score); without one, 100 less each open problem's weight.
function healthScore(data: {health?: HealthData; recommendations: Recommendation[]}): number {
  if (typeof data.health?.score === 'number') return Math.round(data.health.score);
  const open = data.recommendations.filter((r) => r.status === 'pending');
  return Math.max(0, 100 - open.reduce((s, r) => s + (SEVERITY_WEIGHT[r.severity] ?? 1), 0));
}

function Health() {
  const recs = useApi<{recommendations: Recommendation[]; health?: HealthData}>('/api/recommendations?status=pending');
  if (recs.error) return <Card title="Store health"><ErrorBanner error={recs.error} what="Store health" retry={recs.reload} /></Card>;
  if (!recs.data) return <Card title="Store health"><Loading label="Loading store health" lines={2} /></Card>;
  if (recs.data.health && recs.data.health.score === null) {
    return (
      <Card title="Store health">
        <EmptyState heading="Your store has not been audited yet"
                    action={<Button onClick={async () => { if (await act(() => api('POST', '/api/recommendations/audit'), 'Audit finished')) await recs.reload(); }}>Run the audit</Button>}>
          <p>The audit runs after your products are synced. You can also run it now.</p>
        </EmptyState>
      </Card>
    );
  }
  const score = healthScore(recs.data);
  const tone = score >= 80 ? 'success' : score >= 50 ? 'attention' : 'critical';
  const top = recs.data.recommendations.filter((r) => r.status === 'pending').sort(byImpact).slice(0, 5);
  return (
    <>
      <Card title="Store health">
        <div class="Score">
          <span class={`Score-value Score--${tone}`} aria-label={`Health score ${score} out of 100`}>{score}</span>
          <span class="muted">/ 100 · {recs.data.recommendations.filter((r) => r.status === 'pending').length} open recommendations</span>
        </div>
      </Card>
      <Card title="Top recommendations" actions={<Link to="/app/recommendations">View all</Link>}>
        {top.length === 0
          ? <EmptyState heading="Nothing to fix right now"><p>The audit found no open problems. It runs again whenever products change.</p></EmptyState>
          : <ul class="List">{top.map((r) => (
              <li key={r.id}><Link to="/app/recommendations">{titleOf(r)}</Link>{r.product_title && <span class="muted small"> · {r.product_title}</span>} <Badge tone={STATUS_TONE[r.severity]}>{humanize(r.severity)}</Badge>
                <div class="small"><ImpactText r={r} /></div></li>))}</ul>}
      </Card>
    </>
  );
}

function RunningExperiments() {
  const res = useApi<{experiments: Experiment[]}>('/api/experiments?status=running');
  return (
    <Card title="Running experiments" actions={<Link to="/app/experiments">All experiments</Link>}>
      {res.error && <ErrorBanner error={res.error} what="Experiments" retry={res.reload} />}
      {!res.data && !res.error && <Loading label="Loading experiments" lines={2} />}
      {res.data && res.data.experiments.length === 0 && (
        <EmptyState heading="No experiment is running"
                    action={<Button onClick={() => navigate('/app/experiments/new')}>Create experiment</Button>}>
          <p>Test a change on part of your traffic: pagelift tells you when one version sells more.</p>
        </EmptyState>
      )}
      {res.data && res.data.experiments.length > 0 && (
        <ul class="List">{res.data.experiments.map((e) => (
          <li key={e.id}><Link to={`/app/experiments/${e.id}`}>{e.name}</Link> <Badge tone={STATUS_TONE[e.status]}>{humanize(e.status)}</Badge>
            <span class="muted small"> since {when(e.started_at)} · {e.variants.length} variants</span></li>))}</ul>
      )}
    </Card>
  );
}

function AutopilotActions() {
  const res = useApi<{entries: AuditEntry[]}>('/api/audit-trail?limit=100');
  const actions = (res.data?.entries ?? []).filter((e) => e.actor === 'autopilot').slice(0, 5);
  return (
    <Card title="Recent autopilot actions">
      {res.error && <ErrorBanner error={res.error} what="Autopilot actions" retry={res.reload} />}
      {!res.data && !res.error && <Loading label="Loading autopilot actions" lines={2} />}
      {res.data && actions.length === 0 && (
        <EmptyState heading="Autopilot has not acted yet">
          <p>With autopilot on (Settings), pagelift ships experiment winners and rolls back losers within your limits, and explains each action here.</p>
        </EmptyState>
      )}
      {actions.length > 0 && <ul class="List">{actions.map((e) => (
        <li key={e.id}><strong>{humanize(e.action)}</strong> <code>{e.target}</code> <span class="muted small">{when(e.at)}</span>
          {e.reason && <div class="small">{e.reason}</div>}</li>))}</ul>}
    </Card>
  );
}

export function OverviewPage() {
  return (
    <Page title="Overview">
      <div class="Grid2">
        <div class="Stack"><Health /></div>
        <div class="Stack"><RunningExperiments /><AutopilotActions /></div>
      </div>
    </Page>
  );
}
