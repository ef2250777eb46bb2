// Parse PromQL expressions with Prometheus' own grammar (@prometheus-io/lezer-promql, the one
// the Prometheus UI uses); pinned in package.json. Reads a JSON array of expressions on stdin,
// writes a JSON array of [expression, error or null]. Used by tests/deploy/test_metric_names.py.
//   npm ci --prefix deploy/tools && echo '["rate(x[5m])"]' | node deploy/tools/promql_check.cjs
"use strict";
const { parser } = require("@prometheus-io/lezer-promql");

function check(expr) {
  const tree = parser.parse(expr);
  let error = null;
  tree.iterate({
    enter(node) {
      if (error === null && node.type.isError) {
        error = `syntax error at ${node.from}: ${JSON.stringify(expr.slice(node.from, node.from + 20))}`;
      }
    },
  });
  return error;
}

let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const exprs = JSON.parse(input);
  process.stdout.write(JSON.stringify(exprs.map((e) => [e, check(e)])));
});
