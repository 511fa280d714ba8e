// Every string and selector the front-end script needs, in one place
// (the seed: "Remove magic strings from front-end JS").
window.PATTMAYNE = Object.freeze({
  selectors: Object.freeze({
    copyButton: "[data-copy-target]",
    passkeyRegister: "[data-passkey-register]",
    passkeySignIn: "[data-passkey-sign-in]",
    passkeyError: "#passkey-error",
    csrfToken: "input[name=csrf_token]",
  }),
  attributes: Object.freeze({
    copyTarget: "data-copy-target",
    passkeyRegister: "data-passkey-register",
    passkeySignIn: "data-passkey-sign-in",
    next: "data-next",
    failed: "data-failed",
    // The page gives each button its words, in the page's language.
    copied: "data-copied",
    copyFailed: "data-copy-failed",
  }),
  // Fallbacks, should a page give none.
  text: Object.freeze({
    copied: "Copied",
    copyFailed: "Select and copy by hand",
  }),
  copiedResetMs: 2000,
  csrfHeader: "X-CSRF-Token",
});
