// Client-side routing for /app/*: history.pushState + popstate, keeping the embedded query (shop, host, embedded) on
// every navigation. Hand-written because it is a dozen lines; a router package (preact-iso) would also pull in a
// server-side renderer this app does not use.
import {useEffect, useState} from 'preact/hooks';

type Listener = () => void;
const listeners = new Set<Listener>();
const embeddedQuery = new URLSearchParams();
for (const key of ['shop', 'host', 'embedded']) {
  const value = new URLSearchParams(location.search).get(key);
  if (value !== null) embeddedQuery.set(key, value);
}

export function href(path: string): string {
  const [base, query] = path.split('?');
  const params = new URLSearchParams(embeddedQuery);
  new URLSearchParams(query ?? '').forEach((v, k) => params.set(k, v));
  const search = params.toString();
  return search ? `${base}?${search}` : base;
}

// Runs `fn` after the browser has painted the current frame: the new page renders after the click's own feedback
// paints, so the click's interaction latency (INP) does not include rendering a whole page.
function afterNextPaint(fn: () => void): void {
  requestAnimationFrame(() => setTimeout(fn, 0));
}

function notify(): void {
  listeners.forEach((l) => l());
}

export function navigate(path: string): void {
  history.pushState(null, '', href(path));
  afterNextPaint(() => {
    notify();
    window.scrollTo(0, 0);
  });
}

addEventListener('popstate', () => afterNextPaint(notify));

export function useLocation(): {path: string; query: URLSearchParams} {
  const [, setTick] = useState(0);
  useEffect(() => {
    const listener = () => setTick((t) => t + 1);
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }, []);
  return {path: location.pathname.replace(/\/+$/, '') || '/app', query: new URLSearchParams(location.search)};
}

// Matches "/app/experiments/:id" against a path; returns the parameters or null.
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/');
  const s = path.split('/');
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(':')) params[p[i].slice(1)] = decodeURIComponent(s[i]);
    else if (p[i] !== s[i]) return null;
  }
  return params;
}

// An in-app link: navigates without a page load (modifier clicks keep the browser's behaviour).
export function onLinkClick(event: MouseEvent, path: string): void {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  navigate(path);
}
