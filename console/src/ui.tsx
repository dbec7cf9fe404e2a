// The console's building blocks: data loading, notices, the confirmation dialog, forms and tables.
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useId, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.js';

export function errorText(error: unknown): string {
  return error instanceof ApiError ? error.message : error instanceof Error ? error.message : String(error);
}

export interface Loaded<T> { data?: T; error?: string; loading: boolean; reload: () => void }

/** Runs `load` when `deps` change; stale answers (an older search) are dropped. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let current = true;
    setState((s) => ({ ...s, loading: true }));
    load().then((data) => current && setState({ data, loading: false }), (error: unknown) => current && setState({ error: errorText(error), loading: false }));
    return () => { current = false; };
  }, [...deps, tick]);
  return { ...state, reload: useCallback(() => setTick((t) => t + 1), []) };
}

/** A value that follows `value` once it has stopped changing for `ms`. */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

// Notices: one line at the top of the page, read out by screen readers.
type Notice = { kind: 'ok' | 'error'; text: string };
const noticeHosts = new Set<(notice: Notice | undefined) => void>();
const showNotice = (notice: Notice) => noticeHosts.forEach((show) => show(notice));
export const notify = (text: string) => showNotice({ kind: 'ok', text });
export const notifyError = (error: unknown) => showNotice({ kind: 'error', text: errorText(error) });

/** The page has one; an open dialog has its own, since the page's is behind the modal backdrop. */
export function NoticeHost() {
  const [notice, setNotice] = useState<Notice>();
  useEffect(() => {
    noticeHosts.add(setNotice);
    return () => { noticeHosts.delete(setNotice); };
  }, []);
  useEffect(() => {
    if (notice?.kind !== 'ok') return;
    const timer = setTimeout(() => setNotice(undefined), 5000);
    return () => clearTimeout(timer);
  }, [notice]);
  return (
    <div class="notices">
      <div role="status">{notice?.kind === 'ok' && <p class="notice ok">{notice.text}</p>}</div>
      <div role="alert">{notice?.kind === 'error' && <p class="notice error">{notice.text} <button type="button" class="link" onClick={() => setNotice(undefined)}>Dismiss</button></p>}</div>
    </div>
  );
}

// The confirmation every destructive action asks for, naming its object.
interface Confirmation { question: string; action: string; resolve: (yes: boolean) => void }
let askConfirmation: (c: Confirmation) => void = () => {};

export function confirmAction(question: string, action: string): Promise<boolean> {
  return new Promise((resolve) => askConfirmation({ question, action, resolve }));
}

export function ConfirmHost() {
  const [pending, setPending] = useState<Confirmation>();
  useEffect(() => { askConfirmation = setPending; }, []);
  const answer = (yes: boolean) => { pending?.resolve(yes); setPending(undefined); };
  return pending ? (
    <Dialog title={pending.question} onClose={() => answer(false)} role="alertdialog">
      <p class="muted">This cannot be undone.</p>
      <div class="actions">
        <button type="button" class="secondary" onClick={() => answer(false)}>Cancel</button>
        <button type="button" class="danger" onClick={() => answer(true)}>{pending.action}</button>
      </div>
    </Dialog>
  ) : null;
}

/** A modal <dialog>: focus moves into it, Escape closes it, the page behind is inert. */
export function Dialog({ title, children, onClose, role, wide }: { title: string; children: ComponentChildren; onClose: () => void; role?: 'alertdialog'; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    dialog.showModal();
    return () => dialog.close();
  }, []);
  return (
    <dialog ref={ref} class={wide ? 'wide' : ''} aria-labelledby={titleId} role={role} onCancel={(e) => { e.preventDefault(); onClose(); }}>
      <div class="dialog-head">
        <h2 id={titleId}>{title}</h2>
        <button type="button" class="icon" aria-label="Close" onClick={onClose}>×</button>
      </div>
      <NoticeHost />
      {children}
    </dialog>
  );
}

export function Field({ label, hint, children }: { label: string; hint?: string; children: (id: string) => ComponentChildren }) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children(id)}
      {hint && <p class="hint">{hint}</p>}
    </div>
  );
}

interface InputProps { type?: string; required?: boolean; autoComplete?: string; placeholder?: string }

export function TextField({ label, hint, value, onInput, ...rest }: { label: string; hint?: string; value: string; onInput: (v: string) => void } & InputProps) {
  return <Field label={label} hint={hint}>{(id) => <input id={id} value={value} onInput={(e) => onInput(e.currentTarget.value)} {...rest} />}</Field>;
}

export function TextArea({ label, hint, value, onInput, rows = 3, mono }: { label: string; hint?: string; value: string; onInput: (v: string) => void; rows?: number; mono?: boolean }) {
  return <Field label={label} hint={hint}>{(id) => <textarea id={id} rows={rows} class={mono ? 'mono' : ''} value={value} onInput={(e) => onInput(e.currentTarget.value)} />}</Field>;
}

export function Check({ label, checked, onChange, hint }: { label: string; checked: boolean; onChange: (v: boolean) => void; hint?: string }) {
  const id = useId();
  return (
    <div class="check">
      <input type="checkbox" id={id} checked={checked} onChange={(e) => onChange(e.currentTarget.checked)} />
      <label for={id}>{label}{hint && <span class="hint"> — {hint}</span>}</label>
    </div>
  );
}

export function PageHead({ title, subtitle, children }: { title: string; subtitle?: ComponentChildren; children?: ComponentChildren }) {
  return (
    <header class="page-head">
      <div>
        <h1>{title}</h1>
        {subtitle && <p class="muted">{subtitle}</p>}
      </div>
      {children && <div class="page-actions">{children}</div>}
    </header>
  );
}

export function Card({ title, children, actions }: { title?: string; children: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <section class="card">
      {(title || actions) && <div class="card-head">{title && <h2>{title}</h2>}{actions}</div>}
      {children}
    </section>
  );
}

/** Loading, failed or empty: what a list shows instead of its rows. */
export function Status<T>({ loaded, empty, children }: { loaded: Loaded<T[]>; empty: string; children: (rows: T[]) => ComponentChildren }) {
  if (loaded.error) return <p class="empty error-text">{loaded.error}</p>;
  if (!loaded.data) return <p class="empty muted">Loading…</p>;
  if (loaded.data.length === 0) return <p class="empty muted">{empty}</p>;
  return <>{children(loaded.data)}</>;
}

/** Previous and next over a list read one page (plus one, to know of a next) at a time; hidden when all fits. */
export function Pager({ first, size, shown, more, onPage }: { first: number; size: number; shown: number; more: boolean; onPage: (first: number) => void }) {
  if (first === 0 && !more) return null;
  return (
    <div class="pager">
      <button type="button" class="secondary small" disabled={first === 0} onClick={() => onPage(Math.max(0, first - size))}>Previous</button>
      <span class="muted">{shown ? `${first + 1}–${first + shown}` : ''}</span>
      <button type="button" class="secondary small" disabled={!more} onClick={() => onPage(first + size)}>Next</button>
    </div>
  );
}

export function Badge({ tone, children }: { tone: 'green' | 'gray' | 'amber' | 'blue' | 'red'; children: ComponentChildren }) {
  return <span class={`badge ${tone}`}>{children}</span>;
}

export const when = (ms: number | null | undefined) => (ms ? new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '—');

/** Runs an action with its notice: the success text, or the error. Returns whether it worked. */
export async function act(action: () => Promise<unknown>, done?: string): Promise<boolean> {
  try {
    await action();
    if (done) notify(done);
    return true;
  } catch (error) {
    notifyError(error);
    return false;
  }
}

/** One secret, shown this once. */
export function SecretOnce({ label, value }: { label: string; value: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div class="secret">
      <p><strong>{label}</strong> — copy it now: it is shown only once.</p>
      <div class="secret-row">
        <code data-secret>{value}</code>
        <button type="button" class="secondary" onClick={() => navigator.clipboard?.writeText(value).then(() => setCopied(true))}>{copied ? 'Copied' : 'Copy'}</button>
      </div>
    </div>
  );
}

export const lines = (text: string) => text.split(/\s*\n\s*/).map((l) => l.trim()).filter(Boolean);
