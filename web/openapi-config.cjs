// `make web-api` regenerates src/lib/api/generated.ts from the API's OpenAPI document
// (`ticketsafe openapi`); CI checks the committed file matches.
/** @type {import('@rtk-query/codegen-openapi').ConfigFile} */
module.exports = {
  schemaFile: './openapi.json',
  apiFile: './src/lib/api/base.ts',
  apiImport: 'baseApi',
  outputFile: './src/lib/api/generated.ts',
  exportName: 'api',
  hooks: { queries: true, lazyQueries: true, mutations: true },
  tag: true,
  // Server-to-server endpoints are not the browser's business.
  filterEndpoints: (name) => name !== 'paymentsSandboxPspWebhook',
};
