// The client of pagelift's /api/*: every call carries a fresh App Bridge session token (`shopify.idToken()`), and
// every failure becomes an ApiError whose message is the API's own error body message, so pages show it as is.
import {useCallback, useEffect, useState} from 'preact/hooks';

declare global {
  interface Window {
    shopify?: {idToken(): Promise<string>};
  }
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
  // The backend has no such route yet (the router's own 404/405), as opposed to "this record does not exist".
  get notAvailable(): boolean {
    return (this.status === 404 && this.message.startsWith('no route for')) || this.status === 405;
  }
  // The field the API blames (400 bodies carry details.field).
  get field(): string | undefined {
    return typeof this.details.field === 'string' ? this.details.field : undefined;
  }
}

const STATUS_WORDS: Record<number, string> = {
  400: 'The request was not accepted',
  401: 'Your session has expired or is not valid',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflict',
  429: 'Too many requests',
  500: 'Something went wrong on pagelift’s side',
  503: 'pagelift is temporarily unavailable',
};

export function describeStatus(status: number): string {
  return STATUS_WORDS[status] ?? (status >= 500 ? STATUS_WORDS[500] : `Request failed`);
}

async function sessionToken(): Promise<string> {
  const bridge = window.shopify;
  if (!bridge || typeof bridge.idToken !== 'function') {
    throw new ApiError(0, 'app_bridge', 'App Bridge did not load, so pagelift cannot authenticate. Open pagelift from your Shopify admin.');
  }
  try {
    return await bridge.idToken();
  } catch (e) {
    throw new ApiError(0, 'app_bridge', `App Bridge could not provide a session token: ${(e as Error).message}`);
  }
}

async function send(method: string, path: string, body: unknown, token: string): Promise<Response> {
  try {
    return await fetch(path, {
      method,
      headers: body === undefined
        ? {Authorization: `Bearer ${token}`}
        : {Authorization: `Bearer ${token}`, 'Content-Type': 'application/json'},
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', 'pagelift could not be reached. Check your connection and try again.');
  }
}

export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  let response = await send(method, path, body, await sessionToken());
  // Shopify's convention: a 401 with this header means "fetch a new session token and retry once".
  if (response.status === 401 && response.headers.get('X-Shopify-Retry-Invalid-Session-Request') === '1') {
    response = await send(method, path, body, await sessionToken());
  }
  const text = await response.text();
  let data: any = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = data && typeof data.error === 'object' ? data.error : {};
    const message = typeof error.message === 'string' && error.message
      ? error.message
      : `${describeStatus(response.status)} (HTTP ${response.status}).`;
    throw new ApiError(response.status, String(error.code ?? response.status), message, error.details ?? {});
  }
  return data as T;
}

export interface Resource<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => Promise<void>;
}

// Loads `path` (GET) when it changes; `reload` refreshes in place without clearing what is shown.
export function useApi<T = any>(path: string | null): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [loading, setLoading] = useState(path !== null);
  const load = useCallback(async () => {
    if (path === null) return;
    setLoading(true);
    try {
      setData(await api<T>('GET', path));
      setError(undefined);
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, 'client', String(e)));
    } finally {
      setLoading(false);
    }
  }, [path]);
  useEffect(() => {
    setData(undefined);
    void load();
  }, [load]);
  return {data, error, loading, reload: load};
}
