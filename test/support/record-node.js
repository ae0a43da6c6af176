// Preloaded (NODE_OPTIONS=--require) into every node process of a test run
// under another Node: appends "<node version> <script>" to TFYSG_NODE_RECORD,
// so a test can check which Node ran the CLI, the app and the hook.
const file = process.env.TFYSG_NODE_RECORD;
if (file) require("fs").appendFileSync(file, `${process.version} ${process.argv[1] || "-"}\n`);
