// The hook sends JSON only. axios imports form-data (and through it mime-db,
// over half the bundle) for multipart bodies it never builds here.
module.exports = class FormData {
  constructor() {
    throw new Error("multipart bodies are not supported by the secret-group hook");
  }
};
