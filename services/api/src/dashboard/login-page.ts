/**
 * The dashboard's login page: one field, the admin API key. Static markup (nothing the visitor sent is
 * echoed back), so it needs no template engine and no escaping.
 */
export function loginPage(options: { message?: string; signedIn?: boolean } = {}): string {
  const message = options.message ? `<p class="error" role="alert">${options.message}</p>` : '';
  const body = options.signedIn
    ? `<p>You are signed in.</p>
      <p><a href="/admin/queues">Open the queue dashboard</a></p>
      <form method="post" action="/admin/logout"><button type="submit">Sign out</button></form>`
    : `${message}
      <form method="post" action="/admin/login">
        <label for="key">Admin API key</label>
        <input id="key" name="key" type="password" autocomplete="off" required autofocus placeholder="rl_...">
        <button type="submit">Sign in</button>
      </form>
      <p class="hint">A key with the <code>admin</code> scope, e.g. from
      <code>./reelay admin create-key --tenant ops --admin</code>.</p>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="robots" content="noindex">
  <title>Reelay ops: sign in</title>
  <style>
    body { font-family: system-ui, sans-serif; background: #f4f5f7; color: #1d2430; margin: 0; }
    main { max-width: 26rem; margin: 12vh auto; background: #fff; padding: 2rem; border-radius: 8px;
      box-shadow: 0 1px 4px rgba(0, 0, 0, 0.12); }
    h1 { font-size: 1.3rem; margin-top: 0; }
    label { display: block; font-weight: 600; margin-bottom: 0.4rem; }
    input { width: 100%; box-sizing: border-box; padding: 0.55rem; font: inherit; margin-bottom: 1rem; }
    button { padding: 0.55rem 1.2rem; font: inherit; cursor: pointer; }
    .error { color: #b42318; }
    .hint { color: #5b6472; font-size: 0.85rem; }
  </style>
</head>
<body>
  <main>
    <h1>Reelay operations</h1>
    ${body}
  </main>
</body>
</html>
`;
}
