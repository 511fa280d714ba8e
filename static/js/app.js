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
})();
