"""Interoperability: a standard OAuth 2.0 / OpenID Connect client library
(Authlib, with requests) against a running server: discovery, PKCE
authorization, code exchange with client_secret_basic, id_token and access
token verification from the JWKS, userinfo, refresh, introspection,
revocation; and a public client (auth method none, a loopback redirect on
any port) through its code flow and a refresh. Run by .ci/interop, which starts the server and registers the
client and the account.
"""
import json
import os
import re
import sys
import warnings
from urllib.parse import parse_qs, urlparse

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

warnings.filterwarnings("ignore", category=DeprecationWarning)
from authlib.jose import JsonWebKey, jwt  # noqa: E402

base = os.environ["PATTMAYNE_URL"]
c = json.load(open(os.environ["PATTMAYNE_CLIENT_JSON"]))
meta = requests.get(base + "/.well-known/openid-configuration").json()
browser = requests.Session()
page = browser.get(base + "/login").text
csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
r = browser.post(base + "/login", data={"username": "alice", "password": "correct horse battery staple", "csrf_token": csrf}, allow_redirects=False)
assert r.status_code == 303, r.status_code

oauth = OAuth2Session(c["client_id"], c["client_secret"], scope="openid profile email", redirect_uri="http://localhost:9999/cb",
                      code_challenge_method="S256", token_endpoint_auth_method="client_secret_basic")
verifier = generate_token(48)
nonce = generate_token(16)
url, state = oauth.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
r = browser.get(url, allow_redirects=False)
assert r.status_code == 302, (r.status_code, r.text[:300])
callback = r.headers["location"]
q = parse_qs(urlparse(callback).query)
assert q["iss"][0] == meta["issuer"] and q["state"][0] == state
token = oauth.fetch_token(meta["token_endpoint"], authorization_response=callback, code_verifier=verifier)
jwks = JsonWebKey.import_key_set(requests.get(meta["jwks_uri"]).json())
claims = jwt.decode(token["id_token"], jwks, claims_options={"iss": {"essential": True, "value": meta["issuer"]}, "aud": {"essential": True, "value": c["client_id"]}, "nonce": {"essential": True, "value": nonce}})
claims.validate()
at = jwt.decode(token["access_token"], jwks)
at.validate()
print("id_token ok:", claims["preferred_username"], claims["email"], "access aud", at["aud"])
info = requests.get(meta["userinfo_endpoint"], headers={"Authorization": "Bearer " + token["access_token"]}).json()
print("userinfo:", info)
new = oauth.refresh_token(meta["token_endpoint"], refresh_token=token["refresh_token"])
assert new["refresh_token"] != token["refresh_token"]
print("refreshed; expires_in", new["expires_in"], "refresh_token_expires_in", new["refresh_token_expires_in"])
intro = oauth.introspect_token(meta["introspection_endpoint"], token=new["refresh_token"]).json()
print("introspect active:", intro["active"])
rev = oauth.revoke_token(meta["revocation_endpoint"], token=new["refresh_token"])
print("revoke:", rev.status_code)
try:
    oauth.refresh_token(meta["token_endpoint"], refresh_token=new["refresh_token"])
except Exception as e:
    print("refresh after revoke refused:", e)
else:
    sys.exit("a revoked refresh token still refreshed")
assert intro["active"] is True and rev.status_code == 200

# A public client (a desktop game, RFC 8252): token_endpoint_auth_method
# "none", PKCE, a loopback redirect on a port the registration never named.
pub = json.load(open(os.environ["PATTMAYNE_PUBLIC_CLIENT_JSON"]))
assert "client_secret" not in pub
assert "none" in meta["token_endpoint_auth_methods_supported"]
game = OAuth2Session(pub["client_id"], None, scope="openid profile", redirect_uri="http://127.0.0.1:54321/cb",
                     code_challenge_method="S256", token_endpoint_auth_method="none")
verifier = generate_token(48)
url, state = game.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier)
r = browser.get(url, allow_redirects=False)
assert r.status_code == 302 and r.headers["location"].startswith("http://127.0.0.1:54321/cb?"), (r.status_code, r.text[:300])
token = game.fetch_token(meta["token_endpoint"], authorization_response=r.headers["location"], code_verifier=verifier)
at = jwt.decode(token["access_token"], jwks)
at.validate()
assert at["aud"] == pub["client_id"]
new = game.refresh_token(meta["token_endpoint"], refresh_token=token["refresh_token"])
assert new["refresh_token"] != token["refresh_token"]
print("public client (none, loopback any port): ok")
print("authlib interop: ok")
