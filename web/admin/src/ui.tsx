// Polaris-like building blocks (web/admin/src/styles.css carries Polaris' tokens): page, card, button, badge, banner,
// empty state, toast, modal and form fields. Small on purpose: @shopify/polaris is React-only and far heavier than the
// whole app (docs/decisions.md).
import type {ComponentChildren, JSX} from 'preact';
import {useEffect, useId, useRef, useState} from 'preact/hooks';
import {ApiError, describeStatus} from './api';
import {href, onLinkClick} from './router';

export type Tone = 'info' | 'success' | 'warning' | 'critical' | 'attention' | 'neutral';

export function Page(props: {title: string; subtitle?: string; back?: string; actions?: ComponentChildren;
                             children: ComponentChildren}) {
  return (
    <main class="Page">
      <header class="Page-header">
        {props.back && <Link to={props.back} class="Page-back" label="Back">← Back</Link>}
        <div class="Page-heading">
          <h1 class="Page-title">{props.title}</h1>
          {props.subtitle && <p class="muted">{props.subtitle}</p>}
        </div>
        {props.actions && <div class="Page-actions">{props.actions}</div>}
      </header>
      {props.children}
    </main>
  );
}

export function Card(props: {title?: string; actions?: ComponentChildren; children: ComponentChildren; class?: string}) {
  const id = useId();
  return (
    <section class={`Card ${props.class ?? ''}`} aria-labelledby={props.title ? id : undefined}>
      {(props.title || props.actions) && (
        <div class="Card-header">
          {props.title && <h2 id={id} class="Card-title">{props.title}</h2>}
          {props.actions && <div class="Card-actions">{props.actions}</div>}
        </div>
      )}
      {props.children}
    </section>
  );
}

export function Link(props: {to: string; children: ComponentChildren; class?: string; label?: string}) {
  return (
    <a href={href(props.to)} class={props.class ?? 'Link'} aria-label={props.label}
       onClick={(e) => onLinkClick(e as unknown as MouseEvent, props.to)}>
      {props.children}
    </a>
  );
}

export function Button(props: {onClick?: () => void | Promise<void>; variant?: 'primary' | 'critical' | 'plain';
                               disabled?: boolean; type?: 'button' | 'submit'; children: ComponentChildren;
                               label?: string}) {
  const [busy, setBusy] = useState(false);
  const click = async () => {
    if (!props.onClick) return;
    setBusy(true);
    try {
      await props.onClick();
    } finally {
      setBusy(false);
    }
  };
  return (
    <button type={props.type ?? 'button'} class={`Button Button--${props.variant ?? 'secondary'}`}
            disabled={props.disabled || busy} aria-busy={busy} aria-label={props.label}
            onClick={props.type === 'submit' ? undefined : click}>
      {busy && <span class="Spinner Spinner--small" aria-hidden="true" />}
      {props.children}
    </button>
  );
}

export function Badge(props: {tone?: Tone; children: ComponentChildren}) {
  return <span class={`Badge Badge--${props.tone ?? 'neutral'}`}>{props.children}</span>;
}

export function Banner(props: {tone: Tone; title: string; children?: ComponentChildren; action?: ComponentChildren}) {
  const role = props.tone === 'critical' || props.tone === 'warning' ? 'alert' : 'status';
  return (
    <div class={`Banner Banner--${props.tone}`} role={role}>
      <p class="Banner-title">{props.title}</p>
      {props.children && <div class="Banner-body">{props.children}</div>}
      {props.action && <div class="Banner-action">{props.action}</div>}
    </div>
  );
}

// How a failed load or action reads: the API's message, a hint for the status, and a retry.
export function ErrorBanner(props: {error: ApiError; what: string; retry?: () => void}) {
  const e = props.error;
  if (e.notAvailable) {
    return (
      <Banner tone="info" title={`${props.what}: not available yet`}>
        <p>This version of pagelift's server does not offer this yet ({e.message}). Everything else keeps working.</p>
      </Banner>
    );
  }
  const hint = e.status === 401 ? 'Reload pagelift from your Shopify admin to start a new session.'
    : e.status === 403 ? 'This session belongs to another store, or lacks the permission for this.'
    : e.status >= 500 ? 'Try again in a moment; if it keeps happening, contact pagelift support.' : '';
  return (
    <Banner tone="critical" title={e.status ? `${describeStatus(e.status)} (${e.status})` : `Could not load ${props.what.toLowerCase()}`}
            action={props.retry && <Button onClick={props.retry}>Try again</Button>}>
      <p class="ErrorMessage">{e.message}</p>
      {hint && <p class="muted">{hint}</p>}
    </Banner>
  );
}

export function EmptyState(props: {heading: string; children: ComponentChildren; action?: ComponentChildren}) {
  return (
    <div class="EmptyState">
      <p class="EmptyState-heading">{props.heading}</p>
      <div class="muted">{props.children}</div>
      {props.action && <div class="EmptyState-action">{props.action}</div>}
    </div>
  );
}

export function Loading(props: {label: string; lines?: number}) {
  return (
    <div class="Loading" role="status" aria-label={props.label}>
      {Array.from({length: props.lines ?? 3}, (_, i) => <div key={i} class="Skeleton" />)}
    </div>
  );
}

// Toasts: one live region; `toast()` from anywhere.
type ToastItem = {id: number; message: string; error: boolean};
let pushToast: (t: ToastItem) => void = () => {};
let nextToast = 1;
export function toast(message: string, options: {error?: boolean} = {}): void {
  pushToast({id: nextToast++, message, error: options.error ?? false});
}

export function Toasts() {
  const [items, setItems] = useState<ToastItem[]>([]);
  useEffect(() => {
    pushToast = (t) => {
      setItems((list) => [...list, t]);
      setTimeout(() => setItems((list) => list.filter((x) => x.id !== t.id)), t.error ? 8000 : 4000);
    };
  }, []);
  return (
    <div class="Toasts" role="status" aria-live="polite">
      {items.map((t) => <div key={t.id} class={`Toast ${t.error ? 'Toast--error' : ''}`}>{t.message}</div>)}
    </div>
  );
}

// Runs an action, toasting success or the API's error message; returns whether it succeeded.
export async function act(action: () => Promise<unknown>, success: string): Promise<boolean> {
  try {
    await action();
    toast(success);
    return true;
  } catch (e) {
    toast(e instanceof ApiError ? e.message : String(e), {error: true});
    return false;
  }
}

export function Modal(props: {title: string; onClose: () => void; children: ComponentChildren;
                              footer?: ComponentChildren}) {
  const id = useId();
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && props.onClose();
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);
  return (
    <div class="Modal-backdrop">
      <div class="Modal" role="dialog" aria-modal="true" aria-labelledby={id} tabIndex={-1} ref={ref}>
        <div class="Modal-header">
          <h2 id={id} class="Card-title">{props.title}</h2>
          <Button variant="plain" onClick={props.onClose} label="Close">✕</Button>
        </div>
        <div class="Modal-body">{props.children}</div>
        {props.footer && <div class="Modal-footer">{props.footer}</div>}
      </div>
    </div>
  );
}

export function Field(props: {label: string; help?: string; error?: string; children: (id: string) => JSX.Element}) {
  const id = useId();
  return (
    <div class={`Field ${props.error ? 'Field--error' : ''}`}>
      <label for={id} class="Field-label">{props.label}</label>
      {props.children(id)}
      {props.help && <p class="Field-help muted">{props.help}</p>}
      {props.error && <p class="Field-error" role="alert">{props.error}</p>}
    </div>
  );
}

export function Select(props: {label: string; value: string; options: Array<[string, string]>;
                               onChange: (v: string) => void; error?: string}) {
  return (
    <Field label={props.label} error={props.error}>
      {(id) => (
        <select id={id} class="Input" value={props.value}
                onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}>
          {props.options.map(([value, label]) => <option key={value} value={value}>{label}</option>)}
        </select>
      )}
    </Field>
  );
}

export function Checkbox(props: {label: string; checked: boolean; onChange: (v: boolean) => void; help?: string}) {
  const id = useId();
  return (
    <div class="Checkbox">
      <input id={id} type="checkbox" checked={props.checked}
             onChange={(e) => props.onChange((e.target as HTMLInputElement).checked)} />
      <label for={id}>{props.label}</label>
      {props.help && <p class="Field-help muted">{props.help}</p>}
    </div>
  );
}

export const pct = (x: number | null | undefined, digits = 1) =>
  x === null || x === undefined || !isFinite(x) ? '—' : `${(x * 100).toFixed(digits)}%`;
export const signedPct = (x: number | null | undefined, digits = 1) =>
  x === null || x === undefined || !isFinite(x) ? '—' : `${x > 0 ? '+' : ''}${(x * 100).toFixed(digits)}%`;
export const humanize = (s: string) => s.replace(/[_.:]/g, ' ').replace(/^\w/, (c) => c.toUpperCase());
export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return isNaN(d.getTime()) ? iso : d.toLocaleString();
}
