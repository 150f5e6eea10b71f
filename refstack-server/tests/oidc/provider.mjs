// A real, OpenID Certified provider (npm oidc-provider) for refstack-server's
// sign-in tests. Started by tests/auth_oidc.rs; prints "listening <port>"
// once it answers. Configuration as JSON in OIDC_TEST_CONFIG:
//   {"client_id", "client_secret", "redirect_uris": [...],
//    "post_logout_redirect_uris": [...]}
// Any login name with any password signs in (the provider's development
// login form); account "<name>" has e-mail <name>@example.org and name
// "User <name>".
import http from 'node:http';
import Provider from 'oidc-provider';

const cfg = JSON.parse(process.env.OIDC_TEST_CONFIG || '{}');
let handler = (_req, res) => { res.statusCode = 503; res.end(); };
const server = http.createServer((req, res) => handler(req, res));
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: cfg.client_id,
      client_secret: cfg.client_secret,
      redirect_uris: cfg.redirect_uris,
      post_logout_redirect_uris: cfg.post_logout_redirect_uris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    cookies: { keys: ['refstack-test-cookie-key'] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
    },
    // Scope claims in the id_token too (refstack reads the id_token only).
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    async findAccount(_ctx, id) {
      return {
        accountId: id,
        async claims() {
          return {
            sub: id,
            email: `${id}@example.org`,
            email_verified: true,
            name: `User ${id}`,
            preferred_username: id,
          };
        },
      };
    },
  });
  provider.on('server_error', (_ctx, err) => console.error('server_error', err));
  handler = provider.callback();
  console.log(`listening ${port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
