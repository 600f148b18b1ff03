// The shapes of the API's JSON the pages read (docs/api.md), and the words a merchant reads for them.
export interface Experiment {
  id: string;
  name: string;
  target: string;
  status: string;
  variants: Array<{key: string; config: Record<string, unknown>}>;
  weights: number[];
  coverage: number;
  primary_metric: string;
  secondary_metrics: string[];
  guardrail_metrics: string[];
  guardrails: {min_sample?: number; max_duration_days?: number; revenue_cap?: number;
               segment_guards: Array<{segment: string; metric: string}>};
  started_at: string | null;
  ended_at: string | null;
  created_at: string;
}

export interface Recommendation {
  id: string;
  rule_id: string;
  category: string;
  severity: string;
  status: string;
  rationale: string;
  summary?: string;  // the rule's one-line title
  automatic?: boolean;  // the patch can be applied by pagelift (not a guided step)
  entity_type: string;
  entity_id: string;
  entity_title?: string;
  product_title?: string | null;  // the product's title in the synced catalog (entity_type "product")
  expected_impact?: {metric: string; unit?: string; low: number; high: number; source?: string} | null;
  patch_payload?: unknown;
  created_at?: string;
}

export interface Patch {
  id: string;
  recommendation_id?: string | null;
  applied_to: string;
  applied_by: string;
  applied_at: string;
  version?: number;
  status?: string;
  rolled_back_at?: string | null;
  payload?: unknown;
  why?: string;
  reason?: string;
}

export const METRICS: Array<[string, string]> = [
  ['purchase_rate', 'Purchase rate'],
  ['add_to_cart_rate', 'Add-to-cart rate'],
  ['checkout_rate', 'Checkout rate'],
  ['view_rate', 'Product view rate'],
  ['revenue_per_visitor', 'Revenue per visitor'],
  ['average_order_value', 'Average order value'],
];
export const metricName = (m: string) => METRICS.find(([k]) => k === m)?.[1] ?? m;

export const SEGMENTS: Array<[string, string]> = [
  ['device:mobile', 'Mobile'], ['device:desktop', 'Desktop'], ['device:tablet', 'Tablet'],
  ['visitor:new', 'New visitors'], ['visitor:returning', 'Returning visitors'],
  ['source:direct', 'Direct'], ['source:search', 'Search'], ['source:social', 'Social'], ['source:email', 'Email'],
  ['source:paid', 'Paid'], ['source:referral', 'Referral'],
];
export const segmentName = (s: string) => (s === '' ? 'Everyone' : SEGMENTS.find(([k]) => k === s)?.[1] ?? s);

export const STATUS_TONE: Record<string, 'success' | 'info' | 'attention' | 'neutral' | 'critical' | 'warning'> = {
  running: 'success', draft: 'neutral', paused: 'attention', stopped: 'warning', completed: 'info', archived: 'neutral',
  pending: 'attention', applied: 'success', dismissed: 'neutral', resolved: 'info', rolled_back: 'neutral',
  critical: 'critical', high: 'warning', medium: 'attention', low: 'neutral',
};

export interface Health {score: number | null; open?: Record<string, number>; products_audited?: number;
                        audited_at?: string | null}

export interface AuditEntry {id: string; at: string; actor: string; action: string; target: string; reason?: string}

export const SEVERITY_WEIGHT: Record<string, number> = {critical: 12, high: 6, medium: 3, low: 1};

// What a decision means, in a merchant's words.
export const DECISION_WORDS: Record<string, string> = {
  ship: 'A variant wins: it is ready to roll out.',
  rollback: 'The change hurts: roll it back.',
  roll_back: 'The change hurts: roll it back.',
  keep_running: 'Keep running: there is no clear answer yet.',
  inconclusive: 'Inconclusive: the test ran its full time without a clear difference.',
  stop_inconclusive: 'Inconclusive: the test ran its full time without a clear difference.',
};
