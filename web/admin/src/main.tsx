// The embedded admin's shell: navigation, the client routes under /app, toasts. Mounted into #app.
import {render} from 'preact';
import './styles.css';
import {ExperimentPage, ExperimentsPage, NewExperimentPage} from './pages/experiments';
import {OverviewPage} from './pages/overview';
import {RecommendationsPage} from './pages/recommendations';
import {SettingsPage} from './pages/settings';
import {match, useLocation} from './router';
import {Banner, EmptyState, Link, Page, Toasts} from './ui';

const NAV: Array<[string, string]> = [
  ['/app', 'Overview'], ['/app/recommendations', 'Recommendations'], ['/app/experiments', 'Experiments'],
  ['/app/settings', 'Settings'],
];

function Route(props: {path: string; query: URLSearchParams}) {
  const {path, query} = props;
  if (path === '/app') return <OverviewPage />;
  if (path === '/app/recommendations') return <RecommendationsPage />;
  if (path === '/app/experiments') return <ExperimentsPage />;
  if (path === '/app/experiments/new') return <NewExperimentPage query={query} />;
  const experiment = match('/app/experiments/:id', path);
  if (experiment) return <ExperimentPage id={experiment.id} />;
  if (path === '/app/settings') return <SettingsPage />;
  return (
    <Page title="Page not found">
      <EmptyState heading="There is no such page" action={<Link to="/app">Go to the overview</Link>}>
        <p>The link may be out of date.</p>
      </EmptyState>
    </Page>
  );
}

function App() {
  const {path, query} = useLocation();
  const bridge = typeof window.shopify?.idToken === 'function';
  return (
    <>
      <nav class="Nav" aria-label="pagelift">
        <span class="Nav-brand">pagelift</span>
        {NAV.map(([to, label]) => {
          const current = to === '/app' ? path === '/app' : path.startsWith(to);
          return <Link key={to} to={to} class={`Nav-link ${current ? 'Nav-link--current' : ''}`}>{label}</Link>;
        })}
      </nav>
      {!bridge && (
        <div class="Page"><Banner tone="critical" title="Open pagelift from your Shopify admin">
          <p>App Bridge did not load, so pagelift cannot get a session token. Open the app from Apps → pagelift in your Shopify admin.</p>
        </Banner></div>
      )}
      <Route path={path} query={query} />
      <Toasts />
    </>
  );
}

render(<App />, document.getElementById('app')!);
