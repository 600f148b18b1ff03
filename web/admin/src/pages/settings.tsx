// Settings: brand voice, autopilot limits, data retention, product-write permission (GET/PUT /api/settings), the
// tracking status (/api/shop) and the sync status with progress (GET /api/sync, polled while a sync runs).
import {useEffect, useState} from 'preact/hooks';
import {api, ApiError, useApi} from '../api';
import {act, Badge, Banner, Button, Card, Checkbox, EmptyState, ErrorBanner, Field, Loading, Page, humanize,
        toast, when} from '../ui';

type Settings = Record<string, any>;

function NumberField(props: {label: string; value: number; onChange: (v: number) => void; help?: string; error?: string}) {
  return (
    <Field label={props.label} help={props.help} error={props.error}>
      {(id) => <input id={id} class="Input" type="number" value={props.value}
                      onInput={(e) => props.onChange(Number((e.target as HTMLInputElement).value))} />}
    </Field>
  );
}

function SettingsForm(props: {initial: Settings}) {
  const [s, setS] = useState<Settings>(props.initial);
  const [error, setError] = useState<ApiError | null>(null);
  const set = (key: string, value: unknown) => setS((x) => ({...x, [key]: value}));
  const setLimit = (key: string, value: unknown) => setS((x) => ({...x, autopilot_limits: {...x.autopilot_limits, [key]: value}}));
  const fieldError = (name: string) => (error?.field === name ? error.message : undefined);
  const limits: Record<string, unknown> = s.autopilot_limits ?? {};
  const save = async () => {
    try {
      const saved = await api<{settings: Settings}>('PUT', '/api/settings', s);
      setS(saved.settings);
      setError(null);
      toast('Settings saved');
    } catch (e) {
      setError(e as ApiError);
      toast((e as ApiError).message, {error: true});
    }
  };
  return (
    <>
      {error && <Banner tone="critical" title="Settings not saved"><p class="ErrorMessage">{error.message}</p></Banner>}
      <Card title="Brand voice">
        <Field label="How generated copy should sound" help="Used for alt text and SEO descriptions pagelift writes from your own product data."
               error={fieldError('brand_voice')}>
          {(id) => <textarea id={id} class="Input" rows={3} value={s.brand_voice ?? ''} maxLength={2000}
                             onInput={(e) => set('brand_voice', (e.target as HTMLTextAreaElement).value)} />}
        </Field>
      </Card>
      <Card title="Autopilot">
        {Object.entries(limits).map(([key, value]) => typeof value === 'boolean'
          ? <Checkbox key={key} label={key === 'enabled' ? 'Let autopilot act within these limits' : humanize(key)} checked={value} onChange={(v) => setLimit(key, v)} />
          : typeof value === 'number'
            ? <NumberField key={key} label={humanize(key)} value={value} onChange={(v) => setLimit(key, v)} error={fieldError(`autopilot_limits.${key}`)} />
            : Array.isArray(value)
              ? <Field key={key} label={`${humanize(key)} (comma-separated)`} error={fieldError(`autopilot_limits.${key}`)}>
                  {(id) => <input id={id} class="Input" value={value.join(', ')}
                                  onInput={(e) => setLimit(key, (e.target as HTMLInputElement).value.split(',').map((x) => x.trim()).filter(Boolean))} />}
                </Field>
              : null)}
      </Card>
      <Card title="Data and permissions">
        <NumberField label="Keep event data for (days)" value={s.data_retention_days ?? 395} help="Older storefront events are deleted."
                     onChange={(v) => set('data_retention_days', v)} error={fieldError('data_retention_days')} />
        <Checkbox label="Allow pagelift to edit product fields (titles, descriptions, alt text, SEO)" checked={!!s.allow_write_products}
                  onChange={(v) => set('allow_write_products', v)}
                  help="Off: pagelift only changes its own blocks; product edits stay recommendations for you to apply." />
      </Card>
      <div class="FormFooter"><Button variant="primary" onClick={save}>Save settings</Button></div>
    </>
  );
}

interface Tracking {
  app_embed_enabled: boolean | null;  // null: unknown (app_embed_reason says why)
  app_embed_reason?: string | null;
  app_embed_url?: string;             // the theme editor's deep link to pagelift's app embed
  theme_name?: string | null;
  events_last_24h: number;
  events_last_24h_capped?: boolean;
  last_event_at?: string | null;
}

function EmbedStatus(props: {t: Tracking; recheck: () => Promise<void>}) {
  const {t} = props;
  const theme = t.theme_name ? ` (${t.theme_name})` : '';
  if (t.app_embed_enabled) {
    return <li data-testid="embed-status">App embed: <Badge tone="success">On</Badge> <span class="muted small">in your published theme{theme}</span>{' '}
      <Button variant="plain" onClick={props.recheck}>Check again</Button></li>;
  }
  const link = t.app_embed_url
    ? <a class="Link" href={t.app_embed_url} target="_top" data-testid="embed-link">Open the theme editor’s app embeds</a> : null;
  return (
    <li data-testid="embed-status">
      {t.app_embed_enabled === false
        ? <Banner tone="warning" title="Tracking is off: pagelift’s app embed is not turned on">
            <p>{t.app_embed_reason ?? 'The app embed is off.'} Without it pagelift sees no storefront visits, so experiments get no
              data.</p>
            <p>{link}, switch on “pagelift” and press Save. Then <Button variant="plain" onClick={props.recheck}>check again</Button>.</p>
          </Banner>
        : <Banner tone="info" title="pagelift could not check the app embed">
            <p>{t.app_embed_reason ?? 'The theme could not be read.'}</p>
            <p>To check by hand: {link} and make sure “pagelift” is on. <Button variant="plain" onClick={props.recheck}>Check again</Button></p>
          </Banner>}
    </li>
  );
}

function TrackingCard() {
  const [path, setPath] = useState('/api/shop');
  const shop = useApi<{shop: Record<string, any>}>(path);
  if (shop.error) return <Card title="Tracking"><ErrorBanner error={shop.error} what="Tracking status" retry={shop.reload} /></Card>;
  if (!shop.data) return <Card title="Tracking"><Loading label="Loading tracking status" lines={2} /></Card>;
  const t = shop.data.shop.tracking as Tracking | undefined;
  // A new path (with a fresh nonce) reloads; ?recheck=1 makes the server ask Shopify again instead of its cache.
  const recheck = async () => setPath(`/api/shop?recheck=1&at=${Date.now()}`);
  const events = t ? `${t.events_last_24h.toLocaleString()}${t.events_last_24h_capped ? '+' : ''} in the last 24 h` : '';
  return (
    <Card title="Tracking">
      <p class="muted small">Store: {shop.data.shop.domain}</p>
      {!t ? <p class="muted" data-testid="tracking-unavailable">Not available yet: this server does not report whether the app embed is on or events arrive.</p> : (
        <ul class="List">
          <EmbedStatus t={t} recheck={recheck} />
          <li data-testid="events-status">Events: {t.events_last_24h ? <Badge tone="success">{events}</Badge>
            : <Badge tone="warning">None in the last 24 h</Badge>} <span class="muted small">last: {when(t.last_event_at)}</span></li>
        </ul>
      )}
    </Card>
  );
}

interface SyncRun {state: string; objects_done?: number; errors?: number; last_error?: string | null; started_at?: string | null;
                  finished_at?: string | null}

// A run is in progress until it has finished_at (states starting, waiting, downloading).
const inProgress = (r: SyncRun) => !r.finished_at && !/done|fail/i.test(r.state);

function Sync() {
  const sync = useApi<{sync: Record<string, SyncRun>; active?: boolean}>('/api/sync');
  const runs = sync.data?.sync ?? {};
  // `active`: a sync job is queued or running, also before its first sync_runs row exists.
  const running = !!sync.data?.active || Object.values(runs).some(inProgress);
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => void sync.reload(), 1500);
    return () => clearInterval(timer);
  }, [running]);
  const start = async () => {
    if (await act(() => api('POST', '/api/sync'), 'Full sync started: products, then orders')) await sync.reload();
  };
  return (
    <Card title="Sync with Shopify" actions={<Button onClick={start} disabled={running}>{running ? 'Syncing…' : 'Sync now'}</Button>}>
      {sync.error && <ErrorBanner error={sync.error} what="Sync status" retry={sync.reload} />}
      {!sync.data && !sync.error && <Loading label="Loading sync status" lines={2} />}
      {sync.data && running && (
        <p class="muted small" data-testid="sync-active" role="status">A full sync is running; this page updates as it goes.</p>
      )}
      {sync.data && Object.keys(runs).length === 0 && !running && (
        <EmptyState heading="Not synced yet"><p>pagelift copies your products and orders after install; this usually takes a minute.</p></EmptyState>
      )}
      {Object.entries(runs).map(([kind, r]) => {
        const active = inProgress(r);
        return (
          <div key={kind} class="SyncRow" data-testid={`sync-${kind}`}>
            <p><strong>{humanize(kind)}</strong> <Badge tone={active ? 'info' : r.errors || /fail/i.test(r.state) ? 'critical' : 'success'}>{humanize(r.state.toLowerCase())}</Badge>
              <span class="muted small"> {(r.objects_done ?? 0).toLocaleString()} synced · {active ? `started ${when(r.started_at)}` : `finished ${when(r.finished_at)}`}</span></p>
            {active && <div class="Progress" role="progressbar" aria-label={`${kind} sync in progress`} aria-valuetext={`${r.objects_done ?? 0} synced`}><span /></div>}
            {r.last_error && <p class="ErrorMessage small">{r.last_error}</p>}
          </div>
        );
      })}
    </Card>
  );
}

export function SettingsPage() {
  const settings = useApi<{settings: Settings}>('/api/settings');
  return (
    <Page title="Settings">
      <div class="Grid2">
        <div class="Stack">
          {settings.error && <ErrorBanner error={settings.error} what="Settings" retry={settings.reload} />}
          {!settings.data && !settings.error && <Card><Loading label="Loading settings" lines={4} /></Card>}
          {settings.data && <SettingsForm initial={settings.data.settings} />}
        </div>
        <div class="Stack"><TrackingCard /><Sync /></div>
      </div>
    </Page>
  );
}
