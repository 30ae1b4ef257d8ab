// The security page: once django-otp-webauthn's script has registered a passkey, send the
// name typed for it (a plain form POST; the page then reloads with the passkey listed).
(function () {
  "use strict";
  document.addEventListener("otp_webauthn.register_complete", function (event) {
    var form = document.getElementById("passkey-name-form");
    if (!form || !event.detail || !event.detail.id) {
      window.location.reload();
      return;
    }
    form.elements.passkey.value = String(event.detail.id);
    form.submit();
  });
})();
