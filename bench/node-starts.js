// Preloaded into every node process Terraform starts during a benchmark phase
// (NODE_OPTIONS=--require): appends the hook's operation to a file, so that a
// phase counts the Node starts its provisioners really made (a step whose
// shell test finds nothing to do starts none).
const file = process.env.BENCH_NODE_STARTS;
if (file) require("fs").appendFileSync(file, `${process.argv[2] || "?"}\n`);
