// The query page's script (gateway/query-page.ts inlines it with the response's nonce): points the
// Monaco editor at its workers on this server and renders GraphiQL with the options the server chose.
(function () {
  'use strict';
  const config = JSON.parse(document.getElementById('query-page-config').textContent);
  self.MonacoEnvironment = {
    globalAPI: false,
    getWorkerUrl: function (_moduleId, label) {
      return config.workers[label] || config.workers.editorWorkerService;
    },
  };
  YogaGraphiQL.renderYogaGraphiQL(document.getElementById('graphiql'), config.graphiql);
})();
