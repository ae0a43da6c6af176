// Every test run deploys the hook bundle as it is in the tree, never a stale one.
const { buildHook } = require("../../scripts/build-hook.js");

module.exports = async () => {
  await buildHook();
};
