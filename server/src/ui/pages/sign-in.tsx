/** @module Sign-in with an API token; the token is exchanged for a session and never kept in the browser. */
import type { FC } from 'hono/jsx';
import { Page } from '../layout.js';

export const SignInPage: FC<{ next: string; error?: string }> = ({ next, error }) => (
  <Page title="Sign in" section="sign-in" flash={error ? { kind: 'error', text: error } : null}>
    <section class="signin card" aria-labelledby="signin">
      <h1 id="signin">Sign in to Sightline</h1>
      <form method="post" action="/ui/sign-in">
        <input type="hidden" name="next" value={next} />
        <label>
          API token
          <input type="password" name="token" required autocomplete="off" spellcheck={false} autofocus />
        </label>
        <button type="submit" class="primary">
          Sign in
        </button>
      </form>
      <p class="small muted">
        Use a token with the <code>read</code> scope to look, or <code>write</code> to act. Create one with <code>npx sightline token create --name you --scopes read,write</code>.
      </p>
    </section>
  </Page>
);

/** The sign-in page as a response body, for middleware written without JSX. */
export const signInPageHtml = (props: { next: string; error?: string }) => <SignInPage {...props} />;
