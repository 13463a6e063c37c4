// The API reference: the OpenAPI document this same Worker serves, "Try it out" against it.
window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#ui',
  deepLinking: true,
  tryItOutEnabled: false,
  persistAuthorization: false,
  displayOperationId: true,
  defaultModelsExpandDepth: 0,
});
