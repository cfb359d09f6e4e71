// Loaded by the review server's refusal page. The page keeps its access token
// in this tab's sessionStorage, not in a cookie; after a reload (the address no
// longer holds the token) this asks for the page again with it. A token in the
// address that was refused (revoked, or the server restarted with a new one)
// is forgotten, so this never loops. Loaded without defer, so that the refusal
// message is not painted on the way back.
(function () {
  "use strict";
  var KEY = "pipeline-review-token";
  var params = new URLSearchParams(window.location.search);
  try {
    if (params.has("token")) {
      window.sessionStorage.removeItem(KEY);
      params.delete("token");
      var query = params.toString();
      window.history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
      return;
    }
    var token = window.sessionStorage.getItem(KEY);
    if (token && window.location.pathname === "/") {
      document.documentElement.style.visibility = "hidden";
      params.set("token", token);
      window.location.replace("/?" + params.toString());
    }
  } catch (e) { /* storage disabled: open the printed link again */ }
}());
