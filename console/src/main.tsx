// The admin console's entry: sign in (auth.ts), then render the shell. Built by scripts/build-console.js.
import { render } from 'preact';
import './console.css';
import { App } from './app.js';
import { redirectToSignIn, signIn } from './auth.js';
import { errorText } from './ui.js';

const root = document.getElementById('console')!;

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
  (administrator) => render(<App administrator={administrator} />, root),
  (error: unknown) => render(<SignInFailed message={errorText(error)} />, root),
);
