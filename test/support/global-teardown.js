const fs = require("fs");

module.exports = async () => {
  if (process.env.TFYSG_PACK_DIR) fs.rmSync(process.env.TFYSG_PACK_DIR, { recursive: true, force: true });
};
