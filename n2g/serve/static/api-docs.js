// Starts Swagger UI on /api/docs (n2g.serve.api_docs): a file, not an inline script, so
// the Content-Security-Policy's script-src 'self' holds. validatorUrl null: no request to
// swagger.io's validator; only GET can be tried (the service answers nothing else).
"use strict";
window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    validatorUrl: null,
    deepLinking: true,
    supportedSubmitMethods: ["get"],
  });
});
