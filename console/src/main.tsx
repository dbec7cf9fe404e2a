// The admin console's entry: sign in (auth.ts), then render the shell. Built by scripts/build-console.js.
import { render, type ComponentChild } from 'preact';
import './console.css';
import { App } from './app.js';
import { redirectToSignIn, signIn } from './auth.js';
import { errorText } from './ui.js';

const root = document.getElementById('console')!;
// The loading line is replaced, not diffed against.
const show = (content: ComponentChild) => { root.textContent = ''; render(content, root); };

function SignInFailed({ message }: { message: string }) {
  return (
    <main class="signin-failed">
      <div class="card">
        <h1>Could not sign you in</h1>
        <p>{message}</p>
        <button type="button" onClick={() => void redirectToSignIn()}>Sign in again</button>
      </div>
    </main>
  );
}

signIn().then(
  (administrator) => show(<App administrator={administrator} />),
  (error: unknown) => show(<SignInFailed message={errorText(error)} />),
);
