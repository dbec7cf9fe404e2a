// A realm's settings in readable sections: the common fields as a form (booleans as checkboxes,
// numbers and text as inputs, nested settings as their own fieldsets), the rest as raw JSON. Saved
// with one PUT of the whole realm, as GET answered it with the edits applied.
import { useState } from 'preact/hooks';
import { api, seg } from '../api.js';
import { act, Badge, Card, Check, confirmAction, Field, PageHead, TextArea, TextField, useLoad } from '../ui.js';

type Settings = Record<string, unknown>;

const sectionList: { title: string; keys: string[] }[] = [
  { title: 'General', keys: ['display_name', 'default_locale', 'token_claims'] },
  { title: 'Tokens and sessions', keys: ['access_token_lifetime', 'id_token_lifetime', 'authorization_code_lifetime', 'refresh_token_idle_lifetime', 'refresh_token_absolute_lifetime', 'offline_token_idle_lifetime', 'offline_token_absolute_lifetime', 'sso_session_idle_lifetime', 'sso_session_max_lifetime', 'access_token_signing_alg', 'id_token_signing_alg', 'device_code_lifetime', 'device_code_interval'] },
  { title: 'Sign-in and passwords', keys: ['password_policy', 'reauthentication_max_age', 'sign_in_requires_verified_email', 'email_sign_in', 'email_sign_in_lifetime', 'pkce_plain_allowed', 'require_pushed_authorization_requests'] },
  { title: 'Brute force', keys: ['brute_force'] },
  { title: 'Rate limits', keys: ['rate_limits'] },
  { title: 'MFA', keys: ['mfa'] },
  { title: 'Registration and e-mail', keys: ['user_registration', 'email_as_username', 'terms_url', 'password_reset_lifetime', 'email_verification_lifetime'] },
];
/** Edited by sections of their own below the form. */
const formKeys = new Set([...sectionList.flatMap((s) => s.keys), 'event_webhooks', 'branding']);

const labelOf = (key: string) => {
  const words = key.replace(/_seconds$/, '').replace(/_/g, ' ').replace(/\bsso\b/g, 'SSO').replace(/\bid\b/g, 'ID').replace(/\bmfa\b/g, 'MFA').replace(/\bpkce\b/g, 'PKCE').replace(/\burl\b/g, 'URL').replace(/\bip\b/g, 'IP').replace(/\bpar\b/g, 'PAR');
  const label = words.charAt(0).toUpperCase() + words.slice(1);
  return /lifetime|max_age|interval|window|duration|seconds|wait/.test(key) ? `${label} (seconds)` : label;
};

/** Settings that take one of a few words (src/store/realms.ts); `mfa` may also be {"required_for_roles": […]}. */
const choices: Record<string, string[]> = {
  mfa: ['optional', 'required'], email_sign_in: ['off', 'code', 'code_and_link'], token_claims: ['strix', 'keycloak'],
  access_token_signing_alg: ['RS256', 'ES256', 'EdDSA'], id_token_signing_alg: ['RS256', 'ES256', 'EdDSA'],
};

/** One setting, by the type of its current value; objects become fieldsets of their members. */
function SettingField({ name, value, onChange }: { name: string; value: unknown; onChange: (v: unknown) => void }) {
  if (name === 'rate_limits' && value !== null && typeof value === 'object') return <RateLimits limits={value as Settings} onChange={onChange} />;
  const options = choices[name];
  if (options && typeof value === 'string') {
    return <Field label={labelOf(name)}>{(id) => (
      <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        {[...new Set([...options, value])].map((o) => <option key={o} value={o}>{o.replace(/_/g, ' ')}</option>)}
      </select>
    )}</Field>;
  }
  if (typeof value === 'boolean') return <Check label={labelOf(name)} checked={value} onChange={onChange} />;
  if (typeof value === 'number') return <TextField label={labelOf(name)} type="number" value={String(value)} onInput={(v) => onChange(v === '' ? 0 : Number(v))} />;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const object = value as Settings;
    return (
      <fieldset class="nested">
        <legend>{labelOf(name)}</legend>
        <div class="grid">
          {Object.entries(object).map(([key, member]) => <SettingField key={key} name={key} value={member} onChange={(v) => onChange({ ...object, [key]: v })} />)}
        </div>
      </fieldset>
    );
  }
  if (Array.isArray(value)) return <TextField label={`${labelOf(name)} (JSON)`} value={JSON.stringify(value)} onInput={(v) => { try { onChange(JSON.parse(v)); } catch { /* kept until it parses */ } }} />;
  return <TextField label={labelOf(name)} value={value == null ? '' : String(value)} onInput={onChange} />;
}

/** Rate limits are many pairs of numbers: one row each. */
function RateLimits({ limits, onChange }: { limits: Settings; onChange: (v: unknown) => void }) {
  const rows = Object.entries(limits).filter((entry): entry is [string, Record<string, number>] => typeof entry[1] === 'object' && entry[1] !== null);
  const columns = [...new Set(rows.flatMap(([, row]) => Object.keys(row)))];
  return (
    <div class="full">
      <Check label="Enabled" checked={limits.enabled === true} onChange={(enabled) => onChange({ ...limits, enabled })} />
      <div class="table-wrap" tabIndex={0}><table class="limits">
        <thead><tr><th scope="col">Limit</th>{columns.map((c) => <th scope="col" key={c}>{labelOf(c)}</th>)}</tr></thead>
        <tbody>{rows.map(([name, row]) => <tr key={name}><th scope="row">{labelOf(name)}</th>
          {columns.map((c) => <td key={c}><input type="number" aria-label={`${labelOf(name)}: ${labelOf(c)}`} value={String(row[c] ?? '')}
            onInput={(e) => onChange({ ...limits, [name]: { ...row, [c]: Number(e.currentTarget.value) } })} /></td>)}</tr>)}</tbody>
      </table></div>
    </div>
  );
}

interface Branding {
  logo_url: string | null; favicon_url: string | null; colors: { primary: string | null; background: string | null };
  stylesheet: string | null; secured_by_strix: boolean; messages: Record<string, Record<string, string>>;
}

const hexColor = /^#(?:[0-9a-fA-F]{3}){1,2}$/;

/** Black or white, whichever reads better on the colour (WCAG relative luminance), as the pages choose. */
function readableOn(color: string): string {
  const hex = color.length === 4 ? color.slice(1).split('').map((c) => c + c).join('') : color.slice(1);
  const [r, g, b] = [0, 2, 4].map((i) => {
    const channel = parseInt(hex.slice(i, i + 2), 16) / 255;
    return channel <= 0.03928 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.179 ? '#111827' : '#ffffff';
}

/**
 * The realm's branding (docs/branding.md) with a live preview of a sign-in card: the colours are set
 * on the preview through the CSSOM (the CSP allows it; a style attribute it would not), the logo is
 * an image, the footer follows its toggle. The custom stylesheet shows on the pages once saved.
 */
function BrandingSection({ branding, displayName, onChange }: { branding: Branding; displayName: string; onChange: (b: Branding) => void }) {
  const [messages, setMessages] = useState(JSON.stringify(branding.messages, null, 2));
  const [messagesError, setMessagesError] = useState<string>();
  const color = (name: 'primary' | 'background') => (
    <TextField label={`${name === 'primary' ? 'Primary' : 'Background'} colour`} hint="#rgb or #rrggbb; empty for Strix's own." placeholder={name === 'primary' ? '#4f46e5' : '#f3f4f6'}
      value={branding.colors[name] ?? ''} onInput={(v) => onChange({ ...branding, colors: { ...branding.colors, [name]: v.trim() === '' ? null : v.trim() } })} />
  );
  const primary = branding.colors.primary && hexColor.test(branding.colors.primary) ? branding.colors.primary : '#4f46e5';
  const background = branding.colors.background && hexColor.test(branding.colors.background) ? branding.colors.background : '#f3f4f6';
  const preview = { '--preview-primary': primary, '--preview-on-primary': readableOn(primary), '--preview-background': background, '--preview-on-background': readableOn(background) };
  return (
    <Card title="Branding">
      <div class="branding">
        <div>
          <div class="grid">
            <TextField label="Logo URL" hint="https, or a data: image (256 KiB at most)." value={branding.logo_url ?? ''} onInput={(v) => onChange({ ...branding, logo_url: v.trim() === '' ? null : v.trim() })} />
            <TextField label="Favicon URL" hint="https, or a data: image (64 KiB at most)." value={branding.favicon_url ?? ''} onInput={(v) => onChange({ ...branding, favicon_url: v.trim() === '' ? null : v.trim() })} />
            {color('primary')}
            {color('background')}
          </div>
          <Check label="Show “Secured by Strix” under the pages" checked={branding.secured_by_strix} onChange={(secured_by_strix) => onChange({ ...branding, secured_by_strix })} />
          <TextArea label="Custom stylesheet" hint="CSS served after Strix's own on every page of the realm (64 KiB at most); it shows on the pages once saved." rows={5} mono
            value={branding.stylesheet ?? ''} onInput={(v) => onChange({ ...branding, stylesheet: v === '' ? null : v })} />
          <TextArea label="Message overrides (JSON)" hint='Per locale, message key to text: {"en": {"signInTitle": "Welcome back"}}.' rows={4} mono value={messages}
            onInput={(v) => {
              setMessages(v);
              try {
                onChange({ ...branding, messages: JSON.parse(v) as Branding['messages'] });
                setMessagesError(undefined);
              } catch {
                setMessagesError('Message overrides: this is not valid JSON yet.');
              }
            }} />
          {messagesError && <p class="error-text" role="alert">{messagesError}</p>}
        </div>
        <figure class="brand-preview" style={preview} aria-label="Preview of the sign-in page">
          {branding.logo_url ? <img class="brand-preview-logo" src={branding.logo_url} alt="" /> : <span class="brand-preview-initial" aria-hidden="true">{displayName.charAt(0).toUpperCase()}</span>}
          <div class="brand-preview-card">
            <p class="brand-preview-title">Sign in to {displayName}</p>
            <span class="brand-preview-label">Username</span><span class="brand-preview-input" />
            <span class="brand-preview-label">Password</span><span class="brand-preview-input" />
            <span class="brand-preview-button">Sign in</span>
          </div>
          {branding.secured_by_strix && <figcaption class="brand-preview-footer">Secured by Strix</figcaption>}
        </figure>
      </div>
    </Card>
  );
}

interface Webhook { url: string; secret?: string; types?: string[] }

const newSecret = () => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(24)))).replace(/\+/g, '-').replace(/\//g, '_');

/** The realm's event webhooks: a secret is sent once, when a webhook is added (the API never shows it again). */
function Webhooks({ webhooks, onChange }: { webhooks: Webhook[]; onChange: (w: Webhook[]) => void }) {
  const [url, setUrl] = useState('');
  const [types, setTypes] = useState('');
  const [secret, setSecret] = useState(newSecret);
  async function remove(hook: Webhook) {
    if (await confirmAction(`Remove the webhook to ${hook.url}?`, 'Remove webhook')) onChange(webhooks.filter((w) => w !== hook));
  }
  function add() {
    if (!url.trim()) return;
    const list = types.split(/[\s,]+/).filter(Boolean);
    onChange([...webhooks, { url: url.trim(), secret, ...(list.length ? { types: list } : {}) }]);
    setUrl('');
    setTypes('');
    setSecret(newSecret());
  }
  return (
    <Card title="Webhooks">
      <p class="hint">Events are POSTed to these URLs, signed with HMAC-SHA256 under each webhook's secret, and retried. Changes are saved with the settings.</p>
      {webhooks.length === 0 ? <p class="muted">No webhooks.</p> : (
        <ul class="plain-list">{webhooks.map((w) => <li key={w.url}><span><code>{w.url}</code> <span class="muted">{w.types?.join(', ') ?? 'all events'}</span>{w.secret && <Badge tone="amber">new, not saved</Badge>}</span>
          <button type="button" class="secondary small" aria-label={`Remove the webhook to ${w.url}`} onClick={() => remove(w)}>Remove</button></li>)}</ul>
      )}
      <fieldset class="nested">
        <legend>Add a webhook</legend>
        <div class="grid">
          <TextField label="Webhook URL" type="url" placeholder="https://hooks.example.com/strix" value={url} onInput={setUrl} />
          <TextField label="Event types" hint="Comma-separated; empty for all." value={types} onInput={setTypes} />
        </div>
        <TextField label="Signing secret" hint="Generated; copy it to the receiver now — it is not shown again once saved." value={secret} onInput={setSecret} />
        <div class="actions start"><button type="button" class="secondary" onClick={add}>Add webhook</button></div>
      </fieldset>
    </Card>
  );
}

export function SettingsPage({ realm, reloadRealms }: { realm: string; reloadRealms: () => void }) {
  const path = `/realms/${seg(realm)}`;
  const loaded = useLoad(() => api<Settings>('GET', path), [path]);
  if (!loaded.data) return <><PageHead title="Settings" /><p class="muted">{loaded.error ?? 'Loading…'}</p></>;
  return <SettingsForm key={JSON.stringify(loaded.data)} path={path} realm={realm} initial={loaded.data} saved={() => { loaded.reload(); reloadRealms(); }} />;
}

function SettingsForm({ path, realm, initial, saved }: { path: string; realm: string; initial: Settings; saved: () => void }) {
  const [settings, setSettings] = useState(initial);
  const rest = Object.fromEntries(Object.entries(initial).filter(([key]) => !formKeys.has(key) && key !== 'name'));
  const [raw, setRaw] = useState(JSON.stringify(rest, null, 2));
  const [rawError, setRawError] = useState<string>();
  async function save(event: Event) {
    event.preventDefault();
    let advanced: Settings;
    try {
      advanced = JSON.parse(raw) as Settings;
      setRawError(undefined);
    } catch {
      setRawError('Advanced settings: this is not valid JSON.');
      return;
    }
    // A setting that was unset (null, e.g. terms_url) and is left empty stays unset.
    const cleared = Object.fromEntries(Object.keys(settings).filter((key) => initial[key] === null && settings[key] === '').map((key) => [key, null]));
    const body = { ...settings, ...cleared, ...advanced, name: realm };
    if (await act(() => api('PUT', path, body), `Saved the settings of realm ${realm}.`)) saved();
  }
  return (
    <form onSubmit={save}>
      <PageHead title="Settings" subtitle={<>Realm <strong>{realm}</strong>. Lifetimes are in seconds.</>}>
        <button type="submit">Save settings</button>
      </PageHead>
      {sectionList.map((section) => {
        const keys = section.keys.filter((k) => k in settings);
        return keys.length === 0 ? null : (
          <Card title={section.title} key={section.title}>
            <div class="grid">
              {keys.map((key) => <SettingField key={key} name={key} value={settings[key]} onChange={(v) => setSettings({ ...settings, [key]: v })} />)}
            </div>
          </Card>
        );
      })}
      {settings.branding !== undefined && (
        <BrandingSection branding={settings.branding as Branding} displayName={String(settings.display_name ?? realm)} onChange={(branding) => setSettings({ ...settings, branding })} />
      )}
      <Webhooks webhooks={(settings.event_webhooks ?? []) as Webhook[]} onChange={(event_webhooks) => setSettings({ ...settings, event_webhooks })} />
      <Card title="Advanced (JSON)">
        <TextArea label="Other settings" hint="Scopes, claim mappers, identity providers, webhooks, IP rules… in the realm file's shape." value={raw} onInput={setRaw} rows={14} mono />
        {rawError && <p class="error-text" role="alert">{rawError}</p>}
      </Card>
      <div class="actions start"><button type="submit">Save settings</button></div>
    </form>
  );
}
