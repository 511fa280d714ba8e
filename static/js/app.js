// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  var C = window.PATTMAYNE;
  if (!C) { return; }

  // Copy-to-clipboard buttons next to secrets shown once.
  document.querySelectorAll(C.selectors.copyButton).forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var target = document.getElementById(button.getAttribute(C.attributes.copyTarget));
      if (!target) { return; }
      var original = button.textContent;
      var done = function (label) {
        button.textContent = label;
        setTimeout(function () { button.textContent = original; }, C.copiedResetMs);
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(target.textContent.trim()).then(
          function () { done(button.getAttribute(C.attributes.copied) || C.text.copied); },
          function () { done(button.getAttribute(C.attributes.copyFailed) || C.text.copyFailed); }
        );
      } else {
        done(button.getAttribute(C.attributes.copyFailed) || C.text.copyFailed);
      }
    });
  });

  // Passkeys (WebAuthn): the server's options arrive as JSON with
  // base64url strings where the browser wants bytes, and the browser's
  // answer goes back the same way.
  if (!window.PublicKeyCredential || !navigator.credentials) { return; }
  var bytes = function (b64url) {
    var b64 = b64url.replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(b64 + "===".slice((b64.length + 3) % 4));
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out.buffer;
  };
  var text = function (buffer) {
    var raw = "";
    new Uint8Array(buffer).forEach(function (b) { raw += String.fromCharCode(b); });
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };
  var csrf = function () {
    var field = document.querySelector(C.selectors.csrfToken);
    return field ? field.value : "";
  };
  var call = function (url, body) {
    var headers = { "Content-Type": "application/json" };
    headers[C.csrfHeader] = csrf();
    return fetch(url, { method: "POST", credentials: "same-origin", headers: headers, body: JSON.stringify(body || {}) })
      .then(function (res) { return res.json().then(function (json) { return { ok: res.ok, json: json }; }); });
  };
  var showError = function (box, message) {
    var error = box.querySelector(C.selectors.passkeyError) || document.querySelector(C.selectors.passkeyError);
    if (!error) { return; }
    error.textContent = message || error.getAttribute(C.attributes.failed);
    error.hidden = false;
  };
  var follow = function (box, result) {
    if (result.json && result.json.redirect) { window.location.assign(result.json.redirect); return; }
    showError(box, result.json && result.json.error);
  };
  var credentialJSON = function (cred) {
    var r = cred.response;
    var response = { clientDataJSON: text(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = text(r.attestationObject);
      if (r.getTransports) { response.transports = r.getTransports(); }
    } else {
      response.authenticatorData = text(r.authenticatorData);
      response.signature = text(r.signature);
      response.userHandle = r.userHandle ? text(r.userHandle) : null;
    }
    return { id: cred.id, rawId: text(cred.rawId), type: cred.type, response: response, extensions: cred.getClientExtensionResults() };
  };

  // Registering one on the security page.
  document.querySelectorAll(C.selectors.passkeyRegister).forEach(function (box) {
    box.hidden = false;
    var url = box.getAttribute(C.attributes.passkeyRegister);
    var form = box.querySelector("form");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var name = form.querySelector("input[name=name]").value;
      call(url + "/options").then(function (result) {
        if (!result.ok || !result.json.publicKey) { follow(box, result); return null; }
        var o = result.json.publicKey;
        o.challenge = bytes(o.challenge);
        o.user.id = bytes(o.user.id);
        (o.excludeCredentials || []).forEach(function (c) { c.id = bytes(c.id); });
        return navigator.credentials.create({ publicKey: o }).then(function (cred) {
          return call(url, { name: name, credential: credentialJSON(cred) }).then(function (r) { follow(box, r); });
        });
      }).catch(function () { showError(box); });
    });
  });

  // Signing in with one: alone (the login page) or as the second step.
  document.querySelectorAll(C.selectors.passkeySignIn).forEach(function (box) {
    box.hidden = false;
    var url = box.getAttribute(C.attributes.passkeySignIn);
    var next = box.getAttribute(C.attributes.next);
    box.querySelector("button").addEventListener("click", function () {
      call(url + "/options").then(function (result) {
        if (!result.ok || !result.json.publicKey) { follow(box, result); return null; }
        var o = result.json.publicKey;
        o.challenge = bytes(o.challenge);
        (o.allowCredentials || []).forEach(function (c) { c.id = bytes(c.id); });
        return navigator.credentials.get({ publicKey: o }).then(function (cred) {
          return call(url, { credential: credentialJSON(cred), next: next }).then(function (r) { follow(box, r); });
        });
      }).catch(function () { showError(box); });
    });
  });
})();
